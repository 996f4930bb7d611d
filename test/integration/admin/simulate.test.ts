/**
 * /admin/api/v1/simulate and /admin/api/v1/policy/replay over HTTP: a simulation decides what a real
 * sign-in in the same context decides (allow, step_up, deny), writes nothing, tries drafts and
 * refuses what it cannot build; replay of the active policy changes no outcome, a stricter draft
 * changes some with examples, and bad windows are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../../helpers/database.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { adminClient, type AdminClient } from '../../helpers/admin.ts';
import { TestBrowser, declineEnrollment, formAction } from '../../helpers/browser.ts';
import { createRelyingParty, type RelyingParty } from '../../helpers/relying-party.ts';
import { TEST_SITE, TERMINAL_COOKIE } from '../../helpers/hospital.ts';
import { createPolicies } from '../../../src/policy/policies.ts';
import { DEFAULT_POLICY as DEFAULT, SIGNAL_IDS } from '../../../src/risk/policy.ts';

const ON_PREMISES = '127.0.0.1';
const REMOTE_AU = '1.1.1.1';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';
const PASSWORD = 'ward round passphrase';
const HOUR = 3600_000;
/**
 * The default policy with generous signal budgets, active for this file: a busy test machine must
 * not turn a slow query into a signal error and make a simulation differ from the sign-in by timing.
 */
const DEFAULT_POLICY = { ...DEFAULT, signals: Object.fromEntries(SIGNAL_IDS.map((id) => [id, { failureMode: 'step_up', budgetMs: 5000 }])) };

interface Terminal {
  id: string;
  credential: string;
}

describe.skipIf(databaseUnavailable())('admin API: simulate and replay', () => {
  let db: TestDatabase;
  let server: TestServer;
  let api: AdminClient;
  let ehr: RelyingParty;
  let pharmacy: RelyingParty;
  let ward: Terminal;
  let n = 0;
  let activeVersion: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db, { WARDGATE_TRUST_PROXY: 'loopback' });
    activeVersion = (await createPolicies(server.db).save(DEFAULT_POLICY, 'test', { activate: true })).version;
    api = await adminClient(server);
    await server.hospital.sites.ensure(TEST_SITE);
    ehr = await createRelyingParty(server, { client_name: 'EHR', first_party: true });
    pharmacy = await createRelyingParty(server, { client_name: 'Pharmacy', first_party: true, sensitivity: 'high' });
    ward = await terminal('Ward 3 workstation');
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  async function terminal(name: string): Promise<Terminal> {
    const pending = await server.hospital.terminals.create({ name, siteId: TEST_SITE.id, unit: 'Ward 3' });
    const enrolled = await server.hospital.terminals.enroll(pending.enrollmentUrl.split('/').pop()!);
    return { id: pending.id, credential: enrolled!.credential };
  }

  /** A new person: on shift at the test site now, or not. */
  async function person(onShift: boolean) {
    const username = `sim.${++n}`;
    const displayName = `Dr Grey ${n}`;
    const user = onShift ? await server.clinician({ username, password: PASSWORD, displayName }) : (await server.accounts.create({ username, password: PASSWORD, displayName })).user;
    return { username, displayName, id: user.id };
  }

  /** A real sign-in over HTTP; answers the decision it recorded. */
  async function signIn(username: string, options: { ip: string; ua?: string; terminal?: Terminal; rp?: RelyingParty }) {
    const browser = new TestBrowser(server.issuer);
    browser.headers['x-forwarded-for'] = options.ip;
    browser.headers['user-agent'] = options.ua ?? CHROME;
    if (options.terminal) await browser.jar.setCookie(`${TERMINAL_COOKIE}=${options.terminal.credential}; Path=/; HttpOnly`, server.issuer);
    const started = await (options.rp ?? ehr).start({ scope: 'openid profile', prompt: 'login' });
    let step = await browser.follow(started.url);
    let html = await step.res.text();
    if (html.includes('/login"')) {
      step = await browser.postForm(browser.origin + formAction(html, /action="\/interaction\/[^"]+\/login"/), { username, password: PASSWORD });
      step = await declineEnrollment(browser, step);
      html = step.leftTo ? '' : 'html' in step && typeof step.html === 'string' ? step.html : await step.res.text();
    }
    const reference = html.match(/<code id="decision-reference">([^<]+)<\/code>/)?.[1];
    const row = reference
      ? await server.db('decisions').where({ id: reference }).first()
      : await server.db('decisions').join('users', 'users.id', 'decisions.user_id').where('users.username', username).orderBy('at', 'desc').select('decisions.*').first();
    return { ...row, findings: JSON.parse(row.findings) as Array<{ code: string; points: number }> };
  }

  const simulate = (body: Record<string, unknown>) => api.post('/simulate', body);
  const codes = (findings: Array<{ code: string }>) => findings.map((f) => f.code).sort();

  async function counts() {
    const count = async (table: string) => Number((await server.db(table).count({ n: '*' }).first())!.n);
    return {
      decisions: await count('decisions'),
      history: await count('sign_in_history'),
      failures: await count('failed_attempts'),
      audit: await count('audit_log'),
      terminals: (await server.db('terminals').select('id', 'last_seen_at').orderBy('id')).map((t: { id: string; last_seen_at: unknown }) => `${t.id}:${t.last_seen_at}`),
    };
  }

  describe('POST /simulate', () => {
    it('decides allow as a real sign-in at a ward terminal, on premises, on shift does', async () => {
      const { username, displayName } = await person(true);
      const simulated = await simulate({ username, ip: ON_PREMISES, userAgent: CHROME, terminalId: ward.id, clientId: ehr.clientId });
      expect(simulated.status).toBe(200);
      const real = await signIn(username, { ip: ON_PREMISES, terminal: ward });
      expect(real.phase).toBe('password');
      expect(simulated.body).toMatchObject({ outcome: 'allow', score: real.score, requiredAcr: 'urn:wardgate:acr:1fa', policyVersion: real.policy_version, phase: 'password', accountDisabled: false });
      expect(simulated.body.outcome).toBe(real.outcome);
      expect(codes(simulated.body.findings)).toEqual(codes(real.findings));
      expect(codes(simulated.body.findings)).toEqual(['known_terminal', 'new_device', 'on_premises', 'on_shift']);
      // The session would last until the shift ends (8 h) plus an hour's grace.
      expect(simulated.body.sessionLifetime / 3600).toBeCloseTo(9, 1);
      expect(simulated.body.context).toMatchObject({ username, displayName, ip: ON_PREMISES, device: 'Chrome 142 on Windows 10', terminal: { id: ward.id, name: 'Ward 3 workstation', status: 'active' }, client: { id: ehr.clientId, sensitivity: 'standard' } });
      const shift = simulated.body.findings.find((f: { code: string }) => f.code === 'on_shift');
      expect(shift).toMatchObject({ signal: 'shift', points: 0 });
      expect(shift.sentence).toMatch(new RegExp(`^On shift: ${displayName} at Test General Hospital, \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} to `));
      expect(simulated.body.explanation[0]).toMatch(/^Allowed: score 20; policy version \d+\.$/);
    });

    it('decides step_up as a real sign-in off shift does, in words naming the person and the next shift\'s site', async () => {
      const { username, displayName } = await person(false);
      await server.hospital.shifts.add({ username, siteId: TEST_SITE.id, start: new Date(Date.now() + 3 * HOUR).toISOString(), end: new Date(Date.now() + 11 * HOUR).toISOString() });
      const simulated = await simulate({ username, ip: ON_PREMISES, userAgent: CHROME, terminalId: ward.id, clientId: ehr.clientId });
      const real = await signIn(username, { ip: ON_PREMISES, terminal: ward });
      expect(simulated.body).toMatchObject({ outcome: 'step_up', score: 60, requiredAcr: 'phr', determiningRules: ['threshold:stepUp'] });
      expect(real).toMatchObject({ outcome: 'step_up', score: 60, phase: 'password' });
      expect(codes(simulated.body.findings)).toEqual(codes(real.findings));
      const offShift = simulated.body.findings.find((f: { code: string }) => f.code === 'off_shift');
      expect(offShift.sentence).toMatch(new RegExp(`^Off shift: no shift for ${displayName} between \\d{2}:\\d{2} and \\d{2}:\\d{2}, when the next starts at Test General Hospital \\(.+ Europe/London\\) \\(\\+40\\)$`));
      expect(simulated.body.explanation).toContain(offShift.sentence);
    });

    it('decides deny as a real sign-in from a country outside the list does: before the password', async () => {
      const { username } = await person(true);
      const simulated = await simulate({ username, ip: REMOTE_AU, userAgent: CHROME, clientId: ehr.clientId });
      const real = await signIn(username, { ip: REMOTE_AU });
      expect(real).toMatchObject({ outcome: 'deny', phase: 'pre_password' });
      expect(simulated.body).toMatchObject({ outcome: 'deny', phase: 'pre_password', requiredAcr: null, sessionLifetime: 0, determiningRules: ['rule:deny-country-not-allowed'], score: real.score });
      expect(codes(simulated.body.findings)).toEqual(codes(real.findings));
      expect(simulated.body.explanation.slice(0, 2)).toEqual([expect.stringMatching(/^Blocked: score \d+ because of rule:deny-country-not-allowed/), 'A real sign-in is refused before the password is checked.']);
    });

    it('steps up for a high-sensitivity app and an app asking for phr, as the rules say', async () => {
      const { username } = await person(true);
      const simulated = await simulate({ username, ip: ON_PREMISES, userAgent: CHROME, terminalId: ward.id, clientId: pharmacy.clientId, acrValues: 'phr' });
      expect(simulated.body).toMatchObject({ outcome: 'step_up', determiningRules: ['rule:step-up-sensitive-apps'], context: { client: { sensitivity: 'high' }, requestedAcr: ['phr'] } });
      expect(codes(simulated.body.findings)).toEqual(expect.arrayContaining(['phr_requested', 'sensitive_app']));
      const real = await signIn(username, { ip: ON_PREMISES, terminal: ward, rp: pharmacy });
      expect(real.outcome).toBe('step_up');
    });

    it('writes nothing: no decision, history, failure count, audit entry or terminal sighting', async () => {
      const { username } = await person(true);
      const revoked = await terminal('Ward 9 workstation');
      await server.hospital.terminals.revoke(revoked.id);
      const before = await counts();
      for (const body of [
        { username, ip: ON_PREMISES, userAgent: CHROME, terminalId: ward.id },
        { username, ip: REMOTE_AU, userAgent: 'curl/8.5.0' },
        { username, ip: ON_PREMISES, userAgent: CHROME, terminalId: revoked.id, policy: { ...DEFAULT_POLICY, thresholds: { stepUp: 10, deny: 20 } } },
        { username: 'nobody', ip: ON_PREMISES, userAgent: CHROME },
      ]) {
        await simulate(body);
      }
      expect(await counts()).toEqual(before);
    });

    it('tries a draft policy instead of the active version, labelled as a draft', async () => {
      const { username } = await person(true);
      const context = { username, ip: ON_PREMISES, userAgent: CHROME, terminalId: ward.id };
      expect((await simulate(context)).body.outcome).toBe('allow');
      const draft = { ...DEFAULT_POLICY, weights: { ...DEFAULT_POLICY.weights, new_device: 60 } };
      const drafted = await simulate({ ...context, policy: draft });
      expect(drafted.status).toBe(200);
      expect(drafted.body).toMatchObject({ outcome: 'step_up', score: 60, policyVersion: 'draft', determiningRules: ['threshold:stepUp'] });
      expect(drafted.body.explanation[0]).toBe('Stepped up to a security key: score 60 because of threshold:stepUp; a draft policy.');
      expect(drafted.body.findings.find((f: { code: string }) => f.code === 'new_device')).toMatchObject({ points: 60, signal: 'posture' });
      // The draft was not saved: the active policy still allows.
      expect((await simulate(context)).body.outcome).toBe('allow');
    });

    it('judges a revoked terminal as its old cookie would be: not a known terminal', async () => {
      const { username } = await person(true);
      const revoked = await terminal('Ward 7 workstation');
      await server.hospital.terminals.revoke(revoked.id);
      const simulated = await simulate({ username, ip: ON_PREMISES, userAgent: CHROME, terminalId: revoked.id });
      const real = await signIn(username, { ip: ON_PREMISES, terminal: revoked });
      expect(simulated.body.outcome).toBe('step_up');
      expect(real.outcome).toBe('step_up');
      expect(codes(simulated.body.findings)).toEqual(codes(real.findings));
      const device = simulated.body.findings.find((f: { code: string }) => f.code === 'unknown_device');
      expect(device).toMatchObject({ details: { reason: 'revoked', terminalId: revoked.id }, sentence: 'Not at a known terminal (the terminal "Ward 7 workstation" was revoked) (+40)' });
    });

    it('says when the account is disabled: a real sign-in stops at the password', async () => {
      const { username, id } = await person(true);
      await server.accounts.disable(id);
      const simulated = await simulate({ username, ip: ON_PREMISES, userAgent: CHROME, terminalId: ward.id });
      expect(simulated.body).toMatchObject({ accountDisabled: true });
      expect(simulated.body.explanation[1]).toMatch(/account is disabled/);
    });

    it('refuses what it cannot build, naming each field', async () => {
      const { username } = await person(true);
      const pending = await server.hospital.terminals.create({ name: 'Ward 5 workstation', siteId: TEST_SITE.id });
      const unknown = await simulate({ username: 'nobody', ip: ON_PREMISES, userAgent: CHROME, clientId: 'no-such-app', terminalId: 'no-such-terminal' });
      expect(unknown.status).toBe(422);
      expect(unknown.body.errors).toEqual([
        { pointer: '/username', message: 'no user "nobody"' },
        { pointer: '/clientId', message: 'no relying app "no-such-app"' },
        { pointer: '/terminalId', message: 'no terminal "no-such-terminal"' },
      ]);
      const notEnrolled = await simulate({ username, ip: ON_PREMISES, userAgent: CHROME, terminalId: pending.id });
      expect(notEnrolled.status).toBe(422);
      expect(notEnrolled.body.errors).toEqual([{ pointer: '/terminalId', message: 'terminal "Ward 5 workstation" is not enrolled yet: no browser holds its credential' }]);

      const bad = await simulate({ username, ip: '10.0.0.300', userAgent: 42, at: '2026-11-29 08:00', clientHints: { 'x-colour': 'blue' }, colour: 'blue' });
      expect(bad.status).toBe(422);
      expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/at', '/clientHints/x-colour', '/colour', '/ip', '/userAgent']);
      expect(bad.body.errors.find((e: { pointer: string }) => e.pointer === '/ip').message).toBe('must be an IPv4 or IPv6 address');
    });

    it('refuses an invalid draft with a pointer per error under /policy', async () => {
      const { username } = await person(true);
      const draft = { ...DEFAULT_POLICY, thresholds: { stepUp: 100, deny: 50 }, weights: { ...DEFAULT_POLICY.weights, remote: -5 }, colour: 'blue' };
      const response = await simulate({ username, ip: ON_PREMISES, userAgent: CHROME, policy: draft });
      expect(response.status).toBe(422);
      expect(response.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/policy/colour', '/policy/thresholds/deny', '/policy/weights/remote']);
      expect(response.body.errors.find((e: { pointer: string }) => e.pointer === '/policy/thresholds/deny').message).toBe('deny must be above stepUp');
    });

    it('reads the time given, with its offset: off shift tomorrow night', async () => {
      const { username } = await person(true);
      const at = new Date(Date.now() + 30 * HOUR).toISOString().replace('Z', '+00:00');
      const simulated = await simulate({ username, ip: ON_PREMISES, userAgent: CHROME, terminalId: ward.id, at });
      expect(simulated.body.context.at).toBe(new Date(at).toISOString());
      expect(codes(simulated.body.findings)).toContain('off_shift');
      expect(simulated.body.outcome).toBe('step_up');
    });
  });

  describe('POST /policy/replay', () => {
    const window = () => ({ from: new Date(Date.now() - HOUR).toISOString(), to: new Date(Date.now() + HOUR).toISOString() });

    it('replaying the active policy changes no outcome, and writes nothing', async () => {
      const active = (await server.db('policy_versions').join('policy_active', 'policy_active.version', 'policy_versions.version').select('policy_versions.document').first()).document;
      const recorded = Number((await server.db('decisions').count({ n: '*' }).first())!.n);
      expect(recorded).toBeGreaterThanOrEqual(5);
      const before = await counts();
      const response = await api.post('/policy/replay', { policy: JSON.parse(active), ...window() });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ total: recorded, changed: 0, unchanged: recorded, transitions: {}, examples: [], notReplayed: [] });
      expect(response.body.recordedUnder).toEqual([{ policyVersion: activeVersion, count: recorded }]);
      expect(await counts()).toEqual(before);
    });

    it('a stricter draft changes some outcomes, with examples', async () => {
      const draft = { ...DEFAULT_POLICY, weights: { ...DEFAULT_POLICY.weights, new_device: 40 }, thresholds: { stepUp: 40, deny: 80 } };
      const range = window();
      const response = await api.post('/policy/replay', { policy: draft, ...range });
      expect(response.status).toBe(200);
      const body = response.body;
      expect(body.window).toEqual({ from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString() });
      expect(body.changed).toBeGreaterThan(0);
      expect(body.changed + body.unchanged).toBe(body.total);
      // The trusted sign-in from a new device steps up; off shift from a new device (40 + 20 → 40 + 40) is denied.
      expect(body.transitions['allow→step_up']).toBeGreaterThanOrEqual(1);
      expect(body.transitions['step_up→deny']).toBeGreaterThanOrEqual(1);
      expect(Object.values(body.transitions).reduce((a: number, b) => a + (b as number), 0)).toBe(body.changed);
      expect(body.examples.length).toBe(Math.min(20, body.changed));
      const example = body.examples.find((e: { from: string; to: string }) => e.from === 'allow' && e.to === 'step_up');
      expect(example).toMatchObject({ phase: 'password', username: expect.stringMatching(/^sim\./), score: 40, previousScore: 20, determiningRules: ['threshold:stepUp'], policyVersion: activeVersion });
      const recorded = await server.db('decisions').where({ id: example.decisionId }).first();
      expect(recorded.outcome).toBe('allow');
      expect(new Date(example.at).getTime()).toBe(Number(recorded.at));
    });

    it('judges rules on the app as the sign-in was; a report-only rule changes nothing', async () => {
      const rule = (mode: string) => ({ id: 'deny-high-sensitivity', description: 'Pharmacy closed.', when: { clientSensitivity: 'high' }, outcome: 'deny', mode });
      const enforced = await api.post('/policy/replay', { policy: { ...DEFAULT_POLICY, rules: [...DEFAULT_POLICY.rules, rule('enforce')] }, ...window() });
      expect(enforced.body).toMatchObject({ changed: 1, transitions: { 'step_up→deny': 1 } });
      expect(enforced.body.examples).toEqual([expect.objectContaining({ clientId: pharmacy.clientId, from: 'step_up', to: 'deny', determiningRules: ['rule:deny-high-sensitivity'] })]);
      const reportOnly = await api.post('/policy/replay', { policy: { ...DEFAULT_POLICY, rules: [...DEFAULT_POLICY.rules, rule('report_only')] }, ...window() });
      expect(reportOnly.body).toMatchObject({ changed: 0, transitions: {} });
    });

    it('names the draft settings it cannot judge again', async () => {
      const draft = { ...DEFAULT_POLICY, lists: { ...DEFAULT_POLICY.lists, allowedCountries: ['GB', 'AU'] } };
      const response = await api.post('/policy/replay', { policy: draft, ...window() });
      expect(response.status).toBe(200);
      expect(response.body.notReplayed).toEqual(['/lists/allowedCountries']);
    });

    it('refuses bad windows and an invalid draft', async () => {
      const now = Date.now();
      const iso = (ms: number) => new Date(ms).toISOString();
      const backwards = await api.post('/policy/replay', { policy: DEFAULT_POLICY, from: iso(now), to: iso(now - HOUR) });
      expect(backwards.status).toBe(422);
      expect(backwards.body.errors).toEqual([{ pointer: '/to', message: 'must be after from' }]);
      const tooLong = await api.post('/policy/replay', { policy: DEFAULT_POLICY, from: iso(now - 40 * 24 * HOUR), to: iso(now) });
      expect(tooLong.status).toBe(422);
      expect(tooLong.body.errors).toEqual([{ pointer: '/to', message: 'the window is at most 31 days' }]);
      const noOffset = await api.post('/policy/replay', { policy: DEFAULT_POLICY, from: '2026-11-29T08:00:00', to: 'tomorrow' });
      expect(noOffset.status).toBe(422);
      expect(noOffset.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/from', '/to']);
      const missing = await api.post('/policy/replay', { from: iso(now - HOUR), to: iso(now) });
      expect(missing.status).toBe(422);
      expect(missing.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/policy']);
      const invalid = await api.post('/policy/replay', { policy: { ...DEFAULT_POLICY, thresholds: { stepUp: 100, deny: 50 } }, from: iso(now - HOUR), to: iso(now), extra: 1 });
      expect(invalid.status).toBe(422);
      expect(invalid.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/extra', '/policy/thresholds/deny']);
    });

    it('is refused without the admin scope', async () => {
      const anonymous = await fetch(`${server.issuer}/admin/api/v1/policy/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ policy: DEFAULT_POLICY, ...window() }) });
      expect(anonymous.status).toBe(401);
      const simulation = await fetch(`${server.issuer}/admin/api/v1/simulate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(simulation.status).toBe(401);
    });
  });
});
