/**
 * The self-service account page: it signs in through Wardgate like any relying app, lists the
 * person's keys, renames them, and refuses to remove one without a fresh security-key check.
 * (The WebAuthn ceremonies themselves are proven in Chromium, test/e2e/webauthn.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../helpers/database.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { declineEnrollment, formAction, type TestBrowser } from '../helpers/browser.ts';

describe.skipIf(databaseUnavailable())('account page', () => {
  let db: TestDatabase;
  let server: TestServer;
  let browser: TestBrowser;
  let userId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    userId = (await server.clinician({ username: 'j.wilson', password: 'oncology passphrase', displayName: 'Dr James Wilson' })).id;
    // Two keys, as if registered earlier (their ceremonies are tested in the browser suite).
    for (const [id, nickname] of [['cred-one', 'Blue key'], ['cred-two', 'Phone passkey']]) {
      await server.db('webauthn_credentials').insert({ id, user_id: userId, public_key: 'AQ', counter: 0, transports: '[]', aaguid: null, device_type: id === 'cred-one' ? 'singleDevice' : 'multiDevice', backed_up: id !== 'cred-one', nickname, created_at: Date.now(), last_used_at: null });
    }
    browser = await server.browser();
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it('sends a person who is not signed in through Wardgate first', async () => {
    const res = await browser.request(`${server.issuer}/account`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/account/login');
  });

  it('signs in with the password and lists the keys with their kind', async () => {
    const login = await browser.follow(`${server.issuer}/account/login`);
    const page = await login.res.text();
    const signedIn = await declineEnrollment(browser, await browser.postForm(server.issuer + formAction(page, /action="\/interaction\/[^"]+\/login"/), { username: 'j.wilson', password: 'oncology passphrase' }));
    expect(signedIn.url).toBe(`${server.issuer}/account`);
    const html = await signedIn.res.text();
    expect(html).toContain('Signed in as <strong>Dr James Wilson</strong>');
    expect(html).toContain('value="Blue key"');
    expect(html).toContain('Passkey (synced)');
    expect(html).toContain('Confirm with my security key to remove a key');
  });

  it('renames a key, and refuses an empty name', async () => {
    const renamed = await browser.postForm(`${server.issuer}/account/credentials/cred-one/rename`, { nickname: 'Ward 3 YubiKey' });
    expect(await renamed.res.text()).toContain('Renamed to &quot;Ward 3 YubiKey&quot;');
    expect((await server.db('webauthn_credentials').where({ id: 'cred-one' }).first()).nickname).toBe('Ward 3 YubiKey');
    const empty = await browser.postForm(`${server.issuer}/account/credentials/cred-one/rename`, { nickname: '  ' });
    expect(empty.res.status).toBe(400);
    expect(await empty.res.text()).toContain('nickname: must not be empty');
  });

  it('refuses to remove a key without a fresh phishing-resistant check', async () => {
    const removed = await browser.postForm(`${server.issuer}/account/credentials/cred-two/remove`, {});
    expect(removed.res.status).toBe(403);
    expect(await removed.res.text()).toContain('needs a fresh check');
    expect((await server.db('webauthn_credentials').where({ user_id: userId })).length).toBe(2);
  });

  it('asks Wardgate for phr and a five-minute max_age when the person wants to remove a key', async () => {
    const start = await browser.request(`${server.issuer}/account/login?fresh=1`);
    const auth = new URL(start.headers.get('location')!);
    expect(auth.searchParams.get('acr_values')).toBe('phr');
    expect(auth.searchParams.get('max_age')).toBe('300');
    // This person has keys, so the existing 1fa session is stepped up with one, not asked for a password.
    const step = await browser.follow(auth.href);
    const html = await step.res.text();
    expect(html).toContain('Use my security key');
    expect(html).not.toContain('name="password"');
  });
});
