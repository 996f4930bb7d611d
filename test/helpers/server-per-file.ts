/**
 * One Wardgate per test file, on its own fresh database, started before the file's tests and
 * stopped (database dropped) after them. Tests share only the server: each makes its own users and
 * clients.
 */
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { startTestServer, type TestServer } from './server.ts';

/** Call inside a describe; the returned function gives the running server inside a test. */
export function serverForThisFile(env: Record<string, string> = {}): () => TestServer {
  let db: TestDatabase | undefined;
  let server: TestServer | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db, env);
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });
  return () => {
    if (!server) throw new Error('the server has not started');
    return server;
  };
}
