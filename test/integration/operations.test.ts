/**
 * What operators and security reviewers check: health and readiness, Prometheus metrics, JSON logs
 * without secrets, security headers and cookies, proxy trust, and the bootstrap admin identities.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../helpers/database.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';
import { createRelyingParty, type RelyingParty } from '../helpers/relying-party.ts';

const ADMIN_SECRET = 'bootstrap-client-secret-0123456789abcdef';
const ADMIN_PASSWORD = 'bootstrap admin passphrase';
const KEPNER = { username: 'a.kepner', password: 'trauma surgeon passphrase' };

describe.skipIf(databaseUnavailable())('operations', () => {
  let db: TestDatabase;
  let server: TestServer;
  let rp: RelyingParty;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db, {
      WARDGATE_TRUST_PROXY: 'loopback',
      WARDGATE_BOOTSTRAP_ADMIN_CLIENT_ID: 'it-automation',
      WARDGATE_BOOTSTRAP_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
      WARDGATE_BOOTSTRAP_ADMIN_USER: 'it.root',
      WARDGATE_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    });
    await server.clinician({ ...KEPNER, displayName: 'Dr April Kepner' });
    rp = await createRelyingParty(server);
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it('bootstraps an admin client that gets wardgate:admin tokens by client credentials, and an it-admin user', async () => {
    const config = await oidc.discovery(new URL(server.issuer), 'it-automation', undefined, oidc.ClientSecretBasic(ADMIN_SECRET), { execute: [oidc.allowInsecureRequests] });
    const token = await oidc.clientCredentialsGrant(config, { scope: 'wardgate:admin' });
    expect(token.scope).toBe('wardgate:admin');
    const admin = await server.accounts.findByUsername('IT.Root');
    expect(admin).toMatchObject({ username: 'it.root', roles: ['it-admin'], disabled: false });
    const log = server.logs.join('');
    expect(log).toContain('bootstrap admin client created');
    expect(log).toContain('bootstrap admin user created');
  });

  it('keeps passwords, secrets, codes and tokens out of the logs', async () => {
    const started = await rp.start();
    const { callback } = await signIn(await server.browser(), started.url, KEPNER);
    const tokens = await rp.finish(callback!, started);
    await oidc.fetchUserInfo(rp.config, tokens.access_token, oidc.skipSubjectCheck);
    const log = server.logs.join('');
    expect(log).toContain('"event":"sign_in"');
    for (const secret of [KEPNER.password, ADMIN_SECRET, ADMIN_PASSWORD, rp.clientSecret!, tokens.access_token, tokens.refresh_token!, tokens.id_token!, new URL(callback!).searchParams.get('code')!]) {
      expect(log).not.toContain(secret);
    }
    for (const line of server.logs) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('answers /healthz and /readyz while the database answers', async () => {
    expect((await fetch(`${server.issuer}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${server.issuer}/readyz`)).json()).toEqual({ status: 'ready' });
  });

  it('exposes Prometheus metrics: requests by route and status, latency, sign-ins by result', async () => {
    const started = await rp.start();
    await signIn(await server.browser(), started.url, { username: KEPNER.username, password: 'wrong passphrase here' }).catch(() => undefined);
    const res = await fetch(`${server.issuer}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/wardgate_sign_ins_total\{result="success"\} [1-9]/);
    expect(text).toMatch(/wardgate_sign_ins_total\{result="invalid_credentials"\} [1-9]/);
    expect(text).toMatch(/wardgate_http_requests_total\{route="oidc:token",method="POST",status="200"\} [1-9]/);
    expect(text).toMatch(/wardgate_http_requests_total\{route="interaction:login",method="POST",status="(200|303)"\} [1-9]/);
    expect(text).toMatch(/wardgate_http_request_duration_seconds_bucket\{le="0.1",route="oidc:authorization",method="GET"\}/);
    expect(text).not.toMatch(/route="\/interaction\//);
  });

  it('serves the sign-in page accessibly, with a strict CSP, no inline script and HttpOnly SameSite cookies', async () => {
    const browser = await server.browser();
    const started = await rp.start();
    const auth = await browser.request(started.url);
    const cookies = auth.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) {
      expect(cookie).toMatch(/; httponly/i);
      expect(cookie).toMatch(/; samesite=lax/i);
    }
    const page = await browser.request(new URL(auth.headers.get('location')!, server.issuer).href);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toMatch(/<html lang="en">/);
    expect(html).toMatch(/<label for="username">Username<\/label>/);
    expect(html).toMatch(/<input id="username" name="username"/);
    expect(html).toMatch(/<label for="password">Password<\/label>/);
    expect(html).toMatch(/<input id="password" name="password" type="password"/);
    expect(html).toMatch(/<button type="submit" class="primary">Sign in<\/button>/);
    // Scripts only from Wardgate itself (the security-key button), never inline.
    for (const script of html.match(/<script[^>]*>/g) ?? []) expect(script).toMatch(/^<script src="\/static\/[a-z/.-]+">$/);
    expect(html).not.toMatch(/<script>[^<]/);
    expect(html).not.toMatch(/ style=|<style/);
    expect(html).not.toMatch(/(src|href)="https?:/);
    const css = await fetch(`${server.issuer}/static/wardgate.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('escapes what a person typed when it is shown back', async () => {
    const browser = await server.browser();
    const started = await rp.start();
    const page = await browser.follow(started.url);
    const action = (await page.res.text()).match(/action="(\/interaction\/[^"]+\/login)"/)![1]!;
    const res = await browser.request(server.issuer + action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: '"><script>alert(1)</script>', password: 'whatever it is here' }).toString(),
    });
    const html = await res.text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;');
  });

  it('never lets a forwarded host rewrite the endpoints in discovery, even from a trusted proxy', async () => {
    const res = await fetch(`${server.issuer}/.well-known/openid-configuration`, { headers: { 'x-forwarded-host': 'evil.example' } });
    const meta = (await res.json()) as { token_endpoint: string; jwks_uri: string };
    expect(meta.token_endpoint).toBe(`${server.issuer}/token`);
    expect(meta.jwks_uri).toBe(`${server.issuer}/jwks`);
  });

  it('labels metrics by route name, never by a path someone made up', async () => {
    await fetch(`${server.issuer}/interaction/made-up-${Date.now()}`, { method: 'HEAD' });
    await fetch(`${server.issuer}/interaction/made-up-${Date.now()}/nonsense`, { method: 'POST' });
    const text = await (await fetch(`${server.issuer}/metrics`)).text();
    expect(text).not.toMatch(/made-up|nonsense/);
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]!));
    for (const route of routes) expect(route).toMatch(/^(oidc:[a-z_]+|interaction:[a-z_]+|demo:[a-z-]+|healthz|readyz|metrics|not_found|other)$/);
  });

  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    await fetch(`${server.issuer}/healthz`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    const line = server.logs.map((l) => JSON.parse(l) as { route?: string; ip?: string }).filter((l) => l.route === 'healthz').pop()!;
    // The test talks from loopback, which this server trusts as its proxy.
    expect(line.ip).toBe('203.0.113.7');
  });
});

describe.skipIf(databaseUnavailable())('proxy trust by default', () => {
  it('ignores X-Forwarded-For when no proxy is declared, and /readyz answers 503 without a database', async () => {
    const db = await createTestDatabase();
    const server = await startTestServer(db);
    try {
      await fetch(`${server.issuer}/healthz`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
      const line = server.logs.map((l) => JSON.parse(l) as { route?: string; ip?: string }).filter((l) => l.route === 'healthz').pop()!;
      expect(line.ip).not.toBe('203.0.113.7');
      expect(line.ip).toMatch(/127\.0\.0\.1|::1/);

      await server.db.destroy();
      const res = await fetch(`${server.issuer}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', reason: 'database unreachable' });
      expect((await fetch(`${server.issuer}/healthz`)).status).toBe(200);
    } finally {
      await server.close().catch(() => {});
      await db.drop();
    }
  });
});
