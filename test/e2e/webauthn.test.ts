/**
 * Security keys in a real browser: Debian's Chromium with the DevTools virtual authenticator standing
 * in for a clinician's USB key. The key is registered at a ward terminal during a shift, then carried
 * home (its credential copied into another browser's authenticator) where a remote sign-in is stepped
 * up with it, and the relying app (openid-client) receives acr phr. Every way an assertion can be
 * wrong is refused by the server and audited; where Chromium itself will not sign, the server's
 * refusal is shown with an assertion signed by the same key outside the browser, next to one that
 * differs only in what is wrong and is accepted. Screenshots go to test-results/screenshots
 * (git-ignored).
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { APIResponse, Browser, BrowserContext, Cookie, Page } from 'playwright-core';
import { createAuditLog } from '../../src/audit/log.ts';
import { createWebAuthnStore } from '../../src/store/webauthn.ts';
import { createWebAuthn, relyingPartyOf } from '../../src/webauthn/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createRelyingParty, REDIRECT_URI, type RelyingParty } from '../helpers/relying-party.ts';
import { TEST_SITE, TERMINAL_COOKIE } from '../helpers/hospital.ts';
import { chromiumUnavailable, enrollTerminal, launchChromium, SCREENSHOTS, WARD_BROWSER } from '../helpers/chromium.ts';
import { SecurityKey, signAssertion, storedIdOf, type KeyCredential } from '../helpers/security-key.ts';

/** A public address in the United Kingdom: an allowed country, but not the hospital. */
const REMOTE_GB = '212.58.244.1';
const PASSWORD = 'ward round passphrase';

type Started = Awaited<ReturnType<RelyingParty['start']>>;

describe.skipIf(chromiumUnavailable())('security keys in Chromium', () => {
  let db: TestDatabase;
  let server: TestServer;
  let browser: Browser;
  let rp: RelyingParty;
  let n = 0;

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase('sqlite');
    // Chromium reaches Wardgate over loopback, declared a trusted proxy: a browser "at home" says
    // where it is in X-Forwarded-For; one at the ward says nothing and is on the hospital's network.
    server = await startTestServer(db, { WARDGATE_TRUST_PROXY: 'loopback' });
    await server.hospital.sites.ensure(TEST_SITE);
    rp = await createRelyingParty(server, { client_name: 'Ward rounds', first_party: true });
    browser = await launchChromium();
  });

  /** Every browser a test opens is closed after it, whatever happened. */
  const opened: BrowserContext[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((context) => context.close()));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await db?.drop();
  });

  /** A new clinician on shift now at the test site, without a security key. */
  async function clinician() {
    const username = `clin.${++n}`;
    const user = await server.clinician({ username, password: PASSWORD, displayName: `Clinician ${n}` });
    return { id: user.id, username, displayName: user.displayName };
  }

  /**
   * A browser with a security key plugged in: at a ward terminal of the test hospital, or at home
   * (a public GB address). The relying app's callback is never served (rp.example.test does not
   * resolve): the test reads the code from the redirect, as the app would.
   */
  async function openBrowser(where: 'ward' | 'home', credentials: KeyCredential[] = []) {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, userAgent: WARD_BROWSER, ...(where === 'home' ? { extraHTTPHeaders: { 'x-forwarded-for': REMOTE_GB } } : {}) });
    opened.push(context);
    if (where === 'ward') await context.addCookies(await wardTerminal());
    const page = await context.newPage();
    const callbacks: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(REDIRECT_URI)) callbacks.push(request.url());
    });
    const key = await SecurityKey.plugInto(context, page, credentials);
    return { context, page, key, callbacks };
  }

  let terminalCookies: Cookie[] | undefined;
  /** The cookie of a ward terminal, enrolled once the way IT does it: open the terminal's link, confirm. */
  async function wardTerminal(): Promise<Cookie[]> {
    if (terminalCookies) return terminalCookies;
    const pending = await server.hospital.terminals.create({ name: 'Ward 3 workstation', siteId: TEST_SITE.id, unit: 'Ward 3' });
    terminalCookies = await enrollTerminal(browser, pending.enrollmentUrl, TERMINAL_COOKIE);
    return terminalCookies;
  }
  type Visit = Awaited<ReturnType<typeof openBrowser>>;

  /** The origin of the Wardgate page open in `page` (the issuer's when it shows no Wardgate page). */
  const originOf = (page: Page) => (page.url().startsWith('http') ? new URL(page.url()).origin : server.issuer);
  const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
  const uidOf = (page: Page) => new URL(page.url()).pathname.match(/^\/interaction\/([^/]+)/)![1]!;
  const useKey = (page: Page) => page.getByRole('button', { name: 'Use my security key' }).click();
  const shownError = (page: Page) => page.locator('#webauthn-error:not([hidden])').textContent();
  const shot = (page: Page, name: string) => page.screenshot({ path: `${SCREENSHOTS}/webauthn-${name}.png`, fullPage: true });

  /** Starts an authorization at the relying app and signs in with the password. */
  async function signInWithPassword(page: Page, username: string, params: Record<string, string> = {}, origin = server.issuer) {
    const started = await rp.start({ scope: 'openid profile', ...params });
    await page.goto(started.url.replace(server.issuer, origin));
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    return started;
  }

  /** The relying app's callback for this authorization, once the browser has been sent there. */
  async function callbackOf(visit: Visit, started: Started) {
    const callback = () => visit.callbacks.find((url) => new URL(url).searchParams.get('state') === started.state);
    await expect.poll(callback).toBeTruthy();
    // Playwright cannot answer a request reached by a redirect: let the browser settle on its
    // error page for the unresolvable host before the test navigates again.
    await expect.poll(() => visit.page.url()).toMatch(/^chrome-error:/);
    return new URL(callback()!);
  }

  /** Redeems the code with openid-client and verifies the ID token against Wardgate's JWKS. */
  async function idTokenAt(visit: Visit, started: Started) {
    return redeem((await callbackOf(visit, started)).href, started);
  }

  async function redeem(callback: string, started: Started) {
    const tokens = await rp.finish(callback, started);
    return rp.verifyIdToken(tokens.id_token!);
  }

  /** Follows Wardgate's redirects with the browser's cookies, outside the page, to the relying app's callback. */
  async function followToCallback(page: Page, response: APIResponse): Promise<string> {
    let location = response.headers().location;
    for (let hops = 0; location && !location.startsWith(REDIRECT_URI) && hops < 5; hops++) {
      location = (await page.request.get(new URL(location, originOf(page)).href, { maxRedirects: 0 })).headers().location;
    }
    expect(location?.startsWith(`${REDIRECT_URI}?`)).toBe(true);
    expect(new URL(location!).searchParams.get('code')).toBeTruthy();
    return location!;
  }

  /** Registers a key after a trusted sign-in at the ward; returns what the key holds. */
  async function enrollAtWard(user: { username: string }, screenshot?: string): Promise<KeyCredential[]> {
    const ward = await openBrowser('ward');
    const started = await signInWithPassword(ward.page, user.username);
    await expect.poll(() => heading(ward.page)).toBe('Register a security key');
    if (screenshot) await shot(ward.page, screenshot);
    await ward.page.getByLabel('Name for this key (optional)').fill('Blue key');
    // Whoever sits at the workstation must be the person who signed in: the password again.
    await ward.page.getByLabel('Your password, again').fill(PASSWORD);
    await ward.page.getByRole('button', { name: 'Register my security key' }).click();
    const claims = await idTokenAt(ward, started);
    // Registering a key does not make this sign-in more than a password at a trusted terminal.
    expect(claims.acr).toBe('urn:wardgate:acr:1fa');
    expect(claims.amr).toEqual(['pwd']);
    const credentials = await ward.key.credentials();
    await ward.context.close();
    return credentials;
  }

  /** A clinician who registered a key at the ward, now at home, asked for it after the password. */
  async function enrolledClinicianAtHome() {
    const user = await clinician();
    const credentials = await enrollAtWard(user);
    return { user, credentials, home: await stepUpAtHome(user, credentials) };
  }

  /** Signs in at home with the password and waits for the step-up page. */
  async function stepUpAtHome(user: { username: string }, credentials: KeyCredential[]) {
    const home = await openBrowser('home', credentials);
    const started = await signInWithPassword(home.page, user.username);
    await expect.poll(() => heading(home.page)).toBe('Stronger proof needed');
    return { ...home, started, uid: uidOf(home.page) };
  }

  /** The audit entries of a type, oldest first, with their data parsed. */
  async function audited(type: string) {
    const rows: { actor: string | null; subject: string | null; data: string }[] = await server.db('audit_log').where({ type }).orderBy('id');
    return rows.map((row) => ({ actor: row.actor, subject: row.subject, ...(JSON.parse(row.data) as Record<string, unknown>) }));
  }

  const storedCounter = async (credential: KeyCredential) => Number((await server.db('webauthn_credentials').where({ id: storedIdOf(credential) }).first()).counter);

  /** A live step-up challenge for the interaction open in `page`, asked for as public/webauthn.js does. */
  async function stepUpChallenge(page: Page): Promise<string> {
    const res = await page.request.post(`${originOf(page)}/interaction/${uidOf(page)}/webauthn/step-up/options`, { data: {} });
    expect(res.status()).toBe(200);
    return ((await res.json()) as { challenge: string }).challenge;
  }

  /** Posts a step-up form body to an interaction, with the browser's cookies, without following redirects. */
  function postStepUp(page: Page, uid: string, body: { response: unknown } | string) {
    const url = `${originOf(page)}/interaction/${uid}/webauthn/step-up`;
    return typeof body === 'string'
      ? page.request.post(url, { data: body, headers: { 'content-type': 'application/x-www-form-urlencoded' }, maxRedirects: 0 })
      : page.request.post(url, { form: { response: JSON.stringify(body.response) }, maxRedirects: 0 });
  }

  /** Posts an assertion signed outside the browser by `credential` over a fresh challenge. */
  async function postSignedAssertion(page: Page, credential: KeyCredential, overrides: { origin?: string; rpId?: string; userVerified?: boolean } = {}) {
    const challenge = await stepUpChallenge(page);
    const rpId = new URL(server.issuer).hostname;
    const response = signAssertion(credential, { challenge, origin: server.issuer, rpId, counter: (await storedCounter(credential)) + 1, ...overrides });
    return postStepUp(page, uidOf(page), { response });
  }

  /** Lets the test see, and change, the WebAuthn options the page receives from Wardgate. */
  function editOptions(page: Page, edit: (options: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>) {
    return page.route(
      (url) => url.pathname.endsWith('/options'),
      async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, json: await edit((await response.json()) as Record<string, unknown>) });
      },
    );
  }

  /** An edit of the options: the challenge's two minutes pass before the key answers it. */
  const expireChallenge = async (options: Record<string, unknown>) => {
    await server.db('webauthn_challenges').where({ challenge: options.challenge }).update({ expires_at: Date.now() - 1 });
    return options;
  };

  /** The one-time link the service desk sends (what `wardgate users enroll-link` prints). */
  const enrollmentLinkFor = (userId: string) =>
    createWebAuthn({ db: server.db, store: createWebAuthnStore(server.db), audit: createAuditLog(server.db), rp: relyingPartyOf(server.issuer) }).createEnrollmentLink(userId, 'it:service-desk', server.issuer);

  const lastFailure = async () => (await audited('webauthn.failed')).at(-1);

  it('registers a key after a trusted sign-in, then steps up a remote sign-in with it: acr phr, amr pwd hwk user mfa', async () => {
    const user = await clinician();
    const credentials = await enrollAtWard(user, 'enroll-offer');
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);
    const stored = await server.db('webauthn_credentials').where({ user_id: user.id });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id: storedIdOf(credentials[0]!), nickname: 'Blue key', device_type: 'singleDevice' });

    // The same key, plugged into the clinician's laptop at home.
    const home = await openBrowser('home', credentials);
    const started = await rp.start({ scope: 'openid profile' });
    await home.page.goto(started.url);
    await expect.poll(() => heading(home.page)).toBe('Sign in');
    await shot(home.page, 'sign-in');
    await home.page.getByLabel('Username').fill(user.username);
    await home.page.getByLabel('Password').fill(PASSWORD);
    await home.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => heading(home.page)).toBe('Stronger proof needed');
    await shot(home.page, 'step-up');
    await useKey(home.page);
    expect(await idTokenAt(home, started)).toMatchObject({ sub: user.id, acr: 'phr', amr: ['pwd', 'hwk', 'user', 'mfa'] });
    expect((await audited('webauthn.asserted')).at(-1)).toMatchObject({ actor: user.id, subject: storedIdOf(credentials[0]!), ceremony: 'step_up' });
  });

  it('refuses a step-up without user verification: Chromium will not sign, and the server refuses an assertion that lacks it', async () => {
    const { user, credentials, home } = await enrolledClinicianAtHome();
    await home.key.setUserVerified(false);
    await useKey(home.page);
    await expect.poll(() => shownError(home.page)).toBe('The security key request was cancelled or timed out. Try again.');
    expect(home.callbacks).toEqual([]);

    // The same key's signature, user present but not verified: the server refuses it...
    const unverified = await postSignedAssertion(home.page, credentials[0]!, { userVerified: false });
    expect(unverified.status()).toBe(400);
    expect(await unverified.text()).toContain('The security key could not be verified.');
    expect(await lastFailure()).toMatchObject({ subject: home.uid, reason: 'user_not_verified', credentialId: storedIdOf(credentials[0]!) });
    // ...and accepts the same assertion with user verification.
    const verified = await postSignedAssertion(home.page, credentials[0]!, { userVerified: true });
    expect(verified.status()).toBe(303);
    expect((await redeem(await followToCallback(home.page, verified), home.started)).acr).toBe('phr');
  });

  it('refuses a replayed assertion and a reused challenge', async () => {
    const { user, credentials, home } = await enrolledClinicianAtHome();
    // A successful step-up, its challenge and its form post kept.
    let firstOptions: Record<string, unknown> = {};
    await editOptions(home.page, (options) => (firstOptions = options));
    const posted = home.page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/webauthn/step-up'));
    await useKey(home.page);
    const firstBody = (await posted).postData()!;
    expect((await idTokenAt(home, home.started)).acr).toBe('phr');
    await home.page.unrouteAll();
    const asserted = (await audited('webauthn.asserted')).length;

    // Replayed into the sign-in that used it: nothing is waiting there any more.
    const again = await postStepUp(home.page, home.uid, firstBody);
    expect(again.status()).toBe(400);

    // Replayed into a new sign-in of the same person, waiting for its step-up.
    const second = await signInWithPassword(home.page, user.username, { prompt: 'login' });
    await expect.poll(() => heading(home.page)).toBe('Stronger proof needed');
    const uid = uidOf(home.page);
    const replay = await postStepUp(home.page, uid, firstBody);
    expect(replay.status()).toBe(400);
    expect(await replay.text()).toContain('This security key request has expired or was already used.');
    expect(await lastFailure()).toMatchObject({ actor: user.id, subject: uid, reason: 'challenge_invalid' });

    // The browser handed the old challenge: the key signs it afresh, and the server refuses it.
    await editOptions(home.page, () => firstOptions);
    await useKey(home.page);
    await expect.poll(() => shownError(home.page)).toBe('This security key request has expired or was already used. Try again.');
    expect(await lastFailure()).toMatchObject({ actor: user.id, subject: uid, reason: 'challenge_invalid' });
    expect((await audited('webauthn.asserted')).length).toBe(asserted);

    // With a challenge of its own, the same key steps up this sign-in.
    await home.page.unrouteAll();
    await useKey(home.page);
    expect((await idTokenAt(home, second)).acr).toBe('phr');
  });

  it('refuses a step-up whose challenge has expired', async () => {
    const { user, credentials, home } = await enrolledClinicianAtHome();
    await editOptions(home.page, expireChallenge);
    await useKey(home.page);
    await expect.poll(() => shownError(home.page)).toBe('This security key request has expired or was already used. Try again.');
    expect(await lastFailure()).toMatchObject({ actor: user.id, subject: home.uid, reason: 'challenge_invalid' });
    expect(home.callbacks).toEqual([]);

    await home.page.unrouteAll();
    await useKey(home.page);
    expect((await idTokenAt(home, home.started)).acr).toBe('phr');
  });

  it("refuses another person's key at a step-up, and audits whose key it was", async () => {
    const alice = await clinician();
    const bob = await clinician();
    const alicesKey = await enrollAtWard(alice);
    const bobsKey = await enrollAtWard(bob);
    // Bob signs in at home with his password, holding Alice's key.
    const home = await stepUpAtHome(bob, alicesKey);
    // The options list Bob's key only, which this authenticator does not hold; without the list,
    // it signs with the one discoverable credential it holds, and the server sees Alice's key.
    let listed: unknown;
    await editOptions(home.page, (options) => {
      listed = options.allowCredentials;
      return { ...options, allowCredentials: [] };
    });
    await useKey(home.page);
    await expect.poll(() => shownError(home.page)).toBe('This security key belongs to someone else.');
    expect(listed).toEqual([expect.objectContaining({ id: storedIdOf(bobsKey[0]!) })]);
    expect(await lastFailure()).toMatchObject({ actor: bob.id, subject: home.uid, reason: 'credential_of_other_user', credentialId: storedIdOf(alicesKey[0]!) });
    expect(home.callbacks).toEqual([]);
    expect(await heading(home.page)).toBe('Stronger proof needed');
  });

  it('refuses a key on a page served from another origin (127.0.0.1, while the RP ID is localhost), in the browser and at the server', async () => {
    const user = await clinician();
    const credentials = await enrollAtWard(user);
    const home = await openBrowser('home', credentials);
    const elsewhere = server.issuer.replace('//localhost:', '//127.0.0.1:');
    const started = await signInWithPassword(home.page, user.username, {}, elsewhere);
    await expect.poll(() => heading(home.page)).toBe('Stronger proof needed');
    expect(new URL(home.page.url()).origin).toBe(elsewhere);
    // Chromium refuses the ceremony: the RP ID is not this page's domain.
    await useKey(home.page);
    await expect.poll(() => shownError(home.page)).toContain('not at Wardgate\'s own address');
    await shot(home.page, 'wrong-origin');

    // The key's own signature, made for the origin the page had, or for another RP ID: refused.
    const wrongOrigin = await postSignedAssertion(home.page, credentials[0]!, { origin: elsewhere });
    expect(wrongOrigin.status()).toBe(400);
    expect(await lastFailure()).toMatchObject({ subject: uidOf(home.page), reason: 'verification_failed' });
    const wrongRpId = await postSignedAssertion(home.page, credentials[0]!, { rpId: '127.0.0.1' });
    expect(wrongRpId.status()).toBe(400);
    expect(await lastFailure()).toMatchObject({ subject: uidOf(home.page), reason: 'verification_failed' });
    expect(home.callbacks).toEqual([]);
    expect(await audited('webauthn.asserted')).not.toContainEqual(expect.objectContaining({ actor: user.id }));
    // The same signer, for Wardgate's origin and RP ID, is accepted.
    const right = await postSignedAssertion(home.page, credentials[0]!);
    expect(right.status()).toBe(303);
    expect((await redeem(await followToCallback(home.page, right), started)).acr).toBe('phr');
  });

  it('refuses a key whose counter went backwards, and audits it as a possible clone', async () => {
    const { user, credentials, home } = await enrolledClinicianAtHome();
    await useKey(home.page);
    expect((await idTokenAt(home, home.started)).acr).toBe('phr');
    const [used] = await home.key.credentials();
    const stored = await storedCounter(used!);
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBe(used!.signCount);

    // A clone of the key, taken before it was used: its counter starts again from zero.
    await home.key.remove(used!.credentialId);
    await home.key.add({ ...used!, signCount: 0 });
    await signInWithPassword(home.page, user.username, { prompt: 'login' });
    await expect.poll(() => heading(home.page)).toBe('Stronger proof needed');
    const uid = uidOf(home.page);
    await useKey(home.page);
    await expect.poll(() => shownError(home.page)).toBe('This security key may have been cloned. Call the service desk.');
    await shot(home.page, 'step-up-refused');
    expect((await audited('webauthn.counter_regression')).at(-1)).toMatchObject({ actor: user.id, subject: storedIdOf(used!), stored, reported: 1, binding: uid });
    expect(await lastFailure()).toMatchObject({ subject: uid, reason: 'counter_regression' });
    expect(await storedCounter(used!)).toBe(stored);
  });

  it('blocks the sign-in after five refused security-key attempts', async () => {
    const { user, credentials, home } = await enrolledClinicianAtHome();
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await postSignedAssertion(home.page, credentials[0]!, { userVerified: false })).status()).toBe(400);
    }
    // Even a good assertion is refused now.
    await useKey(home.page);
    await expect.poll(() => heading(home.page)).toBe('Sign-in blocked');
    await shot(home.page, 'blocked');
    expect(await lastFailure()).toMatchObject({ subject: home.uid, reason: 'too_many_failures' });
    await home.page.getByRole('link', { name: 'Return to the application' }).click();
    const callback = await callbackOf(home, home.started);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('explains, and refuses to register a key, when a clinician without one meets a step-up remotely', async () => {
    const user = await clinician();
    const home = await openBrowser('home');
    const started = await signInWithPassword(home.page, user.username);
    await expect.poll(() => heading(home.page)).toBe('You need a security key for this sign-in');
    await shot(home.page, 'enroll-needed');
    expect(await home.page.getByRole('button', { name: /security key/ }).count()).toBe(0);
    expect(await home.page.locator('#decision-reference').textContent()).toMatch(/^[0-9a-f-]{36}$/);

    // Nothing here registers a key, whatever is posted.
    const uid = uidOf(home.page);
    const origin = new URL(home.page.url()).origin;
    expect((await home.page.request.post(`${origin}/interaction/${uid}/webauthn/register/options`, { data: {} })).status()).toBe(400);
    expect((await home.page.request.post(`${origin}/interaction/${uid}/webauthn/step-up/options`, { data: {} })).status()).toBe(400);
    expect((await home.page.request.post(`${origin}/interaction/${uid}/webauthn/register`, { form: { response: '{"id":"x","response":{}}' }, maxRedirects: 0 })).status()).toBe(400);
    expect(await server.db('webauthn_credentials').where({ user_id: user.id })).toEqual([]);
    expect(await home.key.credentials()).toEqual([]);

    await home.page.getByRole('link', { name: 'Return to the application' }).click();
    const callback = await callbackOf(home, started);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('asks for the password again before registering a key at the ward, so the next person at the PC cannot', async () => {
    const user = await clinician();
    const ward = await openBrowser('ward');
    await signInWithPassword(ward.page, user.username);
    await expect.poll(() => heading(ward.page)).toBe('Register a security key');
    await ward.page.getByLabel('Your password, again').fill('somebody else guessing');
    await ward.page.getByRole('button', { name: 'Register my security key' }).click();
    await expect.poll(() => ward.page.getByRole('alert').first().textContent()).toContain('type your password again');
    expect((await server.db('webauthn_credentials').where({ user_id: user.id })).length).toBe(0);
    await ward.page.getByLabel('Your password, again').fill(PASSWORD);
    await ward.page.getByRole('button', { name: 'Register my security key' }).click();
    await expect.poll(async () => (await server.db('webauthn_credentials').where({ user_id: user.id })).length).toBe(1);
  });

  it('signs in with a passkey first, no password asked: acr phr, amr hwk user mfa', async () => {
    const user = await clinician();
    const credentials = await enrollAtWard(user);
    const home = await openBrowser('home', credentials);
    const started = await rp.start({ scope: 'openid profile' });
    await home.page.goto(started.url);
    await home.page.getByRole('button', { name: 'Sign in with a security key or passkey' }).click();
    expect(await idTokenAt(home, started)).toMatchObject({ sub: user.id, acr: 'phr', amr: ['hwk', 'user', 'mfa'] });
    expect((await audited('webauthn.asserted')).at(-1)).toMatchObject({ actor: user.id, ceremony: 'passkey' });
  });

  it('steps up a password session to phr when the relying app asks for acr_values=phr, without asking for the password again', async () => {
    const user = await clinician();
    const credentials = await enrollAtWard(user);
    const ward = await openBrowser('ward', credentials);
    const first = await signInWithPassword(ward.page, user.username);
    const password = await idTokenAt(ward, first);
    expect(password.acr).toBe('urn:wardgate:acr:1fa');

    const upgrade = await rp.start({ scope: 'openid profile', acr_values: 'phr' });
    await ward.page.goto(upgrade.url);
    await expect.poll(() => heading(ward.page)).toBe('Stronger proof needed');
    expect(await ward.page.getByLabel('Password').count()).toBe(0);
    await shot(ward.page, 'step-up-session');
    await useKey(ward.page);
    expect(await idTokenAt(ward, upgrade)).toMatchObject({ sub: user.id, acr: 'phr', amr: ['pwd', 'hwk', 'user', 'mfa'] });
  });

  it('registers a key once with an IT enrollment link, which cannot be used twice', async () => {
    const user = await clinician();
    const link = await enrollmentLinkFor(user.id);
    const home = await openBrowser('home');
    await home.page.goto(link.url);
    await expect.poll(() => heading(home.page)).toBe('Register a security key');
    expect(await home.page.locator('.lead').textContent()).toContain(user.displayName);
    await shot(home.page, 'enroll-link');

    // A first attempt fails (its challenge expired while the key was being found): the link still works.
    await editOptions(home.page, expireChallenge);
    await home.page.getByRole('button', { name: 'Register my security key' }).click();
    await expect.poll(() => shownError(home.page)).toBe('This security key request has expired or was already used. Start again.');
    await home.page.unrouteAll();
    // The key forgets the credential it made for that attempt, which Wardgate never kept.
    await home.key.remove((await home.key.credentials())[0]!.credentialId);

    await home.page.getByLabel('Name for this key (optional)').fill('Yellow key');
    const posted = home.page.waitForRequest((r) => r.method() === 'POST' && r.url() === link.url);
    await home.page.getByRole('button', { name: 'Register my security key' }).click();
    await expect.poll(() => heading(home.page)).toBe('Security key registered');
    await shot(home.page, 'enroll-done');
    const body = (await posted).postData()!;
    const credentials = await home.key.credentials();
    expect(await server.db('webauthn_credentials').where({ user_id: user.id })).toEqual([expect.objectContaining({ id: storedIdOf(credentials[0]!), nickname: 'Yellow key' })]);
    expect((await audited('webauthn.registered')).at(-1)).toMatchObject({ actor: user.id, ceremony: 'enroll_link' });

    // Used: the link opens to an explanation, and its registration posted again registers nothing.
    const reopened = await home.page.goto(link.url);
    expect(reopened!.status()).toBe(400);
    expect(await heading(home.page)).toBe('Registration link not valid');
    const again = await home.page.request.post(link.url, { data: body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(again.status()).toBe(400);
    expect(await again.text()).toContain('This registration link is not valid');
    expect(await server.db('webauthn_credentials').where({ user_id: user.id })).toHaveLength(1);

    // The key it registered steps up this clinician's remote sign-in.
    const stepUp = await stepUpAtHome(user, credentials);
    await useKey(stepUp.page);
    expect((await idTokenAt(stepUp, stepUp.started)).acr).toBe('phr');
  });

  it('registers one key, not two, when two tabs use the same IT enrollment link at once', async () => {
    const user = await clinician();
    const link = await enrollmentLinkFor(user.id);
    const home = await openBrowser('home');
    // Each tab gets its own challenge and its own key's registration; the test holds both posts.
    const second = await home.context.newPage();
    await SecurityKey.plugInto(home.context, second);
    const bodies: string[] = [];
    for (const page of [home.page, second]) {
      // A page must have the focus to use a security key.
      await page.bringToFront();
      await page.route(
        (url) => url.href === link.url,
        (route) => (route.request().method() === 'POST' ? (bodies.push(route.request().postData()!), route.abort()) : route.continue()),
      );
      await page.goto(link.url);
      await page.getByRole('button', { name: 'Register my security key' }).click();
      await expect.poll(() => bodies.length).toBe(page === second ? 2 : 1);
    }
    const post = (body: string) => home.page.request.post(link.url, { data: body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    // Sent together, both may pass the link's check before either is verified: only the one that
    // claims the link keeps its key.
    const statuses = (await Promise.all(bodies.map(post))).map((res) => res.status());
    expect(statuses.sort()).toEqual([200, 400]);
    expect(await server.db('webauthn_credentials').where({ user_id: user.id })).toHaveLength(1);
  });
});
