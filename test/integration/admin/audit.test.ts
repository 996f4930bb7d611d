/**
 * /admin/api/v1/audit over HTTP: real sign-ins, sign-outs and admin changes exported as FHIR R4
 * AuditEvents (Bundle and ndjson), the export itself audited and bounded, filters and cursor
 * pages, and /audit/verify catching a row edited or deleted directly in the database.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../../helpers/database.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { adminClient, type AdminClient, type ApiResponse } from '../../helpers/admin.ts';
import { TestBrowser, formAction, signIn } from '../../helpers/browser.ts';
import { createRelyingParty, type RelyingParty } from '../../helpers/relying-party.ts';
import { TEST_SITE } from '../../helpers/hospital.ts';

const PASSWORD = 'ward round passphrase';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const SITE = { name: 'Audit Hospital', timezone: 'Europe/London', country: 'GB', latitude: null, longitude: null, networks: [] };

type AuditEvent = Record<string, any>;

describe.skipIf(databaseUnavailable())('admin API: audit log', () => {
  let db: TestDatabase;
  let server: TestServer;
  let api: AdminClient;
  let ehr: RelyingParty;
  let adminClientId: string;
  let greyId: string;
  let start: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    api = await adminClient(server);
    ehr = await createRelyingParty(server, { client_name: 'EHR', first_party: true, post_logout_redirect_uris: ['https://rp.example.test/signed-out'] });
    greyId = (await server.clinician({ username: 'm.grey', password: PASSWORD, displayName: 'Dr Meredith Grey' })).id;
    await server.hospital.sites.ensure(TEST_SITE);
    // Who the admin token belongs to, from the refusal-free call it makes.
    await api.post('/sites', { ...SITE, id: 'audit-probe' });
    const probe = await server.db('audit_log').where({ type: 'admin.site.create' }).first();
    adminClientId = probe.actor.slice('client:'.length);
    // The window of this file's exports: everything after the probe.
    start = new Date(Number(probe.at) + 1).toISOString();
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  /** Signs Dr Grey in at the ward terminal; returns the browser and the ID token. */
  async function greySignsIn() {
    const browser = await server.browser();
    const started = await ehr.start({ scope: 'openid' });
    const { callback } = await signIn(browser, started.url, { username: 'm.grey', password: PASSWORD });
    const tokens = await ehr.finish(callback!, started);
    return { browser, idToken: tokens.id_token! };
  }

  /** RP-initiated logout, confirmed on Wardgate's page: of everything (logout=yes) or of this app only. */
  async function signOut(browser: TestBrowser, idToken: string, everywhere: boolean) {
    const url = oidc.buildEndSessionUrl(ehr.config, { id_token_hint: idToken, post_logout_redirect_uri: 'https://rp.example.test/signed-out' });
    const page = await (await browser.follow(url.href)).res.text();
    const action = formAction(page, /action="[^"]*\/session\/end\/confirm"/);
    const xsrf = page.match(/name="xsrf" value="([^"]+)"/)![1]!;
    const done = await browser.postForm(new URL(action, server.issuer).href, everywhere ? { xsrf, logout: 'yes' } : { xsrf });
    expect(done.leftTo).toBe('https://rp.example.test/signed-out');
  }

  const typeOf = (event: AuditEvent) => event.entity.at(-1).detail.find((d: { type: string }) => d.type === 'type').valueString as string;

  async function exportFhir(query = `from=${encodeURIComponent(start)}`) {
    const response = await api.get(`/audit/export?format=fhir&${query}`);
    expect(response.status, response.text).toBe(200);
    return { response, bundle: JSON.parse(response.text) };
  }

  it('exports sign-ins (allowed and blocked), sign-outs and admin changes as a FHIR R4 Bundle of AuditEvents', async () => {
    const { browser, idToken } = await greySignsIn();
    await signOut(browser, idToken, true);
    const second = await greySignsIn();
    await signOut(second.browser, second.idToken, false);
    const script = new TestBrowser(server.issuer);
    script.headers['user-agent'] = 'curl/8.5.0';
    await script.follow((await ehr.start({ scope: 'openid' })).url);
    expect((await api.post('/sites', { ...SITE, id: 'fhir-site' })).status).toBe(201);

    const rows = await server.db('audit_log').where('at', '>=', Date.parse(start)).orderBy('id');
    const { response, bundle } = await exportFhir();
    expect(response.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="wardgate-audit-.+\.fhir\.json"$/);
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    const events: AuditEvent[] = bundle.entry.map((e: { resource: AuditEvent }) => e.resource);
    for (const event of events) {
      expect(event.resourceType).toBe('AuditEvent');
      expect(event.source.observer).toEqual({ identifier: { value: server.issuer }, display: server.issuer });
      expect(event.source.type).toEqual([{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '6', display: 'Security Server' }]);
      expect(event.agent.length).toBeGreaterThan(0);
    }
    expect(events.map((e) => e.id)).toEqual(rows.map((r: { id: number }) => String(r.id)));

    // Allowed sign-in: User Authentication / Login, success, Dr Grey as the human requestor with her address.
    const signIns = events.filter((e) => typeOf(e) === 'sign_in.decision');
    const allowed = signIns.find((e) => e.outcome === '0')!;
    expect(allowed.type).toEqual({ system: DCM, code: '110114', display: 'User Authentication' });
    expect(allowed.subtype).toEqual([{ system: DCM, code: '110122', display: 'Login' }]);
    expect(allowed.action).toBe('E');
    const ip = JSON.parse(rows.find((r: { type: string }) => r.type === 'sign_in.decision').data).ip;
    expect(allowed.agent[0]).toEqual({
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type', code: 'humanuser', display: 'human user' }] },
      who: { identifier: { system: `${server.issuer}/users`, value: 'm.grey' }, display: 'Dr Meredith Grey' },
      altId: greyId,
      requestor: true,
      network: { address: ip, type: '2' },
    });
    expect(allowed.agent[1]).toMatchObject({ who: { identifier: { value: ehr.clientId } }, requestor: false });
    expect(allowed.outcomeDesc).toMatch(/^Allowed: score .*On shift: Dr Meredith Grey at Test General Hospital/);

    // Blocked (before the password): serious failure, the address kept, nobody named.
    const blocked = signIns.find((e) => e.outcome === '8')!;
    expect(blocked.type.code).toBe('110114');
    expect(blocked.subtype[0].code).toBe('110122');
    expect(blocked.agent[0].who).toBeUndefined();
    expect(blocked.agent[0].network.type).toBe('2');
    expect(blocked.outcomeDesc).toMatch(/^Blocked: .*rule:deny-automation/);

    // Sign-outs: Logout, success; one of everything, one of this app only.
    const signOuts = events.filter((e) => typeOf(e) === 'sign_out');
    expect(signOuts).toHaveLength(2);
    for (const event of signOuts) {
      expect(event.type.code).toBe('110114');
      expect(event.subtype).toEqual([{ system: DCM, code: '110123', display: 'Logout' }]);
      expect(event.outcome).toBe('0');
      expect(event.agent[0]).toMatchObject({ who: { identifier: { value: 'm.grey' } }, altId: greyId, requestor: true, network: { address: ip, type: '2' } });
      expect(event.agent[1]).toMatchObject({ who: { identifier: { value: ehr.clientId } }, requestor: false });
    }
    expect(signOuts[0]!.outcomeDesc).toMatch(/every application/);
    expect(signOuts[1]!.outcomeDesc).toMatch(/the Wardgate session goes on/);
    const signOutRows = rows.filter((r: { type: string }) => r.type === 'sign_out').map((r: { data: string; actor: string; subject: string }) => ({ ...r, data: JSON.parse(r.data) }));
    expect(signOutRows[0]).toMatchObject({ actor: greyId, subject: ehr.clientId, data: { username: 'm.grey', clientId: ehr.clientId, scope: 'all', clients: [ehr.clientId], ip } });
    expect(signOutRows[1]!.data).toMatchObject({ scope: 'client', clients: [ehr.clientId] });

    // The admin change: rest / create / C, the admin client as the requesting application.
    const created = events.find((e) => typeOf(e) === 'admin.site.create')!;
    expect(created.type).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' });
    expect(created.subtype).toEqual([{ system: 'http://hl7.org/fhir/restful-interaction', code: 'create', display: 'create' }]);
    expect(created.action).toBe('C');
    expect(created.outcome).toBe('0');
    expect(created.agent).toEqual([expect.objectContaining({ type: { coding: [{ system: DCM, code: '110150', display: 'Application' }] }, who: expect.objectContaining({ identifier: { system: `${server.issuer}/clients`, value: adminClientId } }), requestor: true })]);
    expect(created.entity[0]).toMatchObject({ what: { identifier: { value: 'site/fhir-site' } }, role: { code: '2', display: 'Location' } });

    // Each event carries its entry's hash and content: the chain checks out from the export alone.
    let prev: string | undefined;
    for (const event of events) {
      const detail = Object.fromEntries(event.entity.at(-1).detail.map((d: { type: string; valueString?: string; valueBase64Binary?: string }) => [d.type, d.valueString ?? d.valueBase64Binary]));
      if (prev) expect(detail.prevHash).toBe(prev);
      const content = Buffer.from(detail.entry, 'base64').toString('utf8');
      expect(crypto.createHash('sha256').update(`${detail.prevHash}\n${content}`).digest('hex')).toBe(detail.hash);
      prev = detail.hash;
    }
  });

  it('records every export in the audit log, with who, the window and how many entries', async () => {
    const before = (await server.db('audit_log').where({ type: 'admin.audit.export' })).length;
    const { bundle } = await exportFhir();
    const rows = await server.db('audit_log').where({ type: 'admin.audit.export' }).orderBy('id');
    expect(rows).toHaveLength(before + 1);
    const last = rows.at(-1);
    expect(last.actor).toBe(`client:${adminClientId}`);
    expect(last.subject).toBe('audit/log');
    expect(JSON.parse(last.data)).toMatchObject({ action: 'export', details: { format: 'fhir', from: start, to: null, entries: bundle.entry.length } });
  });

  it('exports ndjson for a SIEM: one AuditEvent per line, in chain order', async () => {
    const response = await api.get(`/audit/export?format=ndjson&from=${encodeURIComponent(start)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(response.headers.get('content-disposition')).toMatch(/\.ndjson"$/);
    expect(response.text.endsWith('\n')).toBe(true);
    const lines = response.text.trimEnd().split('\n').map((line) => JSON.parse(line));
    const inWindow = await server.db('audit_log').where('at', '>=', Date.parse(start)).whereNot({ type: 'admin.audit.export' }).count({ n: '*' }).first();
    expect(lines.filter((l) => typeOf(l) !== 'admin.audit.export')).toHaveLength(Number(inWindow!.n));
    expect(lines.every((l) => l.resourceType === 'AuditEvent')).toBe(true);
    const ids = lines.map((l) => Number(l.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // Incremental collection: only what came after the last id seen.
    const after = ids.at(-3)!;
    const expected = (await server.db('audit_log').where('id', '>', after).orderBy('id')).map((r: { id: number }) => Number(r.id));
    const next = await api.get(`/audit/export?format=ndjson&after=${after}`);
    expect(next.text.trimEnd().split('\n').map((l) => Number(JSON.parse(l).id))).toEqual(expected);
    expect(expected.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses an export larger than allowed instead of cutting it short, and names bad windows', async () => {
    const count = Number((await server.db('audit_log').where('at', '>=', Date.parse(start)).count({ n: '*' }).first())!.n);
    const exportsBefore = (await server.db('audit_log').where({ type: 'admin.audit.export' })).length;
    const tooMany = await api.get(`/audit/export?format=ndjson&from=${encodeURIComponent(start)}&max=${count - 1}`);
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error).toBe('invalid_input');
    expect(tooMany.body.error_description).toMatch(new RegExp(`holds ${count} audit entries, more than ${count - 1} per export: narrow it`));
    expect((await server.db('audit_log').where({ type: 'admin.audit.export' })).length).toBe(exportsBefore);
    expect((await api.get('/audit/export?max=10001')).status).toBe(422);
    const bad = await api.get('/audit/export?format=csv&from=yesterday');
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/format', '/from']);
    const backwards = await api.get(`/audit/export?from=${encodeURIComponent('2026-11-30T00:00:00Z')}&to=${encodeURIComponent('2026-11-29T00:00:00Z')}`);
    expect(backwards.body.errors).toEqual([{ pointer: '/to', message: 'must be after from' }]);
  });

  it('lists entries newest first with filters (exact type, a prefix, actor by username, subject, window) and cursor pages', async () => {
    for (let i = 0; i < 5; i++) expect((await api.post('/sites', { ...SITE, id: `page-${i}` })).status).toBe(201);
    const seen: Array<{ id: number; type: string; subject: string }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response: ApiResponse = await api.get(`/audit?type=admin.site.create&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      seen.push(...response.body.items);
      cursor = response.body.nextCursor;
      pages++;
    } while (cursor);
    const creates = await server.db('audit_log').where({ type: 'admin.site.create' }).orderBy('id', 'desc');
    expect(seen.map((e) => e.id)).toEqual(creates.map((r: { id: number }) => Number(r.id)));
    expect(pages).toBe(Math.ceil(creates.length / 2));
    expect(seen.every((e) => e.type === 'admin.site.create')).toBe(true);

    const first = (await api.get('/audit?subject=site/page-3')).body.items;
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ type: 'admin.site.create', actor: `client:${adminClientId}`, actorUsername: null, subject: 'site/page-3', data: { resource: 'site', action: 'create', id: 'page-3', after: { id: 'page-3' } } });
    expect(first[0].hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first[0].prevHash).toMatch(/^[0-9a-f]{64}$/);
    expect(new Date(first[0].at).toISOString()).toBe(first[0].at);

    for (const prefix of ['admin.', 'admin.*']) {
      const items = (await api.get(`/audit?type=${prefix}&limit=500`)).body.items as Array<{ type: string }>;
      expect(items.length).toBeGreaterThan(5);
      expect(items.every((e) => e.type.startsWith('admin.'))).toBe(true);
      expect(items.map((e) => e.type)).toContain('admin.audit.export');
    }
    // Underscore is not a wildcard: "sign_" matches sign_in.* and sign_out only.
    const signs = (await api.get('/audit?type=sign_*&limit=500')).body.items as Array<{ type: string }>;
    expect(new Set(signs.map((e) => e.type))).toEqual(new Set(['sign_in.decision', 'sign_out']));

    const greys = (await api.get('/audit?actor=m.grey&limit=500')).body.items as Array<{ type: string; actor: string; actorUsername: string }>;
    expect(greys.length).toBeGreaterThan(0);
    expect(greys.every((e) => e.actor === greyId && e.actorUsername === 'm.grey')).toBe(true);
    expect(new Set(greys.map((e) => e.type))).toEqual(new Set(['sign_in.decision', 'sign_out']));
    expect((await api.get(`/audit?actor=${greyId}&limit=500`)).body.items).toHaveLength(greys.length);

    const future = encodeURIComponent(new Date(Date.now() + 3600_000).toISOString());
    expect((await api.get(`/audit?from=${future}`)).body).toEqual({ items: [], nextCursor: null });
    const windowed = (await api.get(`/audit?to=${encodeURIComponent(start)}&limit=500`)).body.items as Array<{ at: string }>;
    expect(windowed.length).toBeGreaterThan(0);
    expect(windowed.every((e) => Date.parse(e.at) < Date.parse(start))).toBe(true);
  });

  it('names bad list filters', async () => {
    const bad = await api.get('/audit?type=Admin%20changes&cursor=abc&colour=blue');
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/colour', '/cursor', '/type']);
    expect((await fetch(`${server.issuer}/admin/api/v1/audit`)).status).toBe(401);
  });

  it('verifies the chain, and finds a row edited in the database and a row deleted from it', async () => {
    const ok = await api.get('/audit/verify');
    expect(ok.status).toBe(200);
    const total = Number((await server.db('audit_log').count({ n: '*' }).first())!.n);
    expect(ok.body).toEqual({ valid: true, checked: total });

    // Someone with database access edits an entry: the chain breaks at that entry.
    const rows = await server.db('audit_log').orderBy('id');
    const target = rows.find((r: { type: string }) => r.type === 'sign_in.decision');
    await server.db('audit_log').where({ id: target.id }).update({ data: target.data.replace('"outcome":"allow"', '"outcome":"deny"') });
    const edited = await api.get('/audit/verify');
    expect(edited.body).toEqual({ valid: false, checked: rows.findIndex((r: { id: number }) => r.id === target.id), firstBrokenId: Number(target.id) });
    await server.db('audit_log').where({ id: target.id }).update({ data: target.data });
    expect((await api.get('/audit/verify')).body.valid).toBe(true);

    // Someone deletes an entry in the middle: the chain breaks at the entry after it.
    const middle = rows[Math.floor(rows.length / 2)];
    const after = rows[Math.floor(rows.length / 2) + 1];
    await server.db('audit_log').where({ id: middle.id }).delete();
    const deleted = await api.get('/audit/verify');
    expect(deleted.body).toMatchObject({ valid: false, firstBrokenId: Number(after.id) });
    await server.db('audit_log').insert(middle);
    expect((await api.get('/audit/verify')).body).toMatchObject({ valid: true });
  });
});
