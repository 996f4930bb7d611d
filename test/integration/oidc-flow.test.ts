/**
 * The happy path as a relying app sees it, through openid-client: discovery, code flow with PKCE,
 * an ID token verified against the JWKS, userinfo, refresh-token rotation and logout.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../helpers/database.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { TestBrowser, formAction, signIn } from '../helpers/browser.ts';
import { createRelyingParty, type RelyingParty } from '../helpers/relying-party.ts';

const GREY = { username: 'm.grey', password: 'correct horse battery staple' };

describe.skipIf(databaseUnavailable())('OIDC flows with openid-client as the relying app', () => {
  let db: TestDatabase;
  let server: TestServer;
  let rp: RelyingParty;
  let greyId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db, { WARDGATE_OUTBOUND_ALLOWED_NETWORKS: 'loopback' });
    const user = await server.clinician({
      ...GREY,
      displayName: 'Dr Meredith Grey',
      email: 'm.grey@hospital.example',
      roles: ['clinician', 'physician'],
      fhirUser: 'https://fhir.hospital.example/r4/Practitioner/123',
    });
    greyId = user.id;
    rp = await createRelyingParty(server);
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  async function signInAsGrey(given?: TestBrowser) {
    const browser = given ?? (await server.browser());
    const started = await rp.start();
    const { callback } = await signIn(browser, started.url, GREY);
    expect(callback).toMatch(/^https:\/\/rp\.example\.test\/callback\?code=/);
    return { tokens: await rp.finish(callback!, started), browser };
  }

  it('publishes discovery with the acr values, S256 only and the Wardgate endpoints', async () => {
    const meta = rp.config.serverMetadata();
    expect(meta.issuer).toBe(server.issuer);
    expect(meta.acr_values_supported).toEqual(['urn:wardgate:acr:1fa', 'phr']);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.response_types_supported).toEqual(['code']);
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint', 'introspection_endpoint', 'revocation_endpoint']) {
      expect(meta[endpoint as keyof typeof meta]).toMatch(new RegExp(`^${server.issuer}/`));
    }
    expect(meta.backchannel_logout_supported).toBe(true);
  });

  it('signs a clinician in with code + PKCE and issues an ID token that verifies against the JWKS', async () => {
    const { tokens } = await signInAsGrey();
    const payload = await rp.verifyIdToken(tokens.id_token!);
    expect(payload.sub).toBe(greyId);
    expect(payload.acr).toBe('urn:wardgate:acr:1fa');
    expect(payload.amr).toEqual(['pwd']);
    expect(typeof payload.auth_time).toBe('number');
    expect(tokens.refresh_token).toBeTruthy();
  });

  it('keeps the SSO session in a browser-session cookie, gone when a shared workstation\'s browser closes', async () => {
    const browser = await server.browser();
    const started = await rp.start();
    const step = await browser.follow(started.url);
    const login = (await step.res.text()).match(/action="(\/interaction\/[^"]+\/login)"/)![1]!;
    const res = await browser.request(server.issuer + login, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(GREY).toString(),
    });
    // Decline the offer to register a security key, then follow to the resume step.
    const offer = await res.text();
    const skip = offer.match(/action="(\/interaction\/[^"]+\/enroll\/skip)"/)![1]!;
    const skipped = await browser.request(server.issuer + skip, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    const resume = await browser.request(new URL(skipped.headers.get('location')!, server.issuer).href);
    const session = resume.headers.getSetCookie().find((c) => c.startsWith('_session='));
    expect(session).toBeDefined();
    expect(session).not.toMatch(/expires=|max-age=/i);
  });

  it('answers userinfo with the profile, email, roles and fhirUser claims', async () => {
    const { tokens } = await signInAsGrey();
    const claims = await oidc.fetchUserInfo(rp.config, tokens.access_token, greyId);
    expect(claims).toMatchObject({
      sub: greyId,
      name: 'Dr Meredith Grey',
      preferred_username: 'm.grey',
      email: 'm.grey@hospital.example',
      roles: ['clinician', 'physician'],
      fhirUser: 'https://fhir.hospital.example/r4/Practitioner/123',
    });
  });

  it('rotates refresh tokens, and reuse of a rotated one revokes the whole grant', async () => {
    const { tokens } = await signInAsGrey();
    const first = tokens.refresh_token!;
    const second = await oidc.refreshTokenGrant(rp.config, first);
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first);
    // The rotated-out token is replayed: refused, and the token that replaced it dies with the grant.
    await expect(oidc.refreshTokenGrant(rp.config, first)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(rp.config, second.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(rp.config, second.access_token, greyId)).rejects.toThrow();
  });

  it('reuses the session for the next app without asking for the password again', async () => {
    const { browser } = await signInAsGrey();
    const started = await rp.start({ prompt: 'none', scope: 'openid' });
    const step = await browser.follow(started.url);
    expect(step.leftTo).toMatch(/[?&]code=/);
    const tokens = await rp.finish(step.leftTo!, started);
    expect((await rp.verifyIdToken(tokens.id_token!)).sub).toBe(greyId);
  });

  it('signs out through RP-initiated logout and tells back-channel clients with a signed logout token', async () => {
    const received: string[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(new URLSearchParams(body).get('logout_token') ?? '');
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const backchannelUri = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/backchannel`;
    try {
      const lab = await createRelyingParty(server, { client_name: 'Lab results', backchannel_logout_uri: backchannelUri });
      const browser = await server.browser();
      const started = await lab.start();
      const { callback } = await signIn(browser, started.url, GREY);
      const tokens = await lab.finish(callback!, started);

      const endSession = oidc.buildEndSessionUrl(lab.config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: 'https://rp.example.test/signed-out',
      });
      const confirm = await browser.follow(endSession.href);
      expect(confirm.res.status).toBe(200);
      const page = await confirm.res.text();
      expect(page).toContain('Sign out of Wardgate?');
      const action = formAction(page, /action="[^"]*\/session\/end\/confirm"/);
      const xsrf = page.match(/name="xsrf" value="([^"]+)"/)![1]!;
      const done = await browser.postForm(new URL(action, server.issuer).href, { xsrf, logout: 'yes' });
      expect(done.leftTo).toBe('https://rp.example.test/signed-out');

      await expect.poll(() => received.length, { timeout: 5000 }).toBe(1);
      const { payload } = await jwtVerify(received[0]!, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), {
        issuer: server.issuer,
        audience: lab.clientId,
      });
      expect(payload.sub).toBe(greyId);
      expect(payload.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);

      // The session is gone: a silent sign-in now needs the person again.
      const again = await lab.start({ prompt: 'none', scope: 'openid' });
      const step = await browser.follow(again.url);
      expect(step.leftTo).toMatch(/error=login_required/);
    } finally {
      receiver.close();
    }
  });

  it('gives a service client an access token by client credentials, which it can introspect and revoke', async () => {
    const { client_id, client_secret } = await server.clients.register({
      client_name: 'Bed management service',
      grant_types: ['client_credentials'],
      scope: 'wardgate:admin',
    });
    const service = await oidc.discovery(new URL(server.issuer), client_id, undefined, oidc.ClientSecretBasic(client_secret!), {
      execute: [oidc.allowInsecureRequests],
    });
    const token = await oidc.clientCredentialsGrant(service, { scope: 'wardgate:admin' });
    expect(token.scope).toBe('wardgate:admin');
    const active = await oidc.tokenIntrospection(service, token.access_token);
    expect(active).toMatchObject({ active: true, client_id, scope: 'wardgate:admin' });
    await oidc.tokenRevocation(service, token.access_token);
    expect((await oidc.tokenIntrospection(service, token.access_token)).active).toBe(false);
  });

  it('signs ID tokens with RS256 for a relying app that registered it', async () => {
    const legacy = await createRelyingParty(server, { client_name: 'Legacy PACS viewer', id_token_signed_response_alg: 'RS256' } as never);
    const started = await legacy.start();
    const { callback } = await signIn(await server.browser(), started.url, GREY);
    const tokens = await legacy.finish(callback!, started);
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString());
    expect(header.alg).toBe('RS256');
    expect((await legacy.verifyIdToken(tokens.id_token!)).sub).toBe(greyId);
  });
});
