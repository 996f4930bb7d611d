/**
 * The admin API's OpenAPI document: valid OpenAPI 3.1 (checked by an independent validator), and it
 * describes exactly the routes the router serves, no more and no fewer.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../../helpers/database.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { adminOperations } from '../../../src/admin/api/operations.ts';
import { clientCredentialsToken } from '../../helpers/admin.ts';

describe.skipIf(databaseUnavailable())('admin API: OpenAPI document', () => {
  let db: TestDatabase;
  let server: TestServer;
  let document: any;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    const response = await fetch(`${server.issuer}/admin/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    document = await response.json();
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it('passes an OpenAPI 3.1 validator', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('covers every route the router has, with the same methods', async () => {
    // The operations list is what the router mounts; compare both ways against the document.
    const operations = adminOperations({} as never);
    const routed = operations.map((op) => `${op.method.toUpperCase()} ${op.path}`).sort();
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(routed);
    // A token without wardgate:admin: a routed operation refuses it (403), where a path the router
    // does not have would answer 404 and a method it does not take 405.
    const token = await clientCredentialsToken(server, 'wardgate:introspect');
    for (const route of routed) {
      const [method, path] = route.split(' ') as [string, string];
      const concrete = path.replace(/\{[^}]+\}/g, 'x');
      const response = await fetch(`${server.issuer}/admin/api/v1${concrete}`, { method, headers: { authorization: `Bearer ${token}` } });
      expect(response.status, route).toBe(403);
    }
  });

  it('documents request bodies and answers from the validating schemas', () => {
    const create = document.paths['/sites'].post;
    const body = create.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['id', 'name', 'timezone', 'country']));
    expect(body.additionalProperties).toBe(false);
    expect(create.responses['422']).toBeDefined();
  });
});
