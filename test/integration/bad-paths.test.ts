/**
 * What must be refused, and how: bad redirect URIs, code reuse and races, PKCE mistakes, wrong
 * passwords that look like unknown users, disabled accounts, oversized bodies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../helpers/database.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { TestBrowser, formAction, signIn } from '../helpers/browser.ts';
import { createRelyingParty, REDIRECT_URI, type RelyingParty } from '../helpers/relying-party.ts';

const SHEP = { username: 'd.shepherd', password: 'neuro surgeon passphrase' };

describe.skipIf(databaseUnavailable())('refusals', () => {
  let db: TestDatabase;
  let server: TestServer;
  let rp: RelyingParty;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    await server.clinician({ ...SHEP, displayName: 'Dr Derek Shepherd', roles: ['clinician'] });
    rp = await createRelyingParty(server);
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  /** A code for SHEP, not yet redeemed, with what is needed to redeem it. */
  async function freshCode(params: Record<string, string> = {}) {
    const started = await rp.start(params);
    const { callback } = await signIn(await server.browser(), started.url, SHEP);
    const code = new URL(callback!).searchParams.get('code')!;
    return { started, callback: callback!, code };
  }

  function tokenRequest(body: Record<string, string>) {
    return fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams(body).toString(),
    });
  }

  it('shows an error page and never redirects for an unregistered redirect_uri', async () => {
    const started = await rp.start({ redirect_uri: 'https://attacker.example/steal' });
    const res = await (await server.browser()).request(started.url);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    const page = await res.text();
    expect(page).toContain('has not registered');
    expect(page).not.toContain('attacker.example');
  });

  it('treats a registered redirect_uri with a query added as unregistered', async () => {
    const started = await rp.start({ redirect_uri: `${REDIRECT_URI}?next=https://attacker.example` });
    const res = await (await server.browser()).request(started.url);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('refuses a reused code with invalid_grant and revokes the tokens issued for it', async () => {
    const { started, callback } = await freshCode();
    const first = await rp.finish(callback, started);
    expect((await oidc.fetchUserInfo(rp.config, first.access_token, oidc.skipSubjectCheck)).sub).toBeTruthy();
    await expect(rp.finish(callback, started)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(rp.config, first.access_token, oidc.skipSubjectCheck)).rejects.toThrow();
    await expect(oidc.refreshTokenGrant(rp.config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('gives exactly one token response to fifty parallel redemptions of one code', async () => {
    const { started, code } = await freshCode();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: started.verifier })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    const refused = await Promise.all(responses.filter((r) => r.status !== 200).map((r) => r.json() as Promise<{ error: string }>));
    expect(refused).toHaveLength(49);
    expect(new Set(refused.map((b) => b.error))).toEqual(new Set(['invalid_grant']));
  });

  it('never gives a service scope to a client that was not registered with it', async () => {
    const { client_id, client_secret } = await server.clients.register({ client_name: 'Porter dispatch', grant_types: ['client_credentials'] });
    const service = await oidc.discovery(new URL(server.issuer), client_id, undefined, oidc.ClientSecretBasic(client_secret!), { execute: [oidc.allowInsecureRequests] });
    await expect(oidc.clientCredentialsGrant(service, { scope: 'wardgate:admin' })).rejects.toMatchObject({ error: 'invalid_scope' });
    const started = await rp.start({ scope: 'openid wardgate:admin' });
    const res = await (await server.browser()).request(started.url);
    expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe('invalid_scope');
  });

  it('refuses an authorization request without a PKCE challenge', async () => {
    const url = new URL(`${server.issuer}/auth`);
    url.search = new URLSearchParams({ client_id: rp.clientId, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI, state: 's1' }).toString();
    const res = await (await server.browser()).request(url.href);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(REDIRECT_URI);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('refuses the plain PKCE method', async () => {
    const url = new URL(`${server.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: rp.clientId, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI, state: 's2',
      code_challenge: 'a'.repeat(43), code_challenge_method: 'plain',
    }).toString();
    const res = await (await server.browser()).request(url.href);
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/code_challenge_method/);
  });

  it('refuses a token request with a missing or wrong code_verifier', async () => {
    const { code } = await freshCode();
    const missing = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toBe('invalid_grant');
    const other = await freshCode();
    const wrong = await tokenRequest({ grant_type: 'authorization_code', code: other.code, redirect_uri: REDIRECT_URI, code_verifier: oidc.randomPKCECodeVerifier() });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('answers a wrong password and an unknown user with the same page, status and about the same time', async () => {
    const attempt = async (username: string, password: string) => {
      const browser = await server.browser();
      const started = await rp.start();
      const page = await browser.follow(started.url);
      const action = formAction(await page.res.text(), /action="\/interaction\/[^"]+\/login"/);
      const t0 = performance.now();
      const res = await browser.request(server.issuer + action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username, password }).toString(),
      });
      const ms = performance.now() - t0;
      const html = (await res.text()).replaceAll(action.replace(/\/login$/, ''), '/interaction/UID').replaceAll(username, 'USERNAME');
      return { status: res.status, html, ms };
    };
    // Warm both paths once, then compare medians.
    await attempt(SHEP.username, 'not the password');
    await attempt('nobody.here', 'not the password');
    const wrong = [];
    const unknown = [];
    for (let i = 0; i < 5; i++) {
      wrong.push(await attempt(SHEP.username, 'not the password'));
      unknown.push(await attempt('nobody.here', 'not the password'));
    }
    expect(wrong[0]!.status).toBe(200);
    expect(unknown[0]!.status).toBe(wrong[0]!.status);
    expect(unknown[0]!.html).toBe(wrong[0]!.html);
    expect(wrong[0]!.html).toContain('The username or password is not right');
    const median = (xs: { ms: number }[]) => xs.map((x) => x.ms).sort((a, b) => a - b)[2]!;
    // Both paths run one argon2id verification; without the dummy hash the unknown user would be ~10x faster.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5);
  });

  it('refuses a disabled user, and disabling ends their sessions and refresh tokens', async () => {
    const user = await server.clinician({ username: 'a.karev', password: 'peds surgeon passphrase', displayName: 'Dr Alex Karev' });
    const browser = await server.browser();
    const started = await rp.start();
    const { callback } = await signIn(browser, started.url, { username: 'a.karev', password: 'peds surgeon passphrase' });
    const tokens = await rp.finish(callback!, started);

    await server.accounts.disable(user.id);

    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(rp.config, tokens.access_token, user.id)).rejects.toThrow();
    // The browser's session is gone too: it is asked to sign in, and signing in is refused.
    const again = await rp.start();
    const result = await signIn(browser, again.url, { username: 'a.karev', password: 'peds surgeon passphrase' });
    expect(result.callback).toBeUndefined();
    expect(result.status).toBe(403);
    expect(result.page).toContain('This account is disabled');
  });

  it('answers 413 to an oversized body, on Wardgate pages and on oidc-provider endpoints', async () => {
    const big = 'x'.repeat(200 * 1024);
    for (const path of ['/interaction/whatever/login', '/token']) {
      const res = await fetch(server.issuer + path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `username=${big}`,
      });
      expect(res.status, path).toBe(413);
    }
  });

  it('answers an impossibly long username or password with a 400 sign-in page saying so', async () => {
    const browser = await server.browser();
    const started = await rp.start();
    const page = await browser.follow(started.url);
    const action = formAction(await page.res.text(), /action="\/interaction\/[^"]+\/login"/);
    const res = await browser.request(server.issuer + action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: SHEP.username, password: 'p'.repeat(5000) }).toString(),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('longer than any Wardgate accepts');
  });
});
