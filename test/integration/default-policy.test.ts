/**
 * The default policy, out of the box, one test per row of its table, through the real sign-in over
 * HTTP: the client address arrives in X-Forwarded-For from a trusted proxy (loopback), the terminal
 * credential in its cookie, the device in its User-Agent. "Trusted" means: known terminal, on
 * premises, on shift, current browser on a supported OS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../helpers/database.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { TestBrowser, declineEnrollment, formAction } from '../helpers/browser.ts';
import { createRelyingParty, type RelyingParty } from '../helpers/relying-party.ts';
import { TEST_SITE } from '../helpers/hospital.ts';

const ON_PREMISES = '10.20.1.5';
const HOSPITAL_EGRESS_GB = '81.2.69.142'; // the hospital's own public range: on premises, geolocated in GB
const REMOTE_GB = '212.58.244.1';
const REMOTE_US = '8.8.8.8';
const REMOTE_AU = '1.1.1.1';
const CHROME_WIN11 = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';
const CHROME_WIN7 = 'Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';
const PASSWORD = 'ward round passphrase';

type Result =
  | { kind: 'allowed'; idToken: Record<string, unknown>; callback: string }
  | { kind: 'refused'; status: number; page: string; reference: string | undefined; returnTo: string | undefined };

describe.skipIf(databaseUnavailable())('the default policy', () => {
  let db: TestDatabase;
  let server: TestServer;
  let ehr: RelyingParty;
  let pharmacy: RelyingParty;
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db, { WARDGATE_TRUST_PROXY: 'loopback' });
    await server.hospital.sites.ensure({ ...TEST_SITE, networks: [...TEST_SITE.networks, '10.20.0.0/16', '81.2.69.0/24'] });
    await server.hospital.sites.ensure({ id: 'test-boston', name: 'Test Boston Clinic', timezone: 'America/New_York', country: 'US', latitude: 42.36, longitude: -71.06, networks: [] });
    ehr = await createRelyingParty(server, { client_name: 'EHR', first_party: true });
    pharmacy = await createRelyingParty(server, { client_name: 'Pharmacy', first_party: true, sensitivity: 'high' });
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  /** A new clinician; on shift unless told otherwise. */
  async function clinician(onShift = true) {
    const username = `clin.${++n}`;
    const user = onShift
      ? await server.clinician({ username, password: PASSWORD, displayName: `Clinician ${n}` })
      : (await server.accounts.create({ username, password: PASSWORD, displayName: `Clinician ${n}` })).user;
    return { username, id: user.id };
  }

  async function browserAt(ip: string, options: { terminal?: boolean; ua?: string } = {}) {
    const browser = options.terminal === false ? new TestBrowser(server.issuer) : await server.browser();
    browser.headers['x-forwarded-for'] = ip;
    browser.headers['user-agent'] = options.ua ?? CHROME_WIN11;
    return browser;
  }

  async function signInAt(browser: TestBrowser, username: string, options: { password?: string; rp?: RelyingParty; params?: Record<string, string> } = {}): Promise<Result> {
    const rp = options.rp ?? ehr;
    const started = await rp.start({ scope: 'openid profile', prompt: 'login', ...options.params });
    let step = await browser.follow(started.url);
    if (step.leftTo) return finish(rp, step.leftTo, started);
    let html = await step.res.text();
    if (!html.includes('/login"')) return refused(step.res.status, html);
    step = await browser.postForm(browser.origin + formAction(html, /action="\/interaction\/[^"]+\/login"/), { username, password: options.password ?? PASSWORD });
    step = await declineEnrollment(browser, step);
    if (step.leftTo) return finish(rp, step.leftTo, started);
    if ('html' in step && typeof step.html === 'string') return refused(step.res.status, step.html);
    html = await step.res.text();
    return refused(step.res.status, html);
  }

  async function finish(rp: RelyingParty, callback: string, started: Awaited<ReturnType<RelyingParty['start']>>): Promise<Result> {
    const tokens = await rp.finish(callback, started);
    return { kind: 'allowed', idToken: await rp.verifyIdToken(tokens.id_token!), callback };
  }

  function refused(status: number, page: string): Result {
    return {
      kind: 'refused',
      status,
      page,
      reference: page.match(/<code id="decision-reference">([^<]+)<\/code>/)?.[1],
      returnTo: page.match(/<a class="button primary" href="([^"]+)">Return to the application<\/a>/)?.[1]?.replaceAll('&amp;', '&'),
    };
  }

  async function expectStepUp(result: Result, browser: TestBrowser) {
    expect(result.kind).toBe('refused');
    if (result.kind !== 'refused') return;
    expect(result.status).toBe(200);
    // These clinicians have no security key yet: the page says where and how to get one.
    expect(result.page).toContain('You need a security key for this sign-in');
    // No code is ever issued for a step_up decision: the relying app receives access_denied.
    const back = await browser.follow(new URL(result.returnTo!, server.issuer).href);
    expect(new URL(back.leftTo!).searchParams.get('error')).toBe('access_denied');
    expect(new URL(back.leftTo!).searchParams.get('code')).toBeNull();
    return result.reference!;
  }

  async function expectBlocked(result: Result, browser: TestBrowser) {
    expect(result.kind).toBe('refused');
    if (result.kind !== 'refused') return;
    expect(result.status).toBe(403);
    expect(result.page).toContain('Sign-in blocked');
    // Nothing tells an attacker which rule fired.
    expect(result.page).not.toMatch(/country|travel|automation|rule|score/i);
    const back = await browser.follow(new URL(result.returnTo!, server.issuer).href);
    expect(new URL(back.leftTo!).searchParams.get('error')).toBe('access_denied');
    return result.reference!;
  }

  async function decision(id: string) {
    const row = await server.db('decisions').where({ id }).first();
    return { ...row, findings: (JSON.parse(row.findings) as { code: string }[]).map((f) => f.code), rules: JSON.parse(row.determining_rules) as string[] };
  }

  it('trusted: allow, acr urn:wardgate:acr:1fa, a session until the shift ends plus grace', async () => {
    const { username, id } = await clinician();
    const result = await signInAt(await browserAt(ON_PREMISES), username);
    expect(result.kind).toBe('allowed');
    if (result.kind !== 'allowed') return;
    expect(result.idToken.acr).toBe('urn:wardgate:acr:1fa');
    expect(result.idToken.amr).toEqual(['pwd']);
    const session = await server.db('oidc_payloads').where({ type: 'Session', account_id: id }).first();
    // The shift ends in 8 hours; with 60 minutes of grace the session lasts about 9 hours.
    expect((Number(session.expires_at) - Date.now()) / 3600_000).toBeCloseTo(9, 1);
    const row = await server.db('decisions').where({ user_id: id, phase: 'password' }).first();
    expect(row.outcome).toBe('allow');
    expect(JSON.parse(row.findings).map((f: { code: string }) => f.code)).toEqual(expect.arrayContaining(['on_shift', 'known_terminal', 'on_premises']));
  });

  it('on shift, on premises, unknown device, current browser: step_up', async () => {
    const { username } = await clinician();
    const browser = await browserAt(ON_PREMISES, { terminal: false });
    const reference = await expectStepUp(await signInAt(browser, username), browser);
    expect((await decision(reference!)).findings).toContain('unknown_device');
  });

  it('off shift (no shift within its grace), known terminal, on premises: step_up', async () => {
    const { username } = await clinician(false);
    const browser = await browserAt(ON_PREMISES);
    const reference = await expectStepUp(await signInAt(browser, username), browser);
    const d = await decision(reference!);
    expect(d.findings).toEqual(expect.arrayContaining(['off_shift', 'known_terminal', 'on_premises']));
    expect(d.rules).toEqual(['threshold:stepUp']);
  });

  it('on shift, remote, from an allowed country, current browser: step_up', async () => {
    const { username } = await clinician();
    const browser = await browserAt(REMOTE_GB);
    const reference = await expectStepUp(await signInAt(browser, username), browser);
    const d = await decision(reference!);
    expect(d.findings).toContain('remote');
    expect(d.findings).not.toContain('country_not_allowed');
    expect(d.country).toBe('GB');
  });

  it('from a country outside the allowed list: deny, before the password is checked', async () => {
    const { username } = await clinician();
    const right = await browserAt(REMOTE_AU);
    const withRightPassword = await signInAt(right, username);
    const wrong = await browserAt(REMOTE_AU);
    const withWrongPassword = await signInAt(wrong, username, { password: 'not the password at all' });
    const reference = await expectBlocked(withRightPassword, right);
    await expectBlocked(withWrongPassword, wrong);
    // The same page either way: nothing says whether the password would have been right.
    const strip = (r: Result) => (r.kind === 'refused' ? r.page.replace(/[0-9a-f-]{36}/g, 'REF').replace(/\/auth\/[^"]+/g, 'AUTH') : '');
    expect(strip(withRightPassword)).toBe(strip(withWrongPassword));
    const d = await decision(reference!);
    expect(d.phase).toBe('pre_password');
    expect(d.rules).toEqual(['rule:deny-country-not-allowed']);
  });

  it('impossible travel since the last successful sign-in: deny', async () => {
    const { username } = await clinician();
    expect((await signInAt(await browserAt(HOSPITAL_EGRESS_GB), username)).kind).toBe('allowed');
    // Minutes later from the United States (an allowed country: there is a Boston site).
    const browser = await browserAt(REMOTE_US);
    const reference = await expectBlocked(await signInAt(browser, username), browser);
    const d = await decision(reference!);
    expect(d.findings).toContain('impossible_travel');
    expect(d.findings).not.toContain('country_not_allowed');
    expect(d.rules).toEqual(['rule:deny-impossible-travel']);
  });

  it('automation client user agent: deny, before the password is checked', async () => {
    const { username } = await clinician();
    const browser = await browserAt(ON_PREMISES, { ua: 'curl/8.5.0' });
    const reference = await expectBlocked(await signInAt(browser, username), browser);
    const d = await decision(reference!);
    expect(d.phase).toBe('pre_password');
    expect(d.rules).toEqual(['rule:deny-automation']);
  });

  it('trusted, but an unsupported OS: step_up', async () => {
    const { username } = await clinician();
    const browser = await browserAt(ON_PREMISES, { ua: CHROME_WIN7 });
    const reference = await expectStepUp(await signInAt(browser, username), browser);
    expect((await decision(reference!)).findings).toContain('unsupported_os');
  });

  it('trusted, but 5 or more failed passwords for the user in 15 minutes: step_up', async () => {
    const { username } = await clinician();
    const browser = await browserAt(ON_PREMISES);
    for (let i = 0; i < 5; i++) {
      const attempt = await signInAt(browser, username, { password: `wrong password number ${i}` });
      expect(attempt.kind === 'refused' && attempt.page.includes('The username or password is not right')).toBe(true);
    }
    const reference = await expectStepUp(await signInAt(browser, username), browser);
    expect((await decision(reference!)).findings).toContain('repeated_failures');
  });

  it('a client with sensitivity high, or acr_values=phr requested: step_up', async () => {
    const { username } = await clinician();
    const toPharmacy = await browserAt(ON_PREMISES);
    const high = await expectStepUp(await signInAt(toPharmacy, username, { rp: pharmacy }), toPharmacy);
    expect((await decision(high!)).rules).toEqual(['rule:step-up-sensitive-apps']);
    const askingPhr = await browserAt(ON_PREMISES);
    const phr = await expectStepUp(await signInAt(askingPhr, username, { params: { acr_values: 'phr' } }), askingPhr);
    expect((await decision(phr!)).findings).toContain('phr_requested');
  });
});

describe.skipIf(databaseUnavailable())('sessions, records and limits', () => {
  let db: TestDatabase;
  let server: TestServer;
  let ehr: RelyingParty;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db, { WARDGATE_TRUST_PROXY: 'loopback' });
    ehr = await createRelyingParty(server, { client_name: 'EHR', first_party: true });
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it('re-evaluates an existing session when an app asks for phr: a step-up, not a second password prompt', async () => {
    await server.clinician({ username: 'o.hunt', password: PASSWORD, displayName: 'Dr Owen Hunt' });
    const browser = await server.browser();
    const first = await ehr.start({ scope: 'openid' });
    const page = await browser.follow(first.url);
    const login = await declineEnrollment(browser, await browser.postForm(browser.origin + formAction(await page.res.text(), /action="\/interaction\/[^"]+\/login"/), { username: 'o.hunt', password: PASSWORD }));
    expect(login.leftTo).toMatch(/code=/);

    const stronger = await ehr.start({ scope: 'openid', acr_values: 'phr' });
    const step = await browser.follow(stronger.url);
    const html = await step.res.text();
    expect(html).not.toContain('name="password"');
    expect(html).toContain('You need a security key for this sign-in');
    const row = await server.db('decisions').where({ phase: 'session' }).first();
    expect(JSON.parse(row.findings).map((f: { code: string }) => f.code)).toContain('phr_requested');

    // prompt=login asks for the password again, and judges the context again.
    const again = await ehr.start({ scope: 'openid', prompt: 'login' });
    expect(await (await browser.follow(again.url)).res.text()).toContain('name="password"');
  });

  it('never carries a password session into a high-sensitivity app: single sign-on there needs the key', async () => {
    const pharmacy = await createRelyingParty(server, { client_name: 'Pharmacy', first_party: true, sensitivity: 'high' });
    await server.clinician({ username: 'a.robbins', password: PASSWORD, displayName: 'Dr Arizona Robbins' });
    const browser = await server.browser();
    const first = await ehr.start({ scope: 'openid' });
    const page = await browser.follow(first.url);
    const login = await declineEnrollment(browser, await browser.postForm(browser.origin + formAction(await page.res.text(), /action="\/interaction\/[^"]+\/login"/), { username: 'a.robbins', password: PASSWORD }));
    expect(login.leftTo).toMatch(/code=/);
    const sensitive = await pharmacy.start({ scope: 'openid' });
    const step = await browser.follow(sensitive.url);
    expect(step.leftTo).toBeUndefined();
    expect(await step.res.text()).toContain('You need a security key for this sign-in');
  });

  it('stores every decision and appends it to a verifiable audit log', async () => {
    const rows = await server.db('decisions').select('id');
    const audit = await server.db('audit_log').where({ type: 'sign_in.decision' }).select('data');
    const audited = new Set(audit.map((a: { data: string }) => (JSON.parse(a.data) as { decisionId: string }).decisionId));
    for (const { id } of rows) expect(audited.has(id)).toBe(true);
    const { createAuditLog } = await import('../../src/audit/log.ts');
    expect(await createAuditLog(server.db).verify()).toMatchObject({ valid: true });
  });

  it('slows a flood of wrong passwords with 429 and Retry-After, and never locks the account for good', async () => {
    await server.clinician({ username: 'l.torres', password: PASSWORD, displayName: 'Dr Callie Torres' });
    const attacker = await server.browser();
    attacker.headers['x-forwarded-for'] = '203.0.113.50';
    let limited: Response | undefined;
    for (let i = 0; i < 12 && !limited; i++) {
      const started = await ehr.start({ scope: 'openid' });
      const page = await attacker.follow(started.url);
      const action = formAction(await page.res.text(), /action="\/interaction\/[^"]+\/login"/);
      const res = await attacker.request(attacker.origin + action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'l.torres', password: `guess ${i} of many` }).toString(),
      });
      if (res.status === 429) limited = res;
    }
    expect(limited?.status).toBe(429);
    const seconds = Number(limited!.headers.get('retry-after'));
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(await limited!.text()).toContain('Your account is not locked');

    // Meanwhile the clinician at a ward terminal on the hospital's network is not slowed at all.
    const ward = await server.browser();
    const started = await ehr.start({ scope: 'openid' });
    const page = await ward.follow(started.url);
    const done = await ward.postForm(ward.origin + formAction(await page.res.text(), /action="\/interaction\/[^"]+\/login"/), { username: 'l.torres', password: PASSWORD });
    expect(done.res.status).not.toBe(429);
  });

  it('simulates a sign-in with the same engine and writes nothing', async () => {
    const count = async () => [Number(Object.values((await server.db('decisions').count({ n: '*' }))[0]!)[0]), Number(Object.values((await server.db('audit_log').count({ n: '*' }))[0]!)[0]), Number(Object.values((await server.db('failed_attempts').count({ n: '*' }))[0]!)[0]), Number(Object.values((await server.db('sign_in_history').count({ n: '*' }))[0]!)[0])];
    const before = await count();
    const user = await server.accounts.findByUsername('o.hunt');
    const decision = await server.assessor.simulate({
      user: { id: user!.id, username: 'o.hunt' },
      ip: '1.1.1.1',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
      clientHints: {},
      client: { id: ehr.clientId, sensitivity: 'standard' },
      requestedAcr: [],
      at: new Date(),
    });
    expect(decision.outcome).toBe('deny');
    expect(decision.determiningRules).toContain('rule:deny-country-not-allowed');
    expect(await count()).toEqual(before);
  });

  it('counts decisions by outcome and finding code, with a latency histogram, in /metrics', async () => {
    const text = await (await fetch(`${server.issuer}/metrics`)).text();
    expect(text).toMatch(/wardgate_decisions_total\{outcome="allow",phase="password"\} [1-9]/);
    expect(text).toMatch(/wardgate_decision_findings_total\{code="known_terminal"\} [1-9]/);
    expect(text).toMatch(/wardgate_decision_duration_seconds_bucket\{le="0.005",phase="password"\}/);
  });
});
