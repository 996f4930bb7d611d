/** /admin/api/v1/sites over HTTP: the contract, bad input named field by field, and the audit trail. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../../helpers/database.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { adminClient, type AdminClient } from '../../helpers/admin.ts';

const ST_MARYS = { id: 'st-marys', name: "St Mary's Hospital", timezone: 'Europe/London', country: 'GB', latitude: 51.5171, longitude: -0.1746, networks: ['10.40.0.0/16'] };

describe.skipIf(databaseUnavailable())('admin API: sites', () => {
  let db: TestDatabase;
  let server: TestServer;
  let api: AdminClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    api = await adminClient(server);
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it('creates, reads, lists, updates and deletes a site', async () => {
    const created = await api.post('/sites', ST_MARYS);
    expect(created.status).toBe(201);
    expect(created.body).toEqual(ST_MARYS);
    expect((await api.get('/sites/st-marys')).body).toEqual(ST_MARYS);
    expect((await api.get('/sites')).body.items.map((s: { id: string }) => s.id)).toContain('st-marys');
    const updated = await api.patch('/sites/st-marys', { name: "St Mary's", networks: ['10.40.0.0/16', '10.41.0.0/16'] });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: "St Mary's", networks: ['10.40.0.0/16', '10.41.0.0/16'] });
    expect((await api.delete('/sites/st-marys')).status).toBe(204);
    expect((await api.get('/sites/st-marys')).status).toBe(404);
  });

  it('names every bad field: wrong types, an unknown field, a bad CIDR and a bad timezone', async () => {
    const response = await api.post('/sites', { ...ST_MARYS, id: 'bad-site', name: 42, timezone: 'Mars/Olympus', networks: ['10.0.0.0/33'], colour: 'blue' });
    expect(response.status).toBe(422);
    expect(response.body.error).toBe('invalid_input');
    const pointers = response.body.errors.map((e: { pointer: string }) => e.pointer).sort();
    expect(pointers).toEqual(['/colour', '/name', '/networks/0', '/timezone']);
    expect(response.body.errors.find((e: { pointer: string }) => e.pointer === '/colour').message).toBe('unknown field "colour"');
    expect(response.body.errors.find((e: { pointer: string }) => e.pointer === '/timezone').message).toContain('Mars/Olympus');
    expect((await api.get('/sites/bad-site')).status).toBe(404);
  });

  it('refuses malformed JSON with 400 and a body of the wrong type with 415', async () => {
    const malformed = await api.request('POST', '/sites', { body: '{"id": ', contentType: 'application/json' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error_description).toMatch(/not valid JSON/);
    const wrongType = await api.request('POST', '/sites', { body: 'id=x', contentType: 'application/x-www-form-urlencoded' });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.error).toBe('unsupported_media_type');
  });

  it('answers an unknown operation with JSON: 404 for a path it does not have, 405 with Allow for a method it does not take', async () => {
    const missing = await api.get('/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'not_found', error_description: 'There is no admin API operation GET /admin/api/v1/nothing-here.' });
    expect(missing.headers.get('cache-control')).toBe('no-store');
    const wrongMethod = await api.put('/sites', {});
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.error).toBe('method_not_allowed');
    expect(wrongMethod.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD', 'POST']);
  });

  it('moves a site by its latitude alone, and refuses to clear one coordinate without the other', async () => {
    await api.post('/sites', { ...ST_MARYS, id: 'moving' });
    const moved = await api.patch('/sites/moving', { latitude: 52 });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ latitude: 52, longitude: ST_MARYS.longitude });
    const half = await api.patch('/sites/moving', { longitude: null });
    expect(half.status).toBe(422);
    expect(half.body.errors).toEqual([{ pointer: '/longitude', message: "latitude and longitude go together (the site's latitude is 52)" }]);
    expect((await api.patch('/sites/moving', { latitude: null, longitude: null })).body).toMatchObject({ latitude: null, longitude: null });
  });

  it('answers 409 for a taken id and 404 for an unknown one', async () => {
    await api.post('/sites', { ...ST_MARYS, id: 'twice' });
    expect((await api.post('/sites', { ...ST_MARYS, id: 'twice' })).status).toBe(409);
    expect((await api.patch('/sites/nowhere', { name: 'x' })).status).toBe(404);
    expect((await api.delete('/sites/nowhere')).status).toBe(404);
  });

  it('audits each change with who made it and the state before and after', async () => {
    await api.post('/sites', { ...ST_MARYS, id: 'audited' });
    await api.patch('/sites/audited', { name: 'Renamed' });
    const rows = await server.db('audit_log').where({ subject: 'site/audited' }).orderBy('id');
    expect(rows.map((r: { type: string }) => r.type)).toEqual(['admin.site.create', 'admin.site.update']);
    const update = JSON.parse(rows[1].data);
    expect(update.before.name).toBe("St Mary's Hospital");
    expect(update.after.name).toBe('Renamed');
    expect(update.actor.kind).toBe('client');
    expect(rows[1].actor).toMatch(/^client:/);
  });
});
