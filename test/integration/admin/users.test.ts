/**
 * /admin/api/v1/users over HTTP: the contract, search and pagination, bad input named field by
 * field, disabling that really ends sessions and tokens, enrollment links, removing security keys,
 * no secret in any answer or audit row, and the audit trail.
 */
import crypto from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../../helpers/database.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { adminClient, type AdminClient } from '../../helpers/admin.ts';
import { signIn, TestBrowser } from '../../helpers/browser.ts';
import { createRelyingParty, type RelyingParty } from '../../helpers/relying-party.ts';

const USER_KEYS = ['createdAt', 'disabled', 'displayName', 'email', 'fhirUser', 'hasPassword', 'id', 'roles', 'securityKeys', 'username'];
const GREY = { username: 'm.grey', password: 'general surgeon passphrase', displayName: 'Dr Meredith Grey', email: 'm.grey@seattle-grace.example', roles: ['clinician'], fhirUser: 'https://fhir.example/Practitioner/grey' };

describe.skipIf(databaseUnavailable())('admin API: users', () => {
  let db: TestDatabase;
  let server: TestServer;
  let api: AdminClient;
  let rp: RelyingParty;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    api = await adminClient(server);
    rp = await createRelyingParty(server);
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  /** Creates a user through the API; they are on shift now at the test site, so a sign-in is trusted. */
  async function createOnShift(body: Record<string, unknown>) {
    const created = await api.post('/users', body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await server.hospital.onShiftNow(String(body.username));
    return created.body as { id: string; username: string };
  }

  /** Signs the user in at a ward terminal through the relying app; the tokens it got. */
  async function signedIn(credentials: { username: string; password: string }) {
    const browser = await server.browser();
    const started = await rp.start();
    const { callback } = await signIn(browser, started.url, credentials);
    expect(callback, 'sign-in reached the app').toBeDefined();
    return { browser, tokens: await rp.finish(callback!, started) };
  }

  const payloadsOf = (accountId: string) => server.db('oidc_payloads').where({ account_id: accountId });

  /** Two made-up security keys for a user (the API never reads their key material). */
  async function addSecurityKeys(userId: string, count = 2) {
    for (let i = 0; i < count; i++) {
      await server.db('webauthn_credentials').insert({
        id: crypto.randomBytes(16).toString('base64url'),
        user_id: userId,
        public_key: crypto.randomBytes(77).toString('base64url'),
        counter: 0,
        transports: '["usb"]',
        aaguid: null,
        device_type: 'singleDevice',
        backed_up: false,
        nickname: `Key ${i + 1}`,
        created_at: Date.now(),
        last_used_at: null,
      });
    }
  }

  it('creates, reads, lists and changes a user', async () => {
    const created = await api.post('/users', GREY);
    expect(created.status).toBe(201);
    const { password: _password, ...profile } = GREY;
    expect(created.body).toEqual({ ...profile, id: expect.any(String), disabled: false, createdAt: expect.any(String), hasPassword: true, securityKeys: 0 });
    expect(new Date(created.body.createdAt).toISOString()).toBe(created.body.createdAt);
    expect(Date.now() - Date.parse(created.body.createdAt)).toBeLessThan(3600_000);
    const id = created.body.id as string;

    expect((await api.get(`/users/${id}`)).body).toEqual(created.body);
    const listed = await api.get('/users?q=m.grey');
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ items: [created.body], nextCursor: null });

    const updated = await api.patch(`/users/${id}`, { displayName: 'Dr Meredith Grey-Shepherd', email: null, roles: ['it-admin', 'clinician', 'clinician'], fhirUser: null });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ ...created.body, displayName: 'Dr Meredith Grey-Shepherd', email: null, roles: ['clinician', 'it-admin'], fhirUser: null });
    expect((await api.get(`/users/${id}`)).body).toEqual(updated.body);
  });

  it('creates a user without a password (security key only) and sets a password later, validated as the CLI does', async () => {
    const created = await api.post('/users', { username: 'keys.only', displayName: 'Key Only' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'keys.only', email: null, roles: [], fhirUser: null, hasPassword: false });

    const short = await api.patch(`/users/${created.body.id}`, { password: 'too short' });
    expect(short.status).toBe(422);
    expect(short.body.errors).toEqual([{ pointer: '/password', message: 'must be at least 12 characters' }]);

    const set = await api.patch(`/users/${created.body.id}`, { password: 'a long enough passphrase' });
    expect(set.status).toBe(200);
    expect(set.body.hasPassword).toBe(true);
    expect((await server.accounts.authenticate('keys.only', 'a long enough passphrase')).ok).toBe(true);
  });

  it('names every bad field when creating: wrong types, an unknown field, a bad email, bad roles, a short password, a bad username', async () => {
    const response = await api.post('/users', {
      username: ' bad name!',
      password: 'short',
      displayName: 42,
      email: 'not-an-email',
      roles: ['Admin', 7],
      fhirUser: 'not a url',
      colour: 'blue',
    });
    expect(response.status).toBe(422);
    expect(response.body.error).toBe('invalid_input');
    const byPointer = Object.fromEntries(response.body.errors.map((e: { pointer: string; message: string }) => [e.pointer, e.message]));
    expect(Object.keys(byPointer).sort()).toEqual(['/colour', '/displayName', '/email', '/fhirUser', '/password', '/roles/0', '/roles/1', '/username']);
    expect(byPointer['/colour']).toBe('unknown field "colour"');
    expect(byPointer['/roles/0']).toBe('must be lower-case letters, digits and -');
    expect(byPointer['/password']).toBe('must be at least 12 characters');
    expect(byPointer['/username']).toMatch(/^must be 1-128 letters/);

    const missing = await api.post('/users', {});
    expect(missing.status).toBe(422);
    expect(missing.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/displayName', '/username']);
    expect((await api.get('/users?q=bad')).body.items).toEqual([]);
  });

  it('names every bad field when changing, refuses a username change and a disabled flag that is not a boolean', async () => {
    const { id } = (await api.post('/users', { username: 'c.yang', displayName: 'Dr Cristina Yang' })).body;
    const response = await api.patch(`/users/${id}`, { email: 'yang@', roles: 'cardio', disabled: 'yes', username: 'c.yang2', password: 12 });
    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/disabled', '/email', '/password', '/roles', '/username']);
    expect(response.body.errors.find((e: { pointer: string }) => e.pointer === '/username').message).toBe('unknown field "username"');
    expect((await api.get(`/users/${id}`)).body).toMatchObject({ username: 'c.yang', email: null, disabled: false });
  });

  it('answers 409 for a username taken in another case or form, 404 for an unknown id', async () => {
    await api.post('/users', { username: 'A.Robbins', displayName: 'Dr Arizona Robbins' });
    const taken = await api.post('/users', { username: 'a.robbins', displayName: 'Someone else' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toBe('conflict');
    expect(taken.body.error_description).toContain('username');

    const unknown = crypto.randomUUID();
    expect((await api.get(`/users/${unknown}`)).status).toBe(404);
    expect((await api.patch(`/users/${unknown}`, { displayName: 'x' })).status).toBe(404);
    expect((await api.patch(`/users/${unknown}`, { disabled: true })).status).toBe(404);
    expect((await api.post(`/users/${unknown}/enrollment-link`)).status).toBe(404);
    expect((await api.delete(`/users/${unknown}/credentials`)).status).toBe(404);
  });

  it('searches username, display name and email in any case, filters by role and state, and pages in username order', async () => {
    const people = [
      { username: 'p.zeta', displayName: 'Paging Zeta', email: 'zeta@wards.example', roles: ['nurse'] },
      { username: 'p.alpha', displayName: 'Paging Alpha', email: 'ALPHA@Wards.example', roles: ['nurse', 'it-admin'] },
      { username: 'P.Gamma', displayName: 'Paging Gamma', roles: ['clinician'] },
      { username: 'p.beta', displayName: 'Paging Beta', roles: ['nurse-lead'] },
      { username: 'p.delta', displayName: 'Paging Delta' },
    ];
    const ids: Record<string, string> = {};
    for (const person of people) ids[person.username] = (await api.post('/users', person)).body.id;
    await api.patch(`/users/${ids['p.delta']}`, { disabled: true });

    const names = (body: { items: Array<{ username: string }> }) => body.items.map((u) => u.username);
    expect(names((await api.get('/users?q=PAGING')).body)).toEqual(['p.alpha', 'p.beta', 'p.delta', 'P.Gamma', 'p.zeta']);
    expect(names((await api.get('/users?q=p.gam')).body)).toEqual(['P.Gamma']);
    expect(names((await api.get('/users?q=alpha%40wards')).body)).toEqual(['p.alpha']);
    expect(names((await api.get('/users?q=ging%20ze')).body)).toEqual(['p.zeta']);
    // LIKE wildcards in the search are plain characters.
    expect((await api.get('/users?q=%25')).body.items).toEqual([]);
    expect((await api.get('/users?q=p_alpha')).body.items).toEqual([]);
    // A role matches whole: "nurse" is not "nurse-lead".
    expect(names((await api.get('/users?q=paging&role=nurse')).body)).toEqual(['p.alpha', 'p.zeta']);
    expect(names((await api.get('/users?q=paging&disabled=true')).body)).toEqual(['p.delta']);
    expect(names((await api.get('/users?q=paging&disabled=false&role=nurse-lead')).body)).toEqual(['p.beta']);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { items: Array<{ username: string }>; nextCursor: string | null } } = await api.get(`/users?q=paging&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...names(page.body));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(['p.alpha', 'p.beta', 'p.delta', 'P.Gamma', 'p.zeta']);
  });

  it('refuses bad list queries naming the parameter', async () => {
    const bad = await api.get('/users?limit=0&disabled=maybe&cursor=nonsense&role=Nurse&sort=name');
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/cursor', '/disabled', '/limit', '/role', '/sort']);
    expect(bad.body.errors.find((e: { pointer: string }) => e.pointer === '/cursor').message).toBe('not a cursor this API gave out');
  });

  it('never answers a password hash or key material, in any operation', async () => {
    const created = await createOnShift({ username: 'l.webber', password: 'chief of surgery pass', displayName: 'Dr Richard Webber' });
    await addSecurityKeys(created.id, 1);
    const answers = [
      await api.get(`/users/${created.id}`),
      await api.get('/users?q=webber'),
      await api.patch(`/users/${created.id}`, { password: 'another long passphrase' }),
    ];
    const users = [answers[0]!.body, answers[1]!.body.items[0], answers[2]!.body];
    for (const user of users) expect(Object.keys(user).sort()).toEqual(USER_KEYS);
    expect(users[0].securityKeys).toBe(1);
    const row = await server.db('users').where({ id: created.id }).first();
    const key = await server.db('webauthn_credentials').where({ user_id: created.id }).first();
    for (const answer of answers) {
      expect(answer.text).not.toContain(row.password_hash);
      expect(answer.text).not.toContain('$argon2');
      expect(answer.text).not.toContain(key.public_key);
      expect(answer.text).not.toContain('passphrase');
    }
  });

  it('disabling ends the sessions and revokes the tokens at once, and sign-in is refused; enabling lets the person back in', async () => {
    const credentials = { username: 'a.karev', password: 'peds surgeon passphrase' };
    const user = await createOnShift({ ...credentials, displayName: 'Dr Alex Karev', roles: ['clinician'] });
    const { browser, tokens } = await signedIn(credentials);
    expect(tokens.refresh_token).toBeDefined();
    const held = await payloadsOf(user.id);
    expect(held.map((r: { type: string }) => r.type)).toEqual(expect.arrayContaining(['Session', 'Grant']));

    const disabled = await api.patch(`/users/${user.id}`, { disabled: true });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: user.id, disabled: true });
    expect(Object.keys(disabled.body).sort()).toEqual(USER_KEYS);

    expect(await payloadsOf(user.id)).toEqual([]);
    const grantIds = held.map((r: { grant_id: string | null }) => r.grant_id).filter(Boolean);
    expect(await server.db('oidc_payloads').whereIn('grant_id', grantIds)).toEqual([]);
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(rp.config, tokens.access_token, user.id)).rejects.toThrow();
    const again = await rp.start();
    const refused = await signIn(browser, again.url, credentials);
    expect(refused.callback).toBeUndefined();
    expect(refused.status).toBe(403);
    expect(refused.page).toContain('This account is disabled');

    const audit = await server.db('audit_log').where({ subject: `user/${user.id}`, type: 'admin.user.disable' }).first();
    const data = JSON.parse(audit.data);
    expect(data.before.disabled).toBe(false);
    expect(data.after.disabled).toBe(true);
    expect(data.details.revoked).toBe(held.length);

    const enabled = await api.patch(`/users/${user.id}`, { disabled: false });
    expect(enabled.status).toBe(200);
    expect(enabled.body.disabled).toBe(false);
    expect((await server.db('audit_log').where({ subject: `user/${user.id}`, type: 'admin.user.enable' })).length).toBe(1);
    await signedIn(credentials);
  });

  it('a password set by IT ends the sessions and tokens made with the old one, and only the new password signs in', async () => {
    const credentials = { username: 'j.wilson', password: 'oncology passphrase one' };
    const user = await createOnShift({ ...credentials, displayName: 'Dr James Wilson', roles: ['clinician'] });
    const { browser, tokens } = await signedIn(credentials);
    const held = (await payloadsOf(user.id)).length;
    expect(held).toBeGreaterThan(0);

    const changed = await api.patch(`/users/${user.id}`, { password: 'oncology passphrase two' });
    expect(changed.status).toBe(200);
    expect(await payloadsOf(user.id)).toEqual([]);
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const audit = JSON.parse((await server.db('audit_log').where({ subject: `user/${user.id}`, type: 'admin.user.update' }).first()).data);
    expect(audit.details).toEqual({ revoked: held, passwordChanged: true });

    const old = await signIn(browser, (await rp.start()).url, credentials);
    expect(old.callback).toBeUndefined();
    await signedIn({ username: credentials.username, password: 'oncology passphrase two' });
  });

  it('gives a one-time enrollment link: its page opens, a newer link voids it, and neither the link nor its token is stored or audited', async () => {
    const { id } = (await api.post('/users', { username: 'o.malley', displayName: 'Dr George O\'Malley' })).body;
    const first = await api.post(`/users/${id}/enrollment-link`);
    expect(first.status).toBe(201);
    expect(Object.keys(first.body).sort()).toEqual(['expiresAt', 'url']);
    expect(first.body.url).toMatch(new RegExp(`^${server.issuer}/enroll/[A-Za-z0-9_-]{43}$`));
    expect(Date.parse(first.body.expiresAt) - Date.now()).toBeGreaterThan(23 * 3600_000);

    const browser = new TestBrowser(server.issuer);
    const page = await browser.request(first.body.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Dr George');

    const second = await api.post(`/users/${id}/enrollment-link`);
    expect(second.status).toBe(201);
    expect(second.body.url).not.toBe(first.body.url);
    expect((await browser.request(first.body.url)).status).toBe(400);
    expect((await browser.request(second.body.url)).status).toBe(200);

    // A link that has been used (a key registered with it) is not live again.
    const token = second.body.url.split('/').pop();
    await server.db('webauthn_enrollment_links').where({ user_id: id }).whereNull('used_at').update({ used_at: Date.now() });
    expect((await browser.request(second.body.url)).status).toBe(400);

    const links = await server.db('webauthn_enrollment_links').where({ user_id: id });
    expect(JSON.stringify(links)).not.toContain(token);
    const audit = await server.db('audit_log').where({ subject: `user/${id}`, type: 'admin.user.enrollment_link' }).orderBy('id');
    expect(audit).toHaveLength(2);
    for (const row of audit) {
      expect(row.data).not.toContain(token);
      expect(row.data).not.toContain('/enroll/');
      expect(JSON.parse(row.data).details.expiresAt).toEqual(expect.any(String));
      expect(row.actor).toMatch(/^client:/);
    }
    const byWebauthn = await server.db('audit_log').where({ subject: id, type: 'webauthn.enrollment_link' });
    expect(byWebauthn).toHaveLength(2);
    expect(byWebauthn[0].actor).toMatch(/^client:/);
  });

  it('refuses an enrollment link for a disabled user', async () => {
    const { id } = (await api.post('/users', { username: 'i.stevens', displayName: 'Dr Izzie Stevens' })).body;
    await api.patch(`/users/${id}`, { disabled: true });
    const refused = await api.post(`/users/${id}/enrollment-link`);
    expect(refused.status).toBe(409);
    expect(refused.body.error_description).toContain('disabled');
    expect(await server.db('webauthn_enrollment_links').where({ user_id: id })).toEqual([]);
  });

  it('resetting credentials removes every security key, voids the live link and ends sessions and tokens', async () => {
    const credentials = { username: 'm.bailey', password: 'the nazi passphrase' };
    const user = await createOnShift({ ...credentials, displayName: 'Dr Miranda Bailey' });
    await addSecurityKeys(user.id, 2);
    const link = (await api.post(`/users/${user.id}/enrollment-link`)).body;
    const { tokens } = await signedIn(credentials);
    const held = (await payloadsOf(user.id)).length;
    expect(held).toBeGreaterThan(0);
    expect((await api.get(`/users/${user.id}`)).body.securityKeys).toBe(2);

    const reset = await api.delete(`/users/${user.id}/credentials`);
    expect(reset.status).toBe(200);
    expect(reset.body).toEqual({ removed: 2, sessionsEnded: held });
    expect(await server.db('webauthn_credentials').where({ user_id: user.id })).toEqual([]);
    expect(await payloadsOf(user.id)).toEqual([]);
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await new TestBrowser(server.issuer).request(link.url)).status).toBe(400);
    const after = (await api.get(`/users/${user.id}`)).body;
    expect(after).toMatchObject({ securityKeys: 0, disabled: false, hasPassword: true });

    const again = await api.delete(`/users/${user.id}/credentials`);
    expect(again.body).toEqual({ removed: 0, sessionsEnded: 0 });

    const audit = await server.db('audit_log').where({ subject: `user/${user.id}`, type: 'admin.user.reset_credentials' }).orderBy('id');
    expect(audit).toHaveLength(2);
    const data = JSON.parse(audit[0].data);
    expect(data.before.securityKeys).toBe(2);
    expect(data.after.securityKeys).toBe(0);
    expect(data.details).toEqual({ removed: 2, sessionsEnded: held });
  });

  it('audits every change with who made it and the state before and after, never a secret', async () => {
    const created = (await api.post('/users', { username: 'c.torres', password: 'ortho surgeon passphrase', displayName: 'Dr Callie Torres', roles: ['clinician'] })).body;
    await api.patch(`/users/${created.id}`, { email: 'torres@seattle-grace.example', password: 'a brand new passphrase' });
    await api.patch(`/users/${created.id}`, { disabled: true });
    await api.patch(`/users/${created.id}`, { disabled: false });
    await api.post(`/users/${created.id}/enrollment-link`);
    await api.delete(`/users/${created.id}/credentials`);
    const rows = await server.db('audit_log').where({ subject: `user/${created.id}` }).orderBy('id');
    expect(rows.map((r: { type: string }) => r.type)).toEqual([
      'admin.user.create',
      'admin.user.update',
      'admin.user.disable',
      'admin.user.enable',
      'admin.user.enrollment_link',
      'admin.user.reset_credentials',
    ]);
    const [create, update] = rows.map((r: { data: string }) => JSON.parse(r.data));
    expect(create.before).toBeNull();
    expect(create.after).toMatchObject({ id: created.id, username: 'c.torres', hasPassword: true, roles: ['clinician'] });
    expect(update.before.email).toBeNull();
    expect(update.after.email).toBe('torres@seattle-grace.example');
    expect(update.details).toEqual({ revoked: 0, passwordChanged: true });
    expect(update.actor.kind).toBe('client');
    expect(rows[1].actor).toMatch(/^client:/);
    const hash = (await server.db('users').where({ id: created.id }).first()).password_hash;
    for (const row of rows) {
      expect(row.data).not.toContain('passphrase');
      expect(row.data).not.toContain(hash);
      expect(row.data).not.toContain('$argon2');
      expect(Object.keys(JSON.parse(row.data).after ?? {}).every((k) => USER_KEYS.includes(k))).toBe(true);
    }
  });
});
