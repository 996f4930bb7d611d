/**
 * Everything Wardgate issued survives a restart: keys come back from the database, so tokens
 * signed before still verify, refresh tokens still refresh, and a browser session still signs in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../helpers/database.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';
import { createRelyingParty } from '../helpers/relying-party.ts';

const BAILEY = { username: 'm.bailey', password: 'chief resident passphrase' };

describe.skipIf(databaseUnavailable())('a restart between issuing and using', () => {
  let db: TestDatabase;
  let server: TestServer | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it('keeps tokens valid and the browser session alive across a restart', async () => {
    server = await startTestServer(db);
    const user = await server.clinician({ ...BAILEY, displayName: 'Dr Miranda Bailey' });
    let rp = await createRelyingParty(server, { client_name: 'Theatre scheduling' });
    const browser = await server.browser();
    const started = await rp.start();
    const { callback } = await signIn(browser, started.url, BAILEY);
    const before = await rp.finish(callback!, started);
    const jwksBefore = (await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    const port = new URL(server.issuer).port;
    await server.close();

    // Same database, same port (the issuer is part of every token), a brand-new process state.
    server = await startTestServer(db, { PORT: port });
    expect(server.issuer).toBe(`http://localhost:${port}`);
    const jwksAfter = (await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwksAfter.keys.map((k) => k.kid)).toEqual(jwksBefore.keys.map((k) => k.kid));

    rp = { ...rp, config: await oidc.discovery(new URL(server.issuer), rp.clientId, undefined, oidc.ClientSecretBasic(rp.clientSecret!), { execute: [oidc.allowInsecureRequests] }) };
    expect((await rp.verifyIdToken(before.id_token!)).sub).toBe(user.id);
    expect((await oidc.fetchUserInfo(rp.config, before.access_token, user.id)).preferred_username).toBe('m.bailey');
    const refreshed = await oidc.refreshTokenGrant(rp.config, before.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();

    // The session cookie from before the restart still signs the person in without a password.
    const silent = await rp.start({ prompt: 'none', scope: 'openid' });
    const step = await browser.follow(silent.url);
    expect(step.leftTo).toMatch(/[?&]code=/);
    const after = await rp.finish(step.leftTo!, silent);
    expect((await rp.verifyIdToken(after.id_token!)).sub).toBe(user.id);
  });
});
