/**
 * Who may call the admin API: no token, a token without wardgate:admin, a revoked or unknown token
 * are all refused, and every refusal is in the audit log. (A non-admin person, and an admin whose
 * session is only at acr 1fa, are refused in test/e2e/admin-console.test.ts, where a real browser
 * signs them in.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../../helpers/database.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { AdminClient, clientCredentialsToken } from '../../helpers/admin.ts';
import { signIn } from '../../helpers/browser.ts';
import { createRelyingParty } from '../../helpers/relying-party.ts';

describe.skipIf(databaseUnavailable())('admin API: authorization', () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  const denials = async () => (await server.db('audit_log').where({ type: 'admin.access_denied' }).orderBy('id')).map((r: { data: string }) => JSON.parse(r.data));

  it('refuses a request without credentials with 401 and a Bearer challenge', async () => {
    const response = await new AdminClient(server.issuer).get('/sites');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="wardgate-admin"');
    expect(response.body.error).toBe('unauthorized');
    expect((await denials()).at(-1)).toMatchObject({ reason: 'no_credentials', method: 'GET', path: '/admin/api/v1/sites' });
  });

  it('refuses an unknown token with 401 invalid_token', async () => {
    const response = await new AdminClient(server.issuer, 'not-a-token-that-wardgate-issued').get('/sites');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await denials()).at(-1)).toMatchObject({ reason: 'invalid_token' });
  });

  it('refuses a token without scope wardgate:admin with 403 insufficient_scope', async () => {
    const token = await clientCredentialsToken(server, 'wardgate:introspect');
    const response = await new AdminClient(server.issuer, token).post('/sites', { id: 'x' });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect((await denials()).at(-1)).toMatchObject({ reason: 'insufficient_scope', method: 'POST' });
    expect(await server.db('sites').where({ id: 'x' }).first()).toBeUndefined();
  });

  it('refuses a token once it is revoked', async () => {
    const registered = await server.clients.register({ client_name: 'revoked admin', grant_types: ['client_credentials'], scope: 'wardgate:admin' });
    const basic = `Basic ${Buffer.from(`${registered.client_id}:${registered.client_secret}`).toString('base64')}`;
    const issued = await fetch(`${server.issuer}/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=wardgate%3Aadmin' });
    const token = ((await issued.json()) as { access_token: string }).access_token;
    expect((await new AdminClient(server.issuer, token).get('/sites')).status).toBe(200);
    const revoked = await fetch(`${server.issuer}/token/revocation`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}` });
    expect(revoked.status).toBe(200);
    expect((await new AdminClient(server.issuer, token).get('/sites')).status).toBe(401);
  });

  it('takes a token issued to a person with scope wardgate:admin only while that person is an enabled it-admin', async () => {
    const tool = await createRelyingParty(server, { client_name: 'IT scripts', scope: 'openid wardgate:admin', first_party: true });
    const tokenOf = async (username: string) => {
      const browser = await server.browser();
      const started = await tool.start({ scope: 'openid wardgate:admin' });
      const { callback } = await signIn(browser, started.url, { username, password: 'correct horse battery' });
      expect(callback, `${username} signed in`).toBeDefined();
      const tokens = await tool.finish(callback!, started);
      expect(tokens.scope?.split(' ')).toContain('wardgate:admin');
      return tokens.access_token;
    };
    const admin = await server.clinician({ username: 'it.ops', password: 'correct horse battery', displayName: 'IT Ops', roles: ['it-admin'] });
    await server.clinician({ username: 'n.nurse', password: 'correct horse battery', displayName: 'Nina Nurse', roles: ['clinician'] });

    const adminToken = await tokenOf('it.ops');
    expect((await new AdminClient(server.issuer, adminToken).get('/sites')).status).toBe(200);
    const changed = await new AdminClient(server.issuer, adminToken).post('/sites', { id: 'by-person', name: 'By a person', timezone: 'Europe/London', country: 'GB' });
    expect(changed.status).toBe(201);
    const audited = await server.db('audit_log').where({ subject: 'site/by-person' }).first();
    expect(audited.actor).toBe(admin.id);
    expect(JSON.parse(audited.data).actor).toMatchObject({ kind: 'user', username: 'it.ops', via: 'token' });

    const nurse = await new AdminClient(server.issuer, await tokenOf('n.nurse')).get('/sites');
    expect(nurse.status).toBe(403);
    expect((await denials()).at(-1)).toMatchObject({ reason: 'not_it_admin' });

    // Losing the role ends what the token can do at once, whatever its lifetime.
    await server.db('users').where({ id: admin.id }).update({ roles: JSON.stringify(['clinician']) });
    expect((await new AdminClient(server.issuer, adminToken).get('/sites')).status).toBe(403);
  });

  it('audits an address\'s anonymous refusals up to 20 a minute, then answers 429 with Retry-After and says so once', async () => {
    const before = (await denials()).length;
    // Every call here comes from loopback, which this file's other tests also use: count from zero
    // on a server of its own.
    const ownDb = await createTestDatabase();
    const own = await startTestServer(ownDb);
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 25; i++) {
        const response = await new AdminClient(own.issuer).get('/sites');
        statuses.push(response.status);
        if (response.status === 429) retryAfter = response.headers.get('retry-after');
      }
      expect(statuses).toEqual([...Array(20).fill(401), ...Array(5).fill(429)]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      const entries = (await own.db('audit_log').where({ type: 'admin.access_denied' }).orderBy('id')).map((r: { data: string }) => JSON.parse(r.data).reason);
      expect(entries).toEqual([...Array(20).fill('no_credentials'), 'rate_limited']);
      // A caller with valid credentials is not held up by the anonymous ones.
      expect((await new AdminClient(own.issuer, await clientCredentialsToken(own)).get('/sites')).status).toBe(200);
    } finally {
      await own.close();
      await ownDb.drop();
    }
    expect((await denials()).length).toBe(before);
  });

  it('refuses a malformed Authorization header', async () => {
    const response = await fetch(`${server.issuer}/admin/api/v1/sites`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(response.status).toBe(401);
    expect((await denials()).at(-1)).toMatchObject({ reason: 'malformed_authorization' });
  });
});
