/**
 * /admin/api/v1/decisions over HTTP: real sign-ins come back as sentences for the service desk
 * (naming the person and the site), filters and cursor pages over many decisions, one decision by
 * the reference on its page, and the dashboard summary counted over a window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../../helpers/database.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { adminClient, type AdminClient, type ApiResponse } from '../../helpers/admin.ts';
import { TestBrowser, signIn } from '../../helpers/browser.ts';
import { createRelyingParty, type RelyingParty } from '../../helpers/relying-party.ts';
import { TEST_SITE } from '../../helpers/hospital.ts';
import { createPolicies } from '../../../src/policy/policies.ts';
import { DEFAULT_POLICY } from '../../../src/risk/policy.ts';
import type { RiskContext } from '../../../src/risk/types.ts';

const PASSWORD = 'ward round passphrase';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';
const HOUR = 3600_000;

describe.skipIf(databaseUnavailable())('admin API: decisions', () => {
  let db: TestDatabase;
  let server: TestServer;
  let api: AdminClient;
  let ehr: RelyingParty;
  let grey: { id: string; username: string };
  let allowedId: string;
  let blockedId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    api = await adminClient(server);
    ehr = await createRelyingParty(server, { client_name: 'EHR', first_party: true });
    const user = await server.clinician({ username: 'm.grey', password: PASSWORD, displayName: 'Dr Meredith Grey' });
    grey = { id: user.id, username: user.username };

    // Allowed: on shift, at the ward terminal, on the hospital's network (loopback).
    const ward = await server.browser();
    const started = await ehr.start({ scope: 'openid' });
    const { callback } = await signIn(ward, started.url, { username: 'm.grey', password: PASSWORD });
    expect(callback).toMatch(/code=/);
    allowedId = (await server.db('decisions').where({ user_id: grey.id, outcome: 'allow' }).first()).id;

    // Blocked before the password: a command-line client; the page carries the reference.
    const script = new TestBrowser(server.issuer);
    script.headers['user-agent'] = 'curl/8.5.0';
    const step = await script.follow((await ehr.start({ scope: 'openid' })).url);
    const page = await step.res.text();
    blockedId = page.match(/<code id="decision-reference">([^<]+)<\/code>/)![1]!;
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  /** A decision recorded through the assessor at a chosen time. */
  function decide(username: string | undefined, at: Date, options: { userAgent?: string; ip?: string; clientId?: string; userId?: string } = {}) {
    const context: RiskContext = {
      ...(username ? { user: { id: options.userId ?? `id-${username}`, username } } : {}),
      ip: options.ip ?? '127.0.0.1',
      userAgent: options.userAgent ?? CHROME,
      clientHints: {},
      client: { id: options.clientId ?? ehr.clientId, sensitivity: 'standard' },
      requestedAcr: [],
      at,
    };
    return server.assessor.assess(context, 'password');
  }

  it('explains a real allowed sign-in in sentences that name the person and the site', async () => {
    const response = await api.get(`/decisions?username=m.grey`);
    expect(response.status).toBe(200);
    const item = response.body.items.find((d: { id: string }) => d.id === allowedId);
    expect(item).toMatchObject({ phase: 'password', username: 'm.grey', userId: grey.id, clientId: ehr.clientId, outcome: 'allow', determiningRules: [], reportOnly: [] });
    expect(new Date(item.at).toISOString()).toBe(item.at);
    expect(item.policyVersion).toBeGreaterThanOrEqual(1);
    expect(item.terminalId).toEqual(expect.any(String));
    expect(item.explanation[0]).toMatch(/^Allowed: score -?\d+; policy version \d+\.$/);
    const onShift = item.findings.find((f: { code: string }) => f.code === 'on_shift');
    expect(onShift.sentence).toContain('Dr Meredith Grey');
    expect(onShift.sentence).toContain(TEST_SITE.name);
    expect(item.explanation).toContain(onShift.sentence);
    expect(item.findings.map((f: { code: string }) => f.code)).toEqual(expect.arrayContaining(['on_shift', 'known_terminal', 'on_premises']));
  });

  it('reads one decision by the reference on a blocked page, and answers 404 for an unknown one', async () => {
    const response = await api.get(`/decisions/${blockedId}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: blockedId, phase: 'pre_password', outcome: 'deny', username: null, determiningRules: ['rule:deny-automation'] });
    expect(response.body.explanation[0]).toMatch(/^Blocked: score \d+ because of rule:deny-automation/);
    expect(response.body.findings.find((f: { code: string }) => f.code === 'automation_client').sentence).toMatch(/looks automated/);
    const missing = await api.get('/decisions/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('not_found');
  });

  it('filters by outcome, app and window, and pages newest first with a cursor', async () => {
    const base = Date.now() - 10 * HOUR;
    const made: string[] = [];
    // Seven decisions for one person, two of them at the same instant (the cursor breaks the tie by id).
    for (const minutes of [0, 10, 20, 20, 30, 40, 50]) made.push((await decide('p.pager', new Date(base + minutes * 60_000), { userId: 'pager-id' })).decisionId);
    const denied = await decide('p.pager', new Date(base + 60 * 60_000), { userId: 'pager-id', userAgent: 'curl/8.5.0' });

    const seen: Array<{ id: string; at: string }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response: ApiResponse = await api.get(`/decisions?username=p.pager&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...response.body.items);
      cursor = response.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.map((d) => d.id).sort()).toEqual([...made, denied.decisionId].sort());
    const times = seen.map((d) => Date.parse(d.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(seen[0]!.id).toBe(denied.decisionId);

    const deny = await api.get('/decisions?username=p.pager&outcome=deny');
    expect(deny.body.items.map((d: { id: string }) => d.id)).toEqual([denied.decisionId]);
    expect(deny.body.items[0].explanation[0]).toMatch(/^Blocked/);
    expect(deny.body.nextCursor).toBeNull();

    const from = new Date(base + 15 * 60_000).toISOString();
    const to = new Date(base + 40 * 60_000).toISOString();
    const window = await api.get(`/decisions?username=p.pager&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(window.body.items).toHaveLength(3); // 20, 20 and 30 minutes; 40 is the exclusive end

    const otherApp = await decide('p.pager', new Date(base), { userId: 'pager-id', clientId: 'some-other-app' });
    const byApp = await api.get('/decisions?clientId=some-other-app');
    expect(byApp.body.items.map((d: { id: string }) => d.id)).toEqual([otherApp.decisionId]);
  });

  it('names every bad filter: outcome, unknown field, window, cursor, limit', async () => {
    const bad = await api.get('/decisions?outcome=maybe&colour=blue&limit=0');
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/colour', '/limit', '/outcome']);
    const backwards = await api.get(`/decisions?from=${encodeURIComponent('2026-11-30T00:00:00Z')}&to=${encodeURIComponent('2026-11-29T00:00:00Z')}`);
    expect(backwards.status).toBe(422);
    expect(backwards.body.errors).toEqual([{ pointer: '/to', message: 'must be after from' }]);
    const noOffset = await api.get('/decisions?from=2026-11-29T08:00:00');
    expect(noOffset.status).toBe(422);
    expect(noOffset.body.errors[0].pointer).toBe('/from');
    const cursor = await api.get('/decisions?cursor=not-a-cursor');
    expect(cursor.status).toBe(422);
    expect(cursor.body.errors[0].pointer).toBe('/cursor');
  });

  it('summarises a window: outcomes, top findings and report-only hits (summary is not taken for an id)', async () => {
    // A report-only rule, to see what it would have done: deny every sign-in from outside.
    const policies = createPolicies(server.db);
    await policies.save({ ...DEFAULT_POLICY, rules: [...DEFAULT_POLICY.rules, { id: 'deny-remote', description: 'Trial: block remote sign-ins', when: { finding: 'remote' }, outcome: 'deny', mode: 'report_only' }] }, 'test', { activate: true });
    const remote = await decide('r.remote', new Date(), { ip: '212.58.244.1' });
    expect(remote.reportOnly).toEqual([{ rule: 'deny-remote', wouldBe: 'deny' }]);
    await decide('r.remote', new Date(Date.now() - 30 * HOUR), { ip: '212.58.244.1' }); // outside 24 hours, inside 48

    for (const hours of [24, 48]) {
      const response = await api.get(`/decisions/summary?hours=${hours}`);
      expect(response.status).toBe(200);
      const since = Date.parse(response.body.since);
      expect(Date.now() - since).toBeGreaterThanOrEqual(hours * HOUR);
      expect(Date.now() - since).toBeLessThan(hours * HOUR + 60_000);
      // The same counts, computed here from the rows themselves.
      const rows = await server.db('decisions').where('at', '>=', since);
      const byOutcome = { allow: 0, step_up: 0, deny: 0 } as Record<string, number>;
      const findings = new Map<string, number>();
      const hits = new Map<string, number>();
      for (const row of rows) {
        byOutcome[row.outcome]!++;
        for (const f of JSON.parse(row.findings) as Array<{ code: string }>) findings.set(f.code, (findings.get(f.code) ?? 0) + 1);
        for (const r of JSON.parse(row.report_only) as Array<{ rule: string; wouldBe: string }>) hits.set(`${r.rule}/${r.wouldBe}`, (hits.get(`${r.rule}/${r.wouldBe}`) ?? 0) + 1);
      }
      expect(response.body.byOutcome).toEqual(byOutcome);
      expect(response.body.total).toBe(rows.length);
      expect(response.body.hours).toBe(hours);
      const top = [...findings].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1)).slice(0, 10);
      expect(response.body.topFindings).toEqual(top);
      expect(response.body.reportOnlyHits).toEqual([...hits].map(([key, count]) => ({ rule: key.split('/')[0], wouldBe: key.split('/')[1], count })));
      expect(response.body.reportOnlyHits).toEqual([{ rule: 'deny-remote', wouldBe: 'deny', count: hours === 24 ? 1 : 2 }]);
    }
    expect((await api.get('/decisions/summary')).body.hours).toBe(24);
    expect((await api.get('/decisions/summary?hours=0')).status).toBe(422);
    expect((await api.get('/decisions/summary?hours=721')).status).toBe(422);
  });

  it('is refused without an admin token', async () => {
    const response = await fetch(`${server.issuer}/admin/api/v1/decisions`);
    expect(response.status).toBe(401);
  });
});
