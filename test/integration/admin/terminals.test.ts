/**
 * /admin/api/v1/terminals over HTTP: the contract, the one-time enrollment link it answers, bad
 * input named field by field, revoking (for good: a revoked terminal no longer counts as known at
 * sign-in), reissued links, no secret in any answer or audit row, and the audit trail.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../../helpers/database.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { adminClient, type AdminClient } from '../../helpers/admin.ts';
import { signIn, TestBrowser } from '../../helpers/browser.ts';
import { TERMINAL_COOKIE, TEST_SITE } from '../../helpers/hospital.ts';
import { createRelyingParty, type RelyingParty } from '../../helpers/relying-party.ts';

const TERMINAL_KEYS = ['createdAt', 'enrolledAt', 'enrollmentExpiresAt', 'id', 'lastSeenAt', 'name', 'siteId', 'status', 'unit'];
const PENDING_KEYS = ['enrollmentExpiresAt', 'enrollmentUrl', 'id', 'name', 'siteId', 'status', 'unit'];
const OTHER_SITE = { id: 'st-elsewhere', name: 'St Elsewhere', timezone: 'America/New_York', country: 'US', networks: ['10.20.0.0/16'] };

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
const tokenOf = (url: string) => url.split('/').pop()!;

describe.skipIf(databaseUnavailable())('admin API: terminals', () => {
  let db: TestDatabase;
  let server: TestServer;
  let api: AdminClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    api = await adminClient(server);
    expect((await api.post('/sites', TEST_SITE)).status).toBe(201);
    expect((await api.post('/sites', OTHER_SITE)).status).toBe(201);
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  /** Opens the link and confirms in a fresh browser, as at the workstation; the credential it got. */
  async function enroll(url: string) {
    const browser = new TestBrowser(server.issuer);
    const page = await browser.request(url);
    const confirm = await browser.request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.issuer }, body: '' });
    const credential = (await browser.jar.getCookies(server.issuer)).find((c) => c.key === TERMINAL_COOKIE)?.value;
    return { page: page.status, confirm: confirm.status, credential, browser };
  }

  it('creates a terminal with a one-time enrollment link, reads and lists it', async () => {
    const created = await api.post('/terminals', { name: 'Ward 3 PC 1', siteId: TEST_SITE.id, unit: 'Ward 3' });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(PENDING_KEYS);
    expect(created.body).toMatchObject({ name: 'Ward 3 PC 1', siteId: TEST_SITE.id, unit: 'Ward 3', status: 'pending' });
    expect(created.body.enrollmentUrl).toMatch(new RegExp(`^${server.issuer}/terminals/enroll/[A-Za-z0-9_-]{43}$`));
    expect(Date.parse(created.body.enrollmentExpiresAt) - Date.now()).toBeGreaterThan(23 * 3600_000);
    const id = created.body.id as string;

    const read = await api.get(`/terminals/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      id,
      name: 'Ward 3 PC 1',
      siteId: TEST_SITE.id,
      unit: 'Ward 3',
      status: 'pending',
      enrolledAt: null,
      lastSeenAt: null,
      enrollmentExpiresAt: created.body.enrollmentExpiresAt,
      createdAt: expect.any(String),
    });

    const listed = await api.get(`/terminals?siteId=${TEST_SITE.id}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toContainEqual(read.body);

    const first = await enroll(created.body.enrollmentUrl);
    expect(first).toMatchObject({ page: 200, confirm: 200 });
    expect(first.credential).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const second = await enroll(created.body.enrollmentUrl);
    expect(second).toMatchObject({ page: 400, confirm: 400, credential: undefined });

    const active = (await api.get(`/terminals/${id}`)).body;
    expect(active).toMatchObject({ status: 'active', enrollmentExpiresAt: null, enrolledAt: expect.any(String) });
    expect(Object.keys(active).sort()).toEqual(TERMINAL_KEYS);
  });

  it('filters the list by site and status', async () => {
    const a = (await api.post('/terminals', { name: 'Filter A', siteId: OTHER_SITE.id })).body;
    const b = (await api.post('/terminals', { name: 'Filter B', siteId: OTHER_SITE.id })).body;
    await api.patch(`/terminals/${b.id}`, { status: 'revoked' });
    const ids = (body: { items: Array<{ id: string; siteId: string }> }) => body.items.map((t) => t.id);
    const atOther = (await api.get(`/terminals?siteId=${OTHER_SITE.id}`)).body;
    expect(ids(atOther)).toEqual([a.id, b.id]);
    expect(ids((await api.get(`/terminals?siteId=${OTHER_SITE.id}&status=revoked`)).body)).toEqual([b.id]);
    expect(ids((await api.get(`/terminals?siteId=${OTHER_SITE.id}&status=pending`)).body)).toEqual([a.id]);
    expect((await api.get('/terminals?status=revoked')).body.items.every((t: { status: string }) => t.status === 'revoked')).toBe(true);
    expect((await api.get('/terminals?siteId=nowhere')).body).toEqual({ items: [] });
    const bad = await api.get('/terminals?status=lost&colour=blue');
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/colour', '/status']);
  });

  it('names every bad field: wrong types, an unknown field, an unknown site', async () => {
    const response = await api.post('/terminals', { name: 42, siteId: TEST_SITE.id, unit: '', colour: 'blue' });
    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/colour', '/name', '/unit']);
    const unknownSite = await api.post('/terminals', { name: 'PC', siteId: 'nowhere' });
    expect(unknownSite.status).toBe(422);
    expect(unknownSite.body.errors).toEqual([{ pointer: '/siteId', message: 'no site "nowhere"' }]);
    const missing = await api.post('/terminals', {});
    expect(missing.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/name', '/siteId']);
    expect((await api.get('/terminals?siteId=nowhere')).body.items).toEqual([]);
  });

  it('renames a terminal and changes or clears its unit', async () => {
    const { id } = (await api.post('/terminals', { name: 'Old name', siteId: TEST_SITE.id, unit: 'Ward 1' })).body;
    const renamed = await api.patch(`/terminals/${id}`, { name: 'New name', unit: 'Ward 2' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id, name: 'New name', unit: 'Ward 2', status: 'pending' });
    expect((await api.patch(`/terminals/${id}`, { unit: null })).body.unit).toBeNull();
    const bad = await api.patch(`/terminals/${id}`, { name: '', siteId: 'st-elsewhere', status: 7 });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/name', '/siteId', '/status']);
  });

  it('revokes for good: idempotent, never un-revoked, its link dead, and a sign-in at it no longer counts as a known terminal', async () => {
    const rp: RelyingParty = await createRelyingParty(server);
    const credentials = { username: 'r.webber', password: 'chief of surgery passphrase' };
    await server.clinician({ ...credentials, displayName: 'Dr Richard Webber' });
    const created = (await api.post('/terminals', { name: 'Ward 5 PC 1', siteId: TEST_SITE.id })).body;
    const { credential } = await enroll(created.enrollmentUrl);
    expect((await server.hospital.terminals.identify(credential!))!.status).toBe('active');

    /** Signs in afresh at the terminal's browser; the terminal findings of the decision recorded. */
    const terminalFindings = async () => {
      const browser = new TestBrowser(server.issuer);
      await browser.jar.setCookie(`${TERMINAL_COOKIE}=${credential}; Path=/; HttpOnly`, server.issuer);
      const started = await rp.start();
      await signIn(browser, started.url, credentials);
      const user = await server.accounts.findByUsername(credentials.username);
      const decision = await server.db('decisions').where({ user_id: user!.id, phase: 'password' }).orderBy('at', 'desc').first();
      return (JSON.parse(decision.findings) as Array<{ code: string; details: Record<string, unknown> }>).filter((f) => f.code === 'known_terminal' || f.code === 'unknown_device');
    };
    expect(await terminalFindings()).toEqual([expect.objectContaining({ code: 'known_terminal' })]);

    const revoked = await api.patch(`/terminals/${created.id}`, { status: 'revoked' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: created.id, status: 'revoked', enrollmentExpiresAt: null });
    expect((await server.hospital.terminals.identify(credential!))!.status).toBe('revoked');
    expect(await terminalFindings()).toEqual([expect.objectContaining({ code: 'unknown_device', details: expect.objectContaining({ reason: 'revoked' }) })]);

    const again = await api.patch(`/terminals/${created.id}`, { status: 'revoked' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(revoked.body);
    for (const status of ['active', 'pending']) {
      const back = await api.patch(`/terminals/${created.id}`, { status });
      expect(back.status).toBe(422);
      expect(back.body.errors).toEqual([{ pointer: '/status', message: expect.stringContaining('revoked') }]);
    }
    const reissue = await api.post(`/terminals/${created.id}/enrollment`);
    expect(reissue.status).toBe(409);
    expect((await api.get(`/terminals/${created.id}`)).body.status).toBe('revoked');

    // A pending terminal's link stops working when it is revoked.
    const pending = (await api.post('/terminals', { name: 'Ward 5 PC 2', siteId: TEST_SITE.id })).body;
    expect((await api.patch(`/terminals/${pending.id}`, { status: 'revoked' })).status).toBe(200);
    expect(await enroll(pending.enrollmentUrl)).toMatchObject({ page: 400, confirm: 400 });
  });

  it('refuses to set a live terminal active or pending by hand', async () => {
    const { id } = (await api.post('/terminals', { name: 'Ward 6 PC 1', siteId: TEST_SITE.id })).body;
    const active = await api.patch(`/terminals/${id}`, { status: 'active' });
    expect(active.status).toBe(422);
    expect(active.body.errors[0].pointer).toBe('/status');
    expect((await api.patch(`/terminals/${id}`, { status: 'pending' })).status).toBe(200);
    expect((await api.get(`/terminals/${id}`)).body.status).toBe('pending');
  });

  it('reissues a one-time link: the old link and the old credential stop working, the new link works once', async () => {
    const created = (await api.post('/terminals', { name: 'Ward 7 PC 1', siteId: TEST_SITE.id })).body;
    const pendingAgain = await api.post(`/terminals/${created.id}/enrollment`);
    expect(pendingAgain.status).toBe(201);
    expect(Object.keys(pendingAgain.body).sort()).toEqual(PENDING_KEYS);
    expect(pendingAgain.body.enrollmentUrl).not.toBe(created.enrollmentUrl);
    expect((await enroll(created.enrollmentUrl)).confirm).toBe(400);

    const first = await enroll(pendingAgain.body.enrollmentUrl);
    expect(first.confirm).toBe(200);
    const reissued = await api.post(`/terminals/${created.id}/enrollment`);
    expect(reissued.status).toBe(201);
    expect(reissued.body).toMatchObject({ id: created.id, status: 'pending', name: 'Ward 7 PC 1' });
    expect(await server.hospital.terminals.identify(first.credential!)).toBeNull();
    expect((await enroll(reissued.body.enrollmentUrl)).confirm).toBe(200);
    expect((await enroll(reissued.body.enrollmentUrl)).confirm).toBe(400);
  });

  it('deletes a revoked or never-enrolled terminal, refuses an active one, and then lets its site be deleted', async () => {
    expect((await api.post('/sites', { ...OTHER_SITE, id: 'annex', name: 'Annex' })).status).toBe(201);
    const active = (await api.post('/terminals', { name: 'Annex PC 1', siteId: 'annex' })).body;
    const pending = (await api.post('/terminals', { name: 'Annex PC 2', siteId: 'annex' })).body;
    expect((await enroll(active.enrollmentUrl)).confirm).toBe(200);

    const refused = await api.delete(`/terminals/${active.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error_description).toContain('revoke it before deleting it');
    expect((await api.delete('/sites/annex')).status).toBe(409);

    expect((await api.delete(`/terminals/${pending.id}`)).status).toBe(204);
    expect((await api.patch(`/terminals/${active.id}`, { status: 'revoked' })).status).toBe(200);
    expect((await api.delete(`/terminals/${active.id}`)).status).toBe(204);
    expect((await api.get(`/terminals/${active.id}`)).status).toBe(404);
    expect((await api.delete(`/terminals/${active.id}`)).status).toBe(404);
    const audited = await server.db('audit_log').where({ type: 'admin.terminal.delete', subject: `terminal/${active.id}` }).first();
    expect(JSON.parse(audited.data).before).toMatchObject({ name: 'Annex PC 1', status: 'revoked' });
    expect((await api.delete('/sites/annex')).status).toBe(204);
  });

  it('answers 404 for an unknown terminal', async () => {
    const unknown = crypto.randomUUID();
    expect((await api.get(`/terminals/${unknown}`)).status).toBe(404);
    expect((await api.patch(`/terminals/${unknown}`, { status: 'revoked' })).status).toBe(404);
    expect((await api.patch(`/terminals/${unknown}`, { name: 'x' })).status).toBe(404);
    expect((await api.post(`/terminals/${unknown}/enrollment`)).status).toBe(404);
  });

  it('audits every change with the state before and after, and the enrollment, never a link, token, credential or hash', async () => {
    const created = (await api.post('/terminals', { name: 'Ward 9 PC 1', siteId: TEST_SITE.id })).body;
    const { credential } = await enroll(created.enrollmentUrl);
    await api.patch(`/terminals/${created.id}`, { name: 'Ward 9 PC A' });
    const reissued = (await api.post(`/terminals/${created.id}/enrollment`)).body;
    await api.patch(`/terminals/${created.id}`, { status: 'revoked' });

    const rows = await server.db('audit_log').where({ subject: `terminal/${created.id}` }).orderBy('id');
    expect(rows.map((r: { type: string }) => r.type)).toEqual(['admin.terminal.create', 'terminal.enrolled', 'admin.terminal.update', 'admin.terminal.enrollment_link', 'admin.terminal.revoke']);
    const [createdEntry, enrolledEntry, ...changes] = rows.map((r: { data: string }) => JSON.parse(r.data));
    expect(createdEntry.before).toBeNull();
    expect(createdEntry.after).toMatchObject({ id: created.id, status: 'pending' });
    expect(enrolledEntry).toMatchObject({ id: created.id, name: 'Ward 9 PC 1', siteId: TEST_SITE.id });
    expect(changes[0].before).toMatchObject({ name: 'Ward 9 PC 1', status: 'active' });
    expect(changes[0].after).toMatchObject({ name: 'Ward 9 PC A', status: 'active' });
    expect(changes[1].before.status).toBe('active');
    expect(changes[1].after.status).toBe('pending');
    expect(changes[2].before.status).toBe('pending');
    expect(changes[2].after.status).toBe('revoked');
    expect(rows[0].actor).toMatch(/^client:/);

    const row = await server.db('terminals').where({ id: created.id }).first();
    const secrets = [tokenOf(created.enrollmentUrl), tokenOf(reissued.enrollmentUrl), credential!, sha256(credential!), sha256(tokenOf(reissued.enrollmentUrl)), row.credential_hash ?? 'none'];
    for (const r of rows) {
      for (const secret of secrets) expect(r.data).not.toContain(secret);
      expect(r.data).not.toContain('/terminals/enroll/');
      for (const state of [JSON.parse(r.data).before, JSON.parse(r.data).after]) if (state) expect(Object.keys(state).sort()).toEqual(TERMINAL_KEYS);
    }
    // Nor any answer of the API.
    const answers = [await api.get(`/terminals/${created.id}`), await api.get('/terminals')];
    for (const answer of answers) for (const secret of secrets) expect(answer.text).not.toContain(secret);
    for (const item of answers[1]!.body.items) expect(Object.keys(item).sort()).toEqual(TERMINAL_KEYS);
  });
});
