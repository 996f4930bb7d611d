/**
 * /admin/api/v1/clients over HTTP: registering a relying app (its secret shown once, stored sealed,
 * never listed or audited), bad input named field by field, changes validated as a whole and
 * applied at the next request, Wardgate's own clients read-only, and a deleted client's tokens dead.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../../helpers/database.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { adminClient, AdminClient, tokenFor, type ApiResponse } from '../../helpers/admin.ts';
import { signIn } from '../../helpers/browser.ts';

const REDIRECT_URI = 'https://ehr.hospital.example/callback';
const EHR = { client_name: 'Ward EHR', redirect_uris: [REDIRECT_URI], sensitivity: 'standard' };
const BOOTSTRAP_ID = 'it-bootstrap';
const BOOTSTRAP_SECRET = 'bootstrap-secret-bootstrap-secret-0123456789';
const GREY = { username: 'm.grey', password: 'correct horse battery staple' };

const pointers = (response: ApiResponse) => (response.body.errors as Array<{ pointer: string }>).map((e) => e.pointer).sort();
const messageAt = (response: ApiResponse, pointer: string) => (response.body.errors as Array<{ pointer: string; message: string }>).find((e) => e.pointer === pointer)?.message;

describe.skipIf(databaseUnavailable())('admin API: clients', () => {
  let db: TestDatabase;
  let server: TestServer;
  let api: AdminClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db, { WARDGATE_BOOTSTRAP_ADMIN_CLIENT_ID: BOOTSTRAP_ID, WARDGATE_BOOTSTRAP_ADMIN_CLIENT_SECRET: BOOTSTRAP_SECRET });
    api = await adminClient(server);
    await server.clinician({ ...GREY, displayName: 'Dr Meredith Grey' });
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it('registers a confidential client and shows its secret once: never in list, read, audit or the table', async () => {
    const created = await api.post('/clients', EHR);
    expect(created.status).toBe(201);
    const { client_id: id, client_secret: secret } = created.body;
    expect(id).toMatch(/^wg-[A-Za-z0-9_-]{16}$/);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({
      client_name: 'Ward EHR',
      redirect_uris: [REDIRECT_URI],
      post_logout_redirect_uris: [],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
      scope: 'openid offline_access profile email roles fhirUser',
      sensitivity: 'standard',
      first_party: false,
      internal: false,
    });
    expect(Date.parse(created.body.created_at)).not.toBeNaN();

    const read = await api.get(`/clients/${id}`);
    expect(read.status).toBe(200);
    const { client_secret: _shownOnce, ...withoutSecret } = created.body;
    expect(read.body).toEqual(withoutSecret);
    const listed = await api.get('/clients');
    expect(listed.body.items.find((c: { client_id: string }) => c.client_id === id)).toEqual(withoutSecret);
    for (const text of [read.text, listed.text]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain('"client_secret"');
    }
    const row = await server.db('clients').where({ client_id: id }).first();
    expect(row.secret_encrypted).toBeTruthy();
    expect(`${row.metadata}${row.secret_encrypted}`).not.toContain(secret);
    const audit = await server.db('audit_log').where({ subject: `client/${id}` });
    expect(audit.map((r: { type: string }) => r.type)).toEqual(['admin.client.create']);
    expect(audit[0].data).not.toContain(secret);
    expect(JSON.parse(audit[0].data).after).toEqual(withoutSecret);

    // The secret works at the token endpoint, so it was stored as given back.
    const config = await oidc.discovery(new URL(server.issuer), id, undefined, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });
    const started = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    expect((await fetch(started, { redirect: 'manual' })).status).toBe(303);
  });

  it('registers a public client without a secret, and a high-sensitivity first-party one', async () => {
    const spa = await api.post('/clients', { ...EHR, client_name: 'Ward SPA', token_endpoint_auth_method: 'none', grant_types: ['authorization_code'] });
    expect(spa.status).toBe(201);
    expect(spa.body).not.toHaveProperty('client_secret');
    expect(spa.body.token_endpoint_auth_method).toBe('none');
    const pharmacy = await api.post('/clients', { ...EHR, client_name: 'Pharmacy', sensitivity: 'high', first_party: true, scope: 'openid profile', backchannel_logout_uri: 'https://pharmacy.example/bcl' });
    expect(pharmacy.status).toBe(201);
    expect(pharmacy.body).toMatchObject({ sensitivity: 'high', first_party: true, scope: 'openid profile', backchannel_logout_uri: 'https://pharmacy.example/bcl' });
  });

  it('names every bad field: wrong types, unknown fields, a chosen id or secret, a missing sensitivity', async () => {
    const wrong = await api.post('/clients', { client_name: 42, redirect_uris: 'https://x.example/cb', first_party: 'yes', sensitivity: 'critical', grant_types: ['password'], colour: 'blue' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error).toBe('invalid_input');
    expect(pointers(wrong)).toEqual(['/client_name', '/colour', '/first_party', '/grant_types/0', '/redirect_uris', '/sensitivity']);
    expect(messageAt(wrong, '/colour')).toBe('unknown field "colour"');

    const chosen = await api.post('/clients', { ...EHR, client_id: 'my-ehr', client_secret: 'x'.repeat(40) });
    expect(chosen.status).toBe(422);
    expect(pointers(chosen)).toEqual(['/client_id', '/client_secret']);
    expect(messageAt(chosen, '/client_secret')).toBe('unknown field "client_secret"');

    const { sensitivity: _, ...noSensitivity } = EHR;
    const missing = await api.post('/clients', noSensitivity);
    expect(missing.status).toBe(422);
    expect(pointers(missing)).toEqual(['/sensitivity']);

    const rules = await api.post('/clients', { client_name: 'No callback', sensitivity: 'standard', redirect_uris: ['https://x.example/cb#frag'], scope: 'openid everything' });
    expect(pointers(rules)).toEqual(['/redirect_uris/0', '/scope']);
    const noCallback = await api.post('/clients', { client_name: 'No callback', sensitivity: 'standard' });
    expect(noCallback.status).toBe(422);
    expect(messageAt(noCallback, '/redirect_uris')).toBe('required for the authorization_code grant');
    const publicService = await api.post('/clients', { client_name: 'Bad', sensitivity: 'standard', grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' });
    expect(messageAt(publicService, '/grant_types')).toBe('client_credentials needs a confidential client');

    const names = (await api.get('/clients')).body.items.map((c: { client_name: string }) => c.client_name);
    expect(names).not.toContain('No callback');
    expect(names).not.toContain('Bad');
  });

  it('changes a client, validated as a whole, keeping its secret; the change applies to the next request', async () => {
    const service = await api.post('/clients', { client_name: 'Lab robot', sensitivity: 'standard', grant_types: ['client_credentials'], scope: 'wardgate:admin' });
    const { client_id: id, client_secret: secret } = service.body;
    const renamed = await api.patch(`/clients/${id}`, { client_name: 'Lab robot 2', sensitivity: 'high', token_endpoint_auth_method: 'client_secret_post' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ client_id: id, client_name: 'Lab robot 2', sensitivity: 'high', token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'] });
    expect(renamed.body).not.toHaveProperty('client_secret');
    expect(Date.parse(renamed.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(renamed.body.created_at));
    // The same secret still works (oidc-provider takes basic and post alike for either method).
    expect((await tokenFor(server, id, secret)).status).toBe(200);
    const post = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'wardgate:admin', client_id: id, client_secret: secret }),
    });
    expect(post.status).toBe(200);

    // A change that breaks the whole: the code grant without redirect URIs; a public client from a confidential one.
    const noCallback = await api.patch(`/clients/${id}`, { grant_types: ['authorization_code'] });
    expect(noCallback.status).toBe(422);
    expect(messageAt(noCallback, '/redirect_uris')).toBe('required for the authorization_code grant');
    const toPublic = await api.patch(`/clients/${id}`, { token_endpoint_auth_method: 'none' });
    expect(toPublic.status).toBe(422);
    expect(pointers(toPublic)).toEqual(['/grant_types', '/token_endpoint_auth_method']);
    expect(messageAt(toPublic, '/token_endpoint_auth_method')).toMatch(/^cannot change from client_secret_post to none/);
    expect(messageAt(toPublic, '/grant_types')).toBe('client_credentials needs a confidential client');
    const unknown = await api.patch(`/clients/${id}`, { client_secret: 'y'.repeat(40), client_id: 'other', sensitivity: 3 });
    expect(pointers(unknown)).toEqual(['/client_id', '/client_secret', '/sensitivity']);
    expect((await api.get(`/clients/${id}`)).body.client_name).toBe('Lab robot 2');

    // Redirect URIs: the old one is refused at the authorization endpoint at once.
    const app = await api.post('/clients', { ...EHR, client_name: 'Moving app', backchannel_logout_uri: 'https://ehr.hospital.example/bcl' });
    const authorize = (redirectUri: string) =>
      fetch(`${server.issuer}/auth?${new URLSearchParams({ client_id: app.body.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`, { redirect: 'manual' });
    expect((await authorize(REDIRECT_URI)).status).toBe(303);
    const moved = await api.patch(`/clients/${app.body.client_id}`, { redirect_uris: ['https://ehr2.hospital.example/callback'], backchannel_logout_uri: null });
    expect(moved.status).toBe(200);
    expect(moved.body).not.toHaveProperty('backchannel_logout_uri');
    expect((await authorize(REDIRECT_URI)).status).toBe(400);
    expect((await authorize('https://ehr2.hospital.example/callback')).status).toBe(303);

    const audit = await server.db('audit_log').where({ subject: `client/${id}`, type: 'admin.client.update' });
    expect(audit).toHaveLength(1);
    const change = JSON.parse(audit[0].data);
    expect(change.before.client_name).toBe('Lab robot');
    expect(change.after.client_name).toBe('Lab robot 2');
    expect(audit[0].data).not.toContain(secret);
  });

  it('answers 404 for an unknown client and 422 for a bad id', async () => {
    expect((await api.get('/clients/wg-nobody')).status).toBe(404);
    expect((await api.patch('/clients/wg-nobody', { client_name: 'x' })).status).toBe(404);
    expect((await api.delete('/clients/wg-nobody')).status).toBe(404);
    expect((await api.get(`/clients/${'x'.repeat(200)}`)).status).toBe(422);
  });

  it("refuses to change or delete Wardgate's own clients (409), and lists them as internal", async () => {
    for (const id of ['wardgate-account', 'wardgate-admin', 'wardgate-demo', BOOTSTRAP_ID]) {
      const patched = await api.patch(`/clients/${id}`, { client_name: 'Mine now' });
      expect(patched.status, id).toBe(409);
      expect(patched.body.error).toBe('conflict');
      expect(patched.body.error_description).toContain(`"${id}"`);
      expect(patched.body.error_description).toContain('registered by Wardgate itself');
      expect((await api.delete(`/clients/${id}`)).status, id).toBe(409);
    }
    const account = (await api.get('/clients/wardgate-account')).body;
    expect(account).toMatchObject({ internal: true, first_party: true, client_name: 'Your Wardgate account' });
    expect((await api.get(`/clients/${BOOTSTRAP_ID}`)).body.internal).toBe(true);
    expect((await tokenFor(server, BOOTSTRAP_ID, BOOTSTRAP_SECRET)).status).toBe(200);
  });

  it("deletes a client and revokes what it holds: its access and refresh tokens stop working at once", async () => {
    const created = await api.post('/clients', { ...EHR, client_name: 'Retired EHR' });
    const { client_id: id, client_secret: secret } = created.body;
    const config = await oidc.discovery(new URL(server.issuer), id, undefined, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile offline_access',
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const { callback } = await signIn(await server.browser(), url.href, GREY);
    expect(callback).toMatch(/^https:\/\/ehr\.hospital\.example\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback!), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.refresh_token).toBeTruthy();
    const sub = tokens.claims()!.sub;
    expect((await oidc.fetchUserInfo(config, tokens.access_token, sub)).sub).toBe(sub);
    const held = await server.db('oidc_payloads').where('payload', 'like', `%${id}%`).whereNot({ type: 'Session' });
    expect(held.length).toBeGreaterThan(0);

    // A service client's token too: it calls the admin API until it is deleted.
    const robot = await api.post('/clients', { client_name: 'Retired robot', sensitivity: 'standard', grant_types: ['client_credentials'], scope: 'wardgate:admin' });
    const robotApi = new AdminClient(server.issuer, (await tokenFor(server, robot.body.client_id, robot.body.client_secret)).body.access_token);
    expect((await robotApi.get('/clients')).status).toBe(200);

    expect((await api.delete(`/clients/${id}`)).status).toBe(204);
    expect((await api.delete(`/clients/${robot.body.client_id}`)).status).toBe(204);
    expect((await api.get(`/clients/${id}`)).status).toBe(404);

    const userinfo = await fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(401);
    const refreshed = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }),
    });
    expect(refreshed.status).toBe(401);
    expect((await robotApi.get('/clients')).status).toBe(401);
    expect(await server.db('oidc_payloads').where('payload', 'like', `%"clientId":"${id}"%`)).toEqual([]);
    expect(await server.db('oidc_payloads').where('payload', 'like', `%"clientId":"${robot.body.client_id}"%`)).toEqual([]);

    const audit = await server.db('audit_log').where({ subject: `client/${id}`, type: 'admin.client.delete' });
    expect(audit).toHaveLength(1);
    const record = JSON.parse(audit[0].data);
    expect(record.before.client_name).toBe('Retired EHR');
    expect(record.details.revokedArtifacts).toBeGreaterThan(0);
    expect(audit[0].data).not.toContain(secret);
  });
});
