/**
 * What logout ends, seen by a relying app through openid-client: the tokens a sign-in session gave
 * (access and refresh tokens) stop working when the session ends, by RP-initiated logout or
 * otherwise, unless IT allowed the app offline_access and the app was granted it. Which apps may
 * hold offline_access is IT's decision, set through the admin API (or `clients create
 * --offline-access`), and no app has it by default.
 */
import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { databaseUnavailable } from '../helpers/database.ts';
import { serverForThisFile } from '../helpers/server-per-file.ts';
import { formAction, signIn, type TestBrowser } from '../helpers/browser.ts';
import { createRelyingParty, REDIRECT_URI, type RelyingParty } from '../helpers/relying-party.ts';
import { adminClient } from '../helpers/admin.ts';

const PASSWORD = 'logout ends the session passphrase';
const WITH_OFFLINE = 'openid profile offline_access';

describe.skipIf(databaseUnavailable())('logout and the tokens of a session', () => {
  const wardgate = serverForThisFile();

  /** A clinician signed in at a ward terminal to a new app; the browser, the app and its tokens. */
  async function signedIn(username: string, options: { offlineAccessAllowed?: boolean; scope?: string } = {}) {
    const server = wardgate();
    const user = await server.clinician({ username, password: PASSWORD, displayName: username });
    const rp = await createRelyingParty(server, { client_name: `Ward rounds for ${username}`, ...(options.offlineAccessAllowed ? { offline_access_allowed: true } : {}) });
    const browser = await server.browser();
    const started = await rp.start({ scope: options.scope ?? WITH_OFFLINE });
    const { callback } = await signIn(browser, started.url, { username, password: PASSWORD });
    expect(callback).toMatch(/[?&]code=/);
    return { user, rp, browser, tokens: await rp.finish(callback!, started) };
  }

  /** RP-initiated logout at /session/end with the ID token as hint, confirmed by the person. */
  async function logOut(browser: TestBrowser, rp: RelyingParty, idToken: string) {
    const endSession = oidc.buildEndSessionUrl(rp.config, { id_token_hint: idToken, post_logout_redirect_uri: 'https://rp.example.test/signed-out' });
    const page = await (await browser.follow(endSession.href)).res.text();
    const action = formAction(page, /action="[^"]*\/session\/end\/confirm"/);
    const xsrf = page.match(/name="xsrf" value="([^"]+)"/)![1]!;
    const done = await browser.postForm(new URL(action, wardgate().issuer).href, { xsrf, logout: 'yes' });
    expect(done.leftTo).toBe('https://rp.example.test/signed-out');
  }

  async function userinfoStatus(accessToken: string) {
    return (await fetch(`${wardgate().issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
  }

  /** Introspection, userinfo and a refresh all say whether the tokens still work. */
  async function tokensWork(rp: RelyingParty, tokens: { access_token: string; refresh_token?: string }) {
    const access = (await oidc.tokenIntrospection(rp.config, tokens.access_token)).active;
    const refresh = (await oidc.tokenIntrospection(rp.config, tokens.refresh_token!)).active;
    return { access, refresh, userinfo: await userinfoStatus(tokens.access_token) };
  }

  it.each([
    ['asked for offline_access', WITH_OFFLINE],
    ['did not ask for offline_access', 'openid profile'],
  ])('ends the access and refresh tokens of an app not allowed offline_access at RP-initiated logout (it %s)', async (_asked, scope) => {
    const { rp, browser, tokens } = await signedIn(`logout.${scope.length}`, { scope });
    // Refused, not granted: the app learns it from the token response's scope.
    expect(tokens.scope?.split(' ')).not.toContain('offline_access');
    expect(tokens.refresh_token).toBeTruthy();
    expect(await tokensWork(rp, tokens)).toEqual({ access: true, refresh: true, userinfo: 200 });

    await logOut(browser, rp, tokens.id_token!);

    expect(await tokensWork(rp, tokens)).toEqual({ access: false, refresh: false, userinfo: 401 });
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('ends session-bound tokens when the session ends without a logout (it expired)', async () => {
    const { user, rp, tokens } = await signedIn('logout.expired');
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect(await userinfoStatus(refreshed.access_token)).toBe(200);

    // The session's lifetime runs out: what the clock would do at the end of the shift.
    await wardgate().db('oidc_payloads').where({ type: 'Session', account_id: user.id }).update({ expires_at: Date.now() - 1000 });

    expect(await tokensWork(rp, refreshed)).toEqual({ access: false, refresh: false, userinfo: 401 });
    await expect(oidc.refreshTokenGrant(rp.config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('keeps the offline_access tokens of an app IT allowed them, through logout, while the Wardgate session ends', async () => {
    const { rp, browser, tokens } = await signedIn('logout.offline', { offlineAccessAllowed: true });
    expect(tokens.scope?.split(' ')).toContain('offline_access');

    await logOut(browser, rp, tokens.id_token!);

    expect(await tokensWork(rp, tokens)).toEqual({ access: true, refresh: true, userinfo: 200 });
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect(await userinfoStatus(refreshed.access_token)).toBe(200);
    // The single sign-on session itself is over: a silent sign-in needs the person again.
    const again = await rp.start({ scope: 'openid', prompt: 'none' });
    expect((await browser.follow(again.url)).leftTo).toMatch(/error=login_required/);
  });

  it('lets IT allow offline_access per app through the admin API; no app has it unless allowed', async () => {
    const api = await adminClient(wardgate());
    const app = { client_name: 'Night rota sync', redirect_uris: [REDIRECT_URI], sensitivity: 'standard' };
    const plain = await api.post('/clients', app);
    expect(plain.status).toBe(201);
    expect(plain.body.offline_access_allowed).toBe(false);

    const allowed = await api.post('/clients', { ...app, offline_access_allowed: true });
    expect(allowed.status).toBe(201);
    expect(allowed.body.offline_access_allowed).toBe(true);
    const changed = await api.patch(`/clients/${allowed.body.client_id}`, { offline_access_allowed: false });
    expect(changed.status).toBe(200);
    expect(changed.body.offline_access_allowed).toBe(false);

    const withoutRefresh = await api.post('/clients', { ...app, grant_types: ['authorization_code'], offline_access_allowed: true });
    expect(withoutRefresh.status).toBe(422);
    expect(withoutRefresh.body.errors).toEqual([{ pointer: '/offline_access_allowed', message: 'offline access needs the refresh_token grant' }]);
    const notBoolean = await api.post('/clients', { ...app, offline_access_allowed: 'yes' });
    expect(notBoolean.status).toBe(422);
    expect(notBoolean.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/offline_access_allowed']);
  });
});
