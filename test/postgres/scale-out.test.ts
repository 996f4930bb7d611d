/**
 * Two Wardgate processes on one PostgreSQL behave as one provider: a sign-in started on one
 * completes on the other and the code is redeemed on the first, with no sticky sessions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../helpers/database.ts';
import { spawnWardgate, runWardgate, type RunningWardgate } from '../helpers/process.ts';
import { testEnv } from '../helpers/server.ts';
import { TestBrowser, formAction } from '../helpers/browser.ts';
import { trustedViaCli } from '../helpers/hospital.ts';
import * as oidc from 'openid-client';

const portOf = (p: RunningWardgate) => JSON.parse(p.lines.find((l) => l.includes('"event":"ready"'))!).port as number;

describe.skipIf(databaseUnavailable())('two processes on one PostgreSQL', () => {
  let db: TestDatabase;
  let a: RunningWardgate;
  let b: RunningWardgate;
  const ISSUER = 'http://wardgate.test';

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    // Both start at once: the startup lock lets one migrate and create keys while the other waits.
    const env = testEnv(db, { WARDGATE_ISSUER: ISSUER });
    [a, b] = await Promise.all([spawnWardgate(env), spawnWardgate(env)]);
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  it('publishes the same keys from both processes', async () => {
    const [ja, jb] = await Promise.all([a, b].map(async (p) => (await (await fetch(`http://127.0.0.1:${portOf(p)}/jwks`)).json()) as { keys: { kid: string }[] }));
    expect(ja!.keys.map((k) => k.kid).sort()).toEqual(jb!.keys.map((k) => k.kid).sort());
    expect(ja!.keys).toHaveLength(2);
  });

  it('completes on process B a sign-in that process A started, and redeems the code on A', async () => {
    const created = await runWardgate(['users', 'create', '--username', 'r.webber', '--display-name', 'Dr Richard Webber', '--password-stdin'], testEnv(db), 'chief of surgery passphrase');
    expect(created.code, created.stderr).toBe(0);
    const client = await runWardgate(['clients', 'create', '--name', 'EHR', '--redirect-uri', 'https://ehr.example.test/cb', '--first-party'], testEnv(db));
    expect(client.code, client.stderr).toBe(0);
    const { client_id, client_secret } = JSON.parse(client.stdout) as { client_id: string; client_secret: string };

    const originA = `http://127.0.0.1:${portOf(a)}`;
    const originB = `http://127.0.0.1:${portOf(b)}`;
    const browserA = new TestBrowser(originA);
    await trustedViaCli(testEnv(db), browserA, ['r.webber']);
    const verifier = oidc.randomPKCECodeVerifier();
    const auth = new URL(`${originA}/auth`);
    auth.search = new URLSearchParams({
      client_id, response_type: 'code', scope: 'openid profile', redirect_uri: 'https://ehr.example.test/cb', state: 'st',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }).toString();
    const first = await browserA.request(auth.href);
    expect(first.status).toBe(303);
    const interactionPath = new URL(first.headers.get('location')!, ISSUER).pathname;

    // The browser's next requests land on B, carrying the cookies A set.
    const browserB = new TestBrowser(originB);
    for (const cookie of await browserA.jar.getCookies(`${originA}/`)) {
      await browserB.jar.setCookie(cookie.cookieString(), `${originB}/`);
    }
    for (const cookie of await browserA.jar.getCookies(`${originA}${interactionPath}`)) {
      await browserB.jar.setCookie(cookie.cookieString(), `${originB}${interactionPath}`);
    }
    const resumePath = interactionPath.replace('/interaction/', '/auth/');
    for (const cookie of await browserA.jar.getCookies(`${originA}${resumePath}`)) {
      await browserB.jar.setCookie(cookie.cookieString(), `${originB}${resumePath}`);
    }
    const page = await browserB.request(`${originB}${interactionPath}`);
    expect(page.status).toBe(200);
    const action = formAction(await page.text(), /action="\/interaction\/[^"]+\/login"/);
    const login = await browserB.request(originB + action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'r.webber', password: 'chief of surgery passphrase' }).toString(),
    });
    // Trusted and without a security key: B offers to register one (its state lives in the database); decline on B.
    expect(login.status).toBe(200);
    const skipPath = formAction(await login.text(), /action="\/interaction\/[^"]+\/enroll\/skip"/);
    const skipped = await browserB.request(originB + skipPath, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(skipped.status).toBe(303);
    const resumed = await browserB.request(`${originB}${new URL(skipped.headers.get('location')!, ISSUER).pathname}`);
    expect(resumed.status).toBe(303);
    const callback = new URL(resumed.headers.get('location')!);
    expect(callback.origin + callback.pathname).toBe('https://ehr.example.test/cb');
    const code = callback.searchParams.get('code')!;

    const token = await fetch(`${originA}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'https://ehr.example.test/cb', code_verifier: verifier }).toString(),
    });
    expect(token.status).toBe(200);
    const body = (await token.json()) as { id_token: string; access_token: string };
    const claims = JSON.parse(Buffer.from(body.id_token.split('.')[1]!, 'base64url').toString()) as { iss: string; acr: string };
    expect(claims.iss).toBe(ISSUER);
    expect(claims.acr).toBe('urn:wardgate:acr:1fa');
    const userinfo = await fetch(`${originB}/me`, { headers: { authorization: `Bearer ${body.access_token}` } });
    expect(((await userinfo.json()) as { name: string }).name).toBe('Dr Richard Webber');
  });
});
