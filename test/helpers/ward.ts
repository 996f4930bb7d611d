/**
 * A hospital for sign-in tests over HTTP: Wardgate behind a trusted proxy (loopback), so that a test
 * browser says where it is with X-Forwarded-For; the test site's networks include the ward's
 * 10.20.0.0/16; an EHR registered as a first-party app. Each test starts its own (nothing shared
 * between tests), and walks a sign-in form by form.
 */
import { afterEach, beforeEach } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { startTestServer, type TestServer } from './server.ts';
import { TestBrowser, formAction, declineEnrollment } from './browser.ts';
import { createRelyingParty, type RelyingParty } from './relying-party.ts';
import { TEST_SITE, TERMINAL_COOKIE } from './hospital.ts';

export const WARD_IP = '10.20.1.5';
/** A public address in Great Britain (an allowed country), not on the hospital's networks. */
export const REMOTE_GB = '81.2.69.160';
export const CHROME_WIN11 = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';
export const PASSWORD = 'ward round passphrase';

export interface Ward {
  db: TestDatabase;
  server: TestServer;
  ehr: RelyingParty;
  /** A clinician on shift now (unless `onShift` is false). */
  clinician(username: string, onShift?: boolean): Promise<{ id: string; username: string }>;
  /** A browser at `ip`: at the ward's enrolled terminal (`terminal`, default) or a device of its own. */
  browserAt(ip: string, options?: { terminal?: boolean }): Promise<TestBrowser>;
  /** Opens the EHR's sign-in in `browser`: the interaction's uid and its login form's action. */
  openSignIn(browser: TestBrowser, params?: Record<string, string>): Promise<{ uid: string; action: string; started: Awaited<ReturnType<RelyingParty['start']>> }>;
  /** Posts a password to an open sign-in: the response status and page (or where it left to). */
  postPassword(browser: TestBrowser, action: string, username: string, password: string): Promise<{ status: number; page: string; leftTo?: string; retryAfter: string | null }>;
  /** A whole password sign-in: `allowed` with the callback, or the page that stopped it. */
  signIn(browser: TestBrowser, username: string, password?: string): Promise<{ allowed: boolean; status: number; page: string; uid: string; callback?: string }>;
  /** The `sign_in.*` audit entries, oldest first, with their data parsed. */
  signInEntries(): Promise<{ type: string; actor: string | null; data: Record<string, unknown> }[]>;
  close(): Promise<void>;
}

export async function openWard(env: Record<string, string> = {}, options: { now?: () => Date } = {}): Promise<Ward> {
  const db = await createTestDatabase();
  let server: TestServer | undefined;
  try {
    server = await startTestServer(db, { WARDGATE_TRUST_PROXY: 'loopback', ...env }, options);
    const ready = server;
    await ready.hospital.sites.ensure({ ...TEST_SITE, networks: [...TEST_SITE.networks, '10.20.0.0/16'] });
    const credential = await ready.hospital.trustedTerminal();
    const ehr = await createRelyingParty(ready, { client_name: 'EHR', first_party: true });
    const ward: Ward = {
      db,
      server: ready,
      ehr,
      async clinician(username, onShift = true) {
        const input = { username, password: PASSWORD, displayName: `Clinician ${username}` };
        const user = onShift ? await ready.clinician(input) : (await ready.accounts.create(input)).user;
        return { id: user.id, username };
      },
      async browserAt(ip, options = {}) {
        const browser = new TestBrowser(ready.issuer);
        if (options.terminal !== false) await browser.jar.setCookie(`${TERMINAL_COOKIE}=${credential}; Path=/; HttpOnly`, ready.issuer);
        browser.headers['x-forwarded-for'] = ip;
        browser.headers['user-agent'] = CHROME_WIN11;
        return browser;
      },
      async openSignIn(browser, params = {}) {
        const started = await ehr.start({ scope: 'openid profile', prompt: 'login', ...params });
        const step = await browser.follow(started.url);
        const action = formAction(await step.res.text(), /action="\/interaction\/[^"]+\/login"/);
        return { uid: action.split('/')[2]!, action, started };
      },
      async postPassword(browser, action, username, password) {
        const step = await browser.postForm(ready.issuer + action, { username, password });
        return { status: step.res.status, page: step.leftTo ? '' : await step.res.text(), leftTo: step.leftTo, retryAfter: step.res.headers.get('retry-after') };
      },
      async signIn(browser, username, password = PASSWORD) {
        const { uid, action } = await ward.openSignIn(browser);
        let step = await browser.postForm(ready.issuer + action, { username, password });
        step = await declineEnrollment(browser, step);
        if (step.leftTo) return { allowed: !new URL(step.leftTo).searchParams.has('error'), status: step.res.status, page: '', uid, callback: step.leftTo };
        return { allowed: false, status: step.res.status, page: await step.res.text(), uid };
      },
      async signInEntries() {
        const rows = await ready.db('audit_log').where('type', 'like', 'sign_in.%').orderBy('id');
        return rows.map((row: { type: string; actor: string | null; data: string }) => ({ type: row.type, actor: row.actor, data: JSON.parse(row.data) as Record<string, unknown> }));
      },
      async close() {
        await ready.close();
        await db.drop();
      },
    };
    return ward;
  } catch (error) {
    await server?.close();
    await db.drop();
    throw error;
  }
}

/**
 * A ward for each test of the calling `describe`: opened before the test, closed after it, never
 * shared. `still`: Wardgate's sign-in clock stands at the moment the test starts, so a burst of
 * attempts is judged as one moment and the throttle's backoff cannot open while a busy machine works.
 */
export function wardPerTest(options: { still?: boolean } = {}): () => Ward {
  let ward: Ward | undefined;
  beforeEach(async () => {
    const at = new Date();
    ward = await openWard({}, options.still ? { now: () => at } : {});
  });
  afterEach(async () => {
    await ward?.close();
    ward = undefined;
  });
  return () => {
    if (!ward) throw new Error('the ward is open only during a test');
    return ward;
  };
}
