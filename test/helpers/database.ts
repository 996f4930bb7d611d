/**
 * A fresh database per test file: a temporary SQLite file, or a new PostgreSQL database created on
 * the test server and dropped afterwards. Which one comes from the project (WARDGATE_TEST_DB).
 * The benches (bench/databases.ts) make theirs here too, on their own server.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { adminUrl } from './postgres-setup.ts';

export type TestDbKind = 'sqlite' | 'postgres';

export function testDbKind(): TestDbKind {
  return process.env.WARDGATE_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
}

/** True when this project's database cannot be reached and the project is allowed to skip. */
export function databaseUnavailable(): boolean {
  return testDbKind() === 'postgres' && inject('pgAvailable') === false;
}

export interface TestDatabase {
  kind: TestDbKind;
  url: string;
  dataDir: string;
  /** The key-encryption key this database's keys are sealed with (kept across restarts). */
  kek: string;
  drop(): Promise<void>;
}

/** One statement on a PostgreSQL server's maintenance database. */
async function onServer(server: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A fresh database of `kind`. On PostgreSQL it is `<prefix>_<random>`, created on `server` (the
 * maintenance database's URL, by default the test server's) and dropped by `drop()`.
 */
export async function createTestDatabase(kind: TestDbKind = testDbKind(), { server = adminUrl(), prefix = 'wardgate_t' } = {}): Promise<TestDatabase> {
  const name = `${prefix}_${crypto.randomBytes(6).toString('hex')}`;
  let postgresUrl: URL | undefined;
  if (kind === 'postgres') {
    await onServer(server, `create database ${name}`);
    postgresUrl = new URL(server);
    postgresUrl.pathname = `/${name}`;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wardgate-test-'));
  return {
    kind,
    kek: crypto.randomBytes(32).toString('base64'),
    url: postgresUrl?.href ?? `sqlite:${path.join(dataDir, 'wardgate.db')}`,
    dataDir,
    async drop() {
      if (kind === 'postgres') await onServer(server, `drop database if exists ${name} with (force)`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
