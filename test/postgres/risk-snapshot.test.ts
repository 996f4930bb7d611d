/**
 * On PostgreSQL the risk engine's database ports are answered by one prepared statement per
 * decision (store/risk-snapshot.ts, signin/snapshot-ports.ts). These tests prove that it answers
 * exactly what the per-port queries answer on the same data, port by port and decision by decision,
 * that one decision is one round trip, and that a policy activated elsewhere (another
 * `createPolicies`, as another process would) is used by the very next decision.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeDevice } from '../../src/device/user-agent.ts';
import { hashToken } from '../../src/crypto/tokens.ts';
import { createRiskPorts } from '../../src/main.ts';
import { createPolicies } from '../../src/policy/policies.ts';
import { evaluate } from '../../src/risk/engine.ts';
import { DEFAULT_POLICY, policySchema, SIGNAL_IDS, type VersionedPolicy } from '../../src/risk/policy.ts';
import type { RiskPorts } from '../../src/risk/ports.ts';
import { SIGNALS } from '../../src/risk/signals/index.ts';
import type { RiskContext } from '../../src/risk/types.ts';
import type { Db } from '../../src/store/db.ts';
import { createPolicyVersionStore } from '../../src/store/policy-versions.ts';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../helpers/database.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const T = Date.parse('2026-12-01T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(ms);

const CHROME = {
  userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
  clientHints: { 'sec-ch-ua': '"Chromium";v="142", "Google Chrome";v="142"', 'sec-ch-ua-platform': '"Windows"', 'sec-ch-ua-platform-version': '"15.0.0"' },
};
const CURL = { userAgent: 'curl/8.5.0', clientHints: {} };
const CHROME_DEVICE = describeDevice(CHROME.userAgent, CHROME.clientHints).fingerprint;

const USERS = { alice: 'u-alice', bob: 'u-bob', carol: 'u-carol' } as const;
const ATTACKER = '45.155.205.233';

/** Every port call worth comparing: edges of each query (ties, touching bounds, mapped and zoned addresses, malformed input). */
function portCalls(credentials: Record<string, string>): [string, (p: RiskPorts) => Promise<unknown>][] {
  const calls: [string, (p: RiskPorts) => Promise<unknown>][] = [];
  const shiftWindows: [string, number, number][] = [
    [USERS.alice, T - HOUR, T + 24 * HOUR],
    [USERS.alice, T - 2 * HOUR, T - 2 * HOUR],
    [USERS.alice, T + 20 * HOUR, T + 20 * HOUR],
    [USERS.alice, T - 30 * DAY, T + 30 * DAY],
    [USERS.alice, T + 40 * HOUR, T + 50 * HOUR],
    [USERS.bob, T - HOUR, T + 24 * HOUR],
    [USERS.carol, T - DAY, T + DAY],
    ['no-such-user', T - DAY, T + DAY],
  ];
  for (const [user, from, to] of shiftWindows) calls.push([`shifts.overlapping(${user}, ${from - T}, ${to - T})`, (p) => p.shifts.overlapping(user, at(from), at(to))]);
  const presented = { ...credentials, unknown: crypto.randomBytes(32).toString('base64url'), short: 'abc', empty: '', plus: `${'a'.repeat(42)}+`, padded: ` ${credentials.active!.slice(1)}` };
  for (const [name, credential] of Object.entries(presented)) calls.push([`terminals.identify(${name})`, (p) => p.terminals.identify(credential)]);
  for (const ip of ['10.1.2.5', '10.1.2.200', '10.1.9.9', '::ffff:10.1.9.9', 'fd00:1::5', 'fd00:1::5%eth0', '10.3.0.5', '10.3.1.5', '86.1.1.7', '192.168.1.1', '8.8.8.8', '::1', 'not-an-ip', '', ' 10.1.2.5 ']) {
    calls.push([`sites.containing(${JSON.stringify(ip)})`, (p) => p.sites.containing(ip)]);
  }
  calls.push(['sites.countries()', (p) => p.sites.countries()]);
  for (const [user, before] of [[USERS.alice, T], [USERS.alice, T - 3 * HOUR], [USERS.alice, T + 2 * HOUR], [USERS.alice, T - 200 * DAY], [USERS.bob, T], [USERS.carol, T]] as const) {
    calls.push([`history.lastSuccess(${user}, ${before - T})`, (p) => p.history.lastSuccess(user, at(before))]);
  }
  const seen: [string, string, number][] = [
    [USERS.alice, 'dev-a', T - 90 * DAY],
    [USERS.alice, 'dev-a', T - 3 * HOUR],
    [USERS.alice, 'dev-a', T - 3 * HOUR + 1],
    [USERS.alice, 'dev-c', T - 90 * DAY],
    [USERS.alice, 'dev-d', T - 90 * DAY],
    [USERS.alice, CHROME_DEVICE, T - 90 * DAY],
    [USERS.bob, 'dev-b', T - 90 * DAY],
  ];
  for (const [user, device, since] of seen) calls.push([`history.deviceSeen(${user}, ${device}, ${since - T})`, (p) => p.history.deviceSeen(user, device, at(since))]);
  const failures: [string | null, string, number][] = [
    [USERS.alice, ATTACKER, T - 15 * MINUTE],
    [null, ATTACKER, T - 15 * MINUTE],
    ['', ATTACKER, T - 15 * MINUTE],
    [USERS.alice, ATTACKER, T - 10 * MINUTE],
    [USERS.alice, '10.1.2.5', T - DAY],
    [USERS.bob, '10.1.2.5', T - 15 * MINUTE],
    [USERS.carol, '192.168.1.1', T - 15 * MINUTE],
  ];
  for (const [userId, ip, since] of failures) calls.push([`failures.count(${userId}, ${ip}, ${since - T})`, (p) => p.failures.count({ userId, ip, since: at(since) })]);
  return calls;
}

/** The default policy with budgets no loaded machine overruns, with and without the sites' countries. */
function policies(): VersionedPolicy[] {
  const signals = Object.fromEntries(SIGNAL_IDS.map((id) => [id, { budgetMs: 5000 }]));
  return [
    { version: 1, document: policySchema.parse({ ...DEFAULT_POLICY, signals }) },
    { version: 2, document: policySchema.parse({ ...DEFAULT_POLICY, signals, lists: { ...DEFAULT_POLICY.lists, allowedCountries: ['GB'] } }) },
  ];
}

function contexts(credentials: Record<string, string>): RiskContext[] {
  const users = [{ id: USERS.alice, username: 'alice' }, { id: USERS.bob, username: 'bob' }, undefined];
  const ips = ['10.1.2.5', '10.3.0.5', '::ffff:10.1.9.9', 'fd00:1::5', '81.2.69.142', '8.8.8.8', ATTACKER, '192.168.1.1'];
  const presented = [credentials.active, credentials.revoked, undefined, 'short'];
  return users.flatMap((user) =>
    ips.flatMap((ip) =>
      presented.flatMap((terminalCredential) =>
        [CHROME, CURL].map((device) => ({
          ...(user ? { user } : {}),
          ip,
          ...device,
          ...(terminalCredential === undefined ? {} : { terminalCredential }),
          client: { id: 'ehr', sensitivity: 'standard' as const },
          requestedAcr: [],
          at: at(T),
        })),
      ),
    ),
  );
}

async function arrange(server: TestServer): Promise<Record<string, string>> {
  const db = server.db;
  const { sites, terminals } = server.hospital;
  await db('users').insert(
    Object.entries(USERS).map(([name, id]) => ({ id, username: name, username_key: name, display_name: name, email: null, roles: '[]', fhir_user: null, password_hash: null, disabled: false, created_at: T, updated_at: T })),
  );
  // Nested and tied ranges: the most specific network wins, then the smallest end, then the site id.
  await sites.create({ id: 'north', name: 'North General', timezone: 'Europe/London', country: 'GB', latitude: 51.5246, longitude: -0.134, networks: ['10.1.0.0/16', '10.1.2.0/24', 'fd00:1::/32', '86.1.1.0/29'] });
  await sites.create({ id: 'south', name: 'South Infirmary', timezone: 'Europe/Dublin', country: 'IE', networks: ['10.1.2.0/24', '10.3.0.0/16'] });
  await sites.create({ id: 'west', name: 'West Cottage', timezone: 'Europe/London', country: 'GB', latitude: 52.2053, longitude: 0.1218, networks: ['10.1.2.128/25', '10.3.0.0/24'] });

  const enrolled = async (name: string, siteId: string, unit?: string) => {
    const pending = await terminals.create({ name, siteId, ...(unit ? { unit } : {}) });
    const result = await terminals.enroll(pending.enrollmentUrl.split('/').pop()!);
    return { id: pending.id, credential: result!.credential };
  };
  const active = await enrolled('Ward 3 PC', 'north', 'Ward 3');
  const revoked = await enrolled('Old PC', 'south', 'Ward 1');
  await terminals.revoke(revoked.id);
  const reissued = await enrolled('Reset PC', 'west');
  await terminals.reissueEnrollment(reissued.id);
  const noUnit = await enrolled('Corridor PC', 'west');
  // A pending row still holding a credential hash (the services never leave one): never identified.
  const pendingCredential = crypto.randomBytes(32).toString('base64url');
  await db('terminals').insert({
    id: crypto.randomUUID(), name: 'Odd PC', site_id: 'north', unit: null, status: 'pending', credential_hash: hashToken(pendingCredential),
    enrollment_hash: null, enrollment_expires_at: null, enrolled_at: null, last_seen_at: null, created_at: T, updated_at: T,
  });

  const shift = (id: string, user: string, site: string, start: number, end: number, kind = 'scheduled') => ({
    id, user_id: user, site_id: site, starts_at: start, ends_at: end, kind, external_id: null, created_at: T, updated_at: T,
  });
  await db('shifts').insert([
    shift('shift-1', USERS.alice, 'north', T - 10 * HOUR, T - 2 * HOUR),
    // Two shifts starting together: ordered by id.
    shift('shift-b', USERS.alice, 'north', T - HOUR, T + 7 * HOUR),
    shift('shift-a', USERS.alice, 'west', T - HOUR, T + 11 * HOUR, 'on_call'),
    shift('shift-4', USERS.alice, 'south', T + 20 * HOUR, T + 28 * HOUR),
    shift('shift-5', USERS.alice, 'north', T + 30 * HOUR, T + 38 * HOUR),
    shift('shift-6', USERS.bob, 'south', T - 30 * HOUR, T - 22 * HOUR),
  ]);

  const history = (user: string, when: number, outcome: string, device: string, place: [string, number, number, number] | null) => ({
    user_id: user, at: when, ip: place ? '81.2.69.142' : '10.1.2.5', country: place?.[0] ?? null, latitude: place?.[1] ?? null, longitude: place?.[2] ?? null,
    accuracy_km: place?.[3] ?? null, device_hash: device, outcome,
  });
  await db('sign_in_history').insert([
    history(USERS.alice, T - 3 * HOUR, 'success', 'dev-a', ['GB', 51.5074, -0.1278, 20]),
    history(USERS.alice, T - 5 * DAY, 'success', 'dev-b', null),
    history(USERS.alice, T - HOUR, 'step_up', 'dev-c', ['US', 37.751, -97.822, 1000]),
    history(USERS.alice, T + HOUR, 'success', 'dev-c', null),
    history(USERS.alice, T - 100 * DAY, 'success', 'dev-d', null),
    history(USERS.alice, T - 10 * DAY, 'success', CHROME_DEVICE, null),
    history(USERS.bob, T - HOUR, 'step_up', 'dev-b', null),
  ]);

  const failure = (when: number, ip: string, username: string, user: string | null) => ({ at: when, ip, username_key: username, user_id: user, zone: ip.startsWith('10.') ? 'on_premises' : 'remote' });
  await db('failed_attempts').insert([
    ...Array.from({ length: 16 }, (_, i) => failure(T - (i + 1) * 30_000, ATTACKER, `k${1 + (i % 6)}`, null)),
    ...Array.from({ length: 6 }, (_, i) => failure(T - (2 * i + 1) * MINUTE, ATTACKER, 'alice', USERS.alice)),
    failure(T - 20 * MINUTE, ATTACKER, 'alice', USERS.alice),
    failure(T - 2 * HOUR, '10.1.2.5', 'alice', USERS.alice),
    failure(T - 5 * MINUTE, '10.1.2.5', 'bob', USERS.bob),
  ]);
  return { active: active.credential, revoked: revoked.credential, reissued: reissued.credential, noUnit: noUnit.credential, pending: pendingCredential };
}

/**
 * Counts the connections taken (one per statement here) while `run` runs, from every PostgreSQL
 * pool: the main one and the decision reads' own (store/risk-snapshot.ts decisionReadLane).
 */
async function roundTrips(db: Db, run: () => Promise<unknown>): Promise<number> {
  const spy = vi.spyOn(Object.getPrototypeOf(db.client) as Db['client'], 'acquireConnection');
  try {
    await run();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

describe.skipIf(databaseUnavailable())('risk ports in one statement on PostgreSQL', () => {
  let database: TestDatabase;
  let server: TestServer;
  let credentials: Record<string, string>;
  let batched: ReturnType<typeof createRiskPorts>;
  let perPort: RiskPorts;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    server = await startTestServer(database);
    credentials = await arrange(server);
    const services = { sites: server.hospital.sites, terminals: server.hospital.terminals };
    batched = createRiskPorts(server.db, services);
    perPort = createRiskPorts(server.db, services, { perPortQueries: true });
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('answers every port call as the per-port queries do, one call at a time', async () => {
    expect(batched.forDecision).toBeTypeOf('function');
    expect(perPort).not.toHaveProperty('forDecision');
    for (const [label, call] of portCalls(credentials)) {
      expect(await call(batched), label).toEqual(await call(perPort));
    }
  });

  it('answers the same when every call comes at once (the same port twice goes in another statement)', async () => {
    const calls = portCalls(credentials);
    const expected = [];
    for (const [, call] of calls) expected.push(await call(perPort));
    const all = await Promise.all(calls.map(([, call]) => call(batched)));
    expect(all).toEqual(expected);
  });

  it('finds what the data holds (the comparison is not between two empty answers)', async () => {
    expect((await batched.shifts.overlapping(USERS.alice, at(T - HOUR), at(T + 24 * HOUR))).map((s) => s.id)).toEqual(['shift-a', 'shift-b', 'shift-4']);
    expect((await batched.shifts.overlapping(USERS.alice, at(T - 2 * HOUR), at(T - 2 * HOUR))).map((s) => s.id)).toEqual(['shift-1']);
    expect(await batched.terminals.identify(credentials.active!)).toMatchObject({ name: 'Ward 3 PC', siteId: 'north', unit: 'Ward 3', status: 'active' });
    expect(await batched.terminals.identify(credentials.revoked!)).toMatchObject({ status: 'revoked' });
    expect(await batched.terminals.identify(credentials.noUnit!)).toMatchObject({ unit: null, status: 'active' });
    for (const name of ['reissued', 'pending']) expect(await batched.terminals.identify(credentials[name]!)).toBeNull();
    const siteOf = async (ip: string) => (await batched.sites.containing(ip))?.id ?? null;
    expect(await Promise.all(['10.1.2.5', '10.1.2.200', '::ffff:10.1.9.9', '10.3.0.5', '10.3.1.5', 'fd00:1::5%eth0', '192.168.1.1', 'not-an-ip'].map(siteOf))).toEqual(['north', 'west', 'north', 'west', 'south', 'north', null, null]);
    expect(await batched.sites.containing('10.3.1.5')).toEqual({ id: 'south', name: 'South Infirmary', timezone: 'Europe/Dublin', country: 'IE', latitude: null, longitude: null });
    expect(await batched.sites.countries()).toEqual(['GB', 'IE']);
    expect(await batched.history.lastSuccess(USERS.alice, at(T))).toEqual({ at: at(T - 3 * HOUR), country: 'GB', latitude: 51.5074, longitude: -0.1278, accuracyKm: 20 });
    expect(await batched.history.deviceSeen(USERS.alice, 'dev-a', at(T - 3 * HOUR))).toBe(true);
    expect(await batched.failures.count({ userId: USERS.alice, ip: ATTACKER, since: at(T - 15 * MINUTE) })).toEqual({ user: 6, ip: 22, distinctUsernamesFromIp: 7 });
  });

  it('decides every context as the per-port queries do, in one round trip a decision', async () => {
    const all = contexts(credentials);
    const outcomes = new Set<string>();
    for (const policy of policies()) {
      for (const context of all) {
        const options = { signals: SIGNALS, newId: () => 'decision' };
        const scope = batched.forDecision!();
        let decided: Awaited<ReturnType<typeof evaluate>> | undefined;
        expect(await roundTrips(server.db, async () => (decided = await evaluate(context, policy, scope.ports, options)))).toBe(1);
        expect(scope.policyVersions()).toEqual([1]);
        const expected = await evaluate(context, policy, perPort, options);
        expect(decided, JSON.stringify(context)).toEqual(expected);
        expect(await evaluate(context, policy, batched, options)).toEqual(expected);
        outcomes.add(expected.outcome);
        for (const f of expected.findings) outcomes.add(f.code);
      }
    }
    // The contexts reach every outcome and the findings each port decides.
    for (const code of ['allow', 'step_up', 'deny', 'on_shift', 'off_shift', 'known_terminal', 'on_premises', 'remote', 'country_not_allowed', 'impossible_travel', 'new_device', 'ip_failures', 'password_spraying', 'repeated_failures']) {
      expect(outcomes, code).toContain(code);
    }
    expect([...outcomes].filter((c) => c.startsWith('signal_error'))).toEqual([]);
  });

  it('sends a call that comes after the statement left in a statement of its own, and still answers it', async () => {
    const scope = batched.forDecision!();
    expect(await roundTrips(server.db, () => Promise.all([scope.ports.sites.containing('10.1.2.5'), scope.ports.sites.countries()]))).toBe(1);
    expect(await roundTrips(server.db, async () => expect(await scope.ports.sites.containing('10.3.0.5')).toMatchObject({ id: 'west' }))).toBe(1);
    expect(await roundTrips(server.db, async () => expect(await scope.ports.terminals.identify('short')).toBeNull())).toBe(0);
    expect(scope.policyVersions()).toEqual([1, 1]);
  });

  it('uses a policy activated through another createPolicies (another process) from the very next decision', async () => {
    const elsewhere = createPolicies(server.db);
    const context: RiskContext = {
      user: { id: USERS.alice, username: 'alice' }, ip: '10.1.2.5', ...CHROME, terminalCredential: credentials.active!,
      client: { id: 'ehr', sensitivity: 'standard' }, requestedAcr: [], at: new Date(),
    };
    const decide = () => server.assessor.evaluate({ ...context, at: new Date() }, 'password');
    const first = await decide();
    const before = first.policyVersion;
    // With the cached policy still active, a decision is one round trip (no policy query).
    expect(await roundTrips(server.db, async () => expect((await decide()).policyVersion).toBe(before))).toBe(1);

    const denyAll = await elsewhere.save(
      { ...DEFAULT_POLICY, rules: [...DEFAULT_POLICY.rules, { id: 'deny-ehr', description: 'EHR closed.', when: { clientId: 'ehr' }, outcome: 'deny', mode: 'enforce' }] },
      'another process',
      { activate: true },
    );
    expect(denyAll.version).toBeGreaterThan(before);
    const next = await decide();
    expect(next).toMatchObject({ policyVersion: denyAll.version, outcome: 'deny', determiningRules: ['rule:deny-ehr'] });
    expect(await roundTrips(server.db, async () => expect((await decide()).policyVersion).toBe(denyAll.version))).toBe(1);

    // Back to the earlier version (a rollback activates an older one): applied at once too.
    await createPolicyVersionStore(server.db).activate(before, 'another process', Date.now());
    const rolledBack = await decide();
    expect(rolledBack.policyVersion).toBe(before);
    expect(rolledBack.determiningRules).not.toContain('rule:deny-ehr');
    expect(rolledBack.outcome).toBe(first.outcome);
  });

  it("reads a decision's data on connections of its own, never from the main pool where the writes queue", async () => {
    const context: RiskContext = {
      user: { id: USERS.alice, username: 'alice' }, ip: '10.1.2.5', ...CHROME, terminalCredential: credentials.active!,
      client: { id: 'ehr', sensitivity: 'standard' }, requestedAcr: [], at: new Date(),
    };
    const decide = () => server.assessor.evaluate({ ...context, at: new Date() }, 'password');
    await decide();
    const main = vi.spyOn(server.db.client, 'acquireConnection');
    try {
      expect(await roundTrips(server.db, decide)).toBe(1);
      expect(main).not.toHaveBeenCalled();
    } finally {
      main.mockRestore();
    }
  });
});
