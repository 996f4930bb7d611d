/**
 * The admin API's heavy operations, measured over real HTTP against a real Wardgate started in this
 * process (startTestServer, loopback), on a fresh SQLite file and a fresh PostgreSQL database
 * (created on the server, dropped at the end; bench/databases.ts). The caller is IT's client: a
 * client registered with scope wardgate:admin whose token comes from client_credentials at the real
 * token endpoint (test/helpers/admin.ts), as every admin API test does.
 *
 *   npm run bench:admin -- [--db both|sqlite|postgres] [--decisions 20000] [--audit 50000] [--simulations 300]
 *
 * The hospital: 3 sites (two English, one Irish; private, IPv6 and public egress networks), 1,000
 * people, 30 enrolled terminals, and a six-week rota of 30,000 shifts (30 a person: long days,
 * earlies and lates, nights crossing midnight, one in 25 on call, one in 20 at another site). Two
 * sites' rows come from a rota system (ISO 8601 with an offset, external_id), the third's from a
 * spreadsheet (local times with a space, no external_id, matched on person, site and start).
 *
 * What is measured, each a fixed number of times, then it stops:
 * 1. POST /shifts/import of that CSV: the first import (all created), the same file again (all
 *    unchanged), a file where every end time moved (all updated), a file with 3 bad rows (the 422).
 * 2. POST /policy/replay of a draft over a window holding the recorded decisions (default 20,000 in
 *    the last 24 hours). The decisions are made by the risk engine itself (`evaluate` with the real
 *    signals and policy) over in-memory ports answering from the generated rota, sites and terminals
 *    (geoip-lite and ua-parser-js live), pre-password first as a sign-in does, and written as
 *    `assessor.record` writes them, in batches.
 * 3. GET /audit/verify over a chain of 25,000 and then 50,000 entries (each decision's
 *    sign_in.decision entry as the assessor appends it, step-up assertions, sign-outs, admin
 *    changes, failed key checks; batch-inserted as `chainedRow` builds them), and GET
 *    /audit/export of the last 10,000 (format=fhir and format=ndjson): time and size.
 * 4. GET /decisions?limit=50 (newest page; one person's page) and /decisions/summary?hours=24.
 * 5. POST /simulate, a mix of people, places, browsers, terminals and apps.
 */
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import { usernameKey } from '../src/accounts/usernames.ts';
import { chainedRow, GENESIS, type AuditEvent } from '../src/audit/log.ts';
import { describeDevice } from '../src/device/user-agent.ts';
import { createGeoLookup } from '../src/geo/geoip.ts';
import { formatLocal, toEpochMs } from '../src/hospital/local-time.ts';
import { cidrRange, ipToHex } from '../src/hospital/networks.ts';
import { createPolicies } from '../src/policy/policies.ts';
import { evaluate } from '../src/risk/engine.ts';
import type { Policy, VersionedPolicy } from '../src/risk/policy.ts';
import type { RiskPorts, ShiftInfo, SiteInfo, TerminalInfo } from '../src/risk/ports.ts';
import { SIGNALS } from '../src/risk/signals/index.ts';
import type { RiskContext } from '../src/risk/types.ts';
import { decisionAuditEvent, decisionRow } from '../src/signin/assessor.ts';
import { createAuditStore, type AuditRow } from '../src/store/audit-log.ts';
import { isPostgres, type Db } from '../src/store/db.ts';
import type { DecisionRow } from '../src/store/decisions.ts';
import type { UserRow } from '../src/store/users.ts';
import { adminClient } from '../test/helpers/admin.ts';
import { startTestServer } from '../test/helpers/server.ts';
import type { TestDatabase } from '../test/helpers/database.ts';
import { eachDatabase, serverVersion } from './databases.ts';
import { elapsedMs, loadAverage, machine, quantile, timed } from './measure.ts';
import { ATTACKER_IP, DEVICES, insertBatches, int, pick, PUBLIC_GB, PUBLIC_US, seededRandom, weighted, type Random } from './risk-data.ts';

const { values: options } = parseArgs({
  options: {
    db: { type: 'string', default: 'both' },
    decisions: { type: 'string', default: '20000' },
    audit: { type: 'string', default: '50000' },
    simulations: { type: 'string', default: '300' },
  },
});
const DECISIONS = Number(options.decisions);
const AUDIT_ENTRIES = Number(options.audit);
const SIMULATIONS = Number(options.simulations);
if (![DECISIONS, AUDIT_ENTRIES, SIMULATIONS].every((n) => Number.isInteger(n) && n > 0) || AUDIT_ENTRIES < 2 * DECISIONS) {
  throw new Error('usage: node bench/admin.ts [--db both|sqlite|postgres] [--decisions n] [--audit n ≥ 2 × decisions] [--simulations n]');
}
if (!['both', 'sqlite', 'postgres'].includes(options.db)) throw new Error('--db must be both, sqlite or postgres');

const USERS = 1000;
/** Six weeks, two days off a week: 30 shifts a person. */
const ROTA_DAYS = 42;
const EXPORT_ENTRIES = 10_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------
// Timing

const duration = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`);
const bytes = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`);
const count = (n: number) => n.toLocaleString('en');

interface Line {
  label: string;
  samples: number[];
  note: string;
}

// ---------------------------------------------------------------------------------------------
// The hospital

interface BenchSite {
  id: string;
  name: string;
  timezone: string;
  country: string;
  latitude: number;
  longitude: number;
  networks: string[];
  /** Its rows come from a rota system (offsets, external ids), else from a spreadsheet (local times). */
  rotaSystem: boolean;
}

const SITES: readonly BenchSite[] = [
  { id: 'st-marys', name: "St Mary's Hospital", timezone: 'Europe/London', country: 'GB', latitude: 51.5175, longitude: -0.1743, networks: ['10.1.0.0/16', '172.16.1.0/24', 'fd00:1::/32', '86.1.1.0/29'], rotaSystem: true },
  { id: 'royal-infirmary', name: 'Royal Infirmary', timezone: 'Europe/London', country: 'GB', latitude: 53.4631, longitude: -2.2276, networks: ['10.2.0.0/16', '172.16.2.0/24', 'fd00:2::/32', '86.1.2.0/29'], rotaSystem: true },
  { id: 'mater-dublin', name: 'Mater Hospital Dublin', timezone: 'Europe/Dublin', country: 'IE', latitude: 53.3598, longitude: -6.2653, networks: ['10.3.0.0/16', '172.16.3.0/24', 'fd00:3::/32', '86.1.3.0/29'], rotaSystem: false },
];

const CLIENTS = [
  { client_id: 'ehr', client_name: 'Electronic health record', sensitivity: 'standard', weight: 70 },
  { client_id: 'rota', client_name: 'Rota', sensitivity: 'standard', weight: 20 },
  { client_id: 'prescribing', client_name: 'e-Prescribing', sensitivity: 'high', weight: 10 },
] as const;

interface BenchUser {
  id: string;
  username: string;
  displayName: string;
  home: number;
}

interface RotaShift {
  user: number;
  site: number;
  start: number;
  end: number;
  kind: 'scheduled' | 'on_call';
  externalId: string | null;
}

const SURNAMES = ['Grey', 'Okafor', 'Patel', 'Murphy', 'Nowak', 'Smith', 'Khan', 'Byrne', 'Jones', 'Silva', 'Chen', 'Walsh', 'Evans', 'Ahmed', 'Kelly', 'Taylor'];
const users: BenchUser[] = Array.from({ length: USERS }, (_, u) => ({
  id: crypto.randomUUID(),
  username: `staff.${String(u).padStart(4, '0')}`,
  displayName: `${u % 5 === 0 ? 'Dr' : u % 2 ? 'Nurse' : 'Mx'} ${SURNAMES[u % SURNAMES.length]} ${u}`,
  home: u % SITES.length,
}));

/** The rota: six weeks around `anchor` (the run's start), each person five days a week. */
function generateRota(anchor: number): RotaShift[] {
  const random = seededRandom(3);
  const dates = SITES.map((site) => Array.from({ length: ROTA_DAYS + 1 }, (_, d) => DateTime.fromMillis(anchor, { zone: site.timezone }).startOf('day').plus({ days: d - ROTA_DAYS / 2 }).toISODate()!));
  const at = (site: number, day: number, hhmm: string) => toEpochMs(`${dates[site]![day]} ${hhmm}`, SITES[site]!.timezone);
  const shifts: RotaShift[] = [];
  for (let u = 0; u < USERS; u++) {
    for (let d = 0; d < ROTA_DAYS; d++) {
      if ((d + u) % 7 >= 5) continue;
      const site = random() < 0.05 ? (users[u]!.home + 1 + int(random, SITES.length - 1)) % SITES.length : users[u]!.home;
      const pattern = u % 4 === 3 ? (Math.floor(d / 7) % 2 ? 'night' : 'long') : (['long', d % 2 ? 'late' : 'early', 'night'] as const)[u % 4]!;
      const onCall = random() < 0.04;
      const [from, to, nextDay] = onCall
        ? ['08:00', '08:00', true]
        : pattern === 'long' ? ['07:00', '19:30', false]
        : pattern === 'early' ? ['07:00', '15:00', false]
        : pattern === 'late' ? ['14:00', '22:00', false]
        : ['19:00', '07:30', true];
      shifts.push({
        user: u,
        site,
        start: at(site, d, from),
        end: at(site, d + (nextDay ? 1 : 0), to),
        kind: onCall ? 'on_call' : 'scheduled',
        externalId: SITES[site]!.rotaSystem ? `RS-${String(shifts.length + 1).padStart(6, '0')}` : null,
      });
    }
  }
  return shifts;
}

/** A time as its source writes it: a rota system with its offset, a spreadsheet in local time. */
function rotaTime(ms: number, site: BenchSite): string {
  return site.rotaSystem ? formatLocal(ms, site.timezone) : DateTime.fromMillis(ms, { zone: site.timezone }).toFormat('yyyy-MM-dd HH:mm');
}

/**
 * The files the import is timed with: the rota, the rota with every end 30 minutes later, and the
 * rota with 3 bad rows (an unknown person, a date that does not exist, an end before its start).
 * Made once for every database, before any request (writing them takes seconds of synchronous work).
 */
function rotaFiles(rota: readonly RotaShift[]) {
  const n = rota.length;
  const late = rota[Math.floor((5 * n) / 6)]!;
  return {
    original: rotaCsv(rota),
    moved: rotaCsv(rota, 30 * MINUTE),
    bad: rotaCsv(rota, 0, new Map([
      [Math.floor(n / 6), { username: 'nobody.here' }],
      [Math.floor(n / 2), { start: '2026-02-30 07:00' }],
      [Math.floor((5 * n) / 6), { end: rotaTime(late.start - HOUR, SITES[late.site]!) }],
    ])),
  };
}

/** The rota as CSV; `endShift` moves every end, `bad` replaces cells of some rows (by index). */
function rotaCsv(rota: readonly RotaShift[], endShift = 0, bad: ReadonlyMap<number, Partial<Record<'username' | 'start' | 'end', string>>> = new Map()): string {
  const lines = ['username,site_id,start,end,kind,external_id'];
  rota.forEach((s, i) => {
    const site = SITES[s.site]!;
    const row = { username: users[s.user]!.username, start: rotaTime(s.start, site), end: rotaTime(s.end + endShift, site), ...bad.get(i) };
    lines.push(`${row.username},${site.id},${row.start},${row.end},${s.kind},${s.externalId ?? ''}`);
  });
  return `${lines.join('\r\n')}\r\n`;
}

// ---------------------------------------------------------------------------------------------
// Recorded decisions and the audit chain

interface BenchTerminal {
  id: string;
  site: number;
  credential: string;
}

/** An address inside a /16 network of the site (10.s.x.y). */
const wardAddress = (random: Random, site: number) => `10.${site + 1}.${int(random, 256)}.${1 + int(random, 254)}`;

/** Ports answering from the generated hospital, with history and failed passwords drawn at random. */
function hospitalPorts(rota: readonly RotaShift[], terminals: readonly BenchTerminal[], random: Random): RiskPorts {
  const geo = createGeoLookup();
  const byUser = new Map<string, RotaShift[]>();
  for (const s of rota) byUser.set(users[s.user]!.id, [...(byUser.get(users[s.user]!.id) ?? []), s]);
  const ranges = SITES.map((site) => site.networks.map((cidr) => cidrRange(cidr)));
  const siteInfo = (i: number): SiteInfo => {
    const { id, name, timezone, country, latitude, longitude } = SITES[i]!;
    return { id, name, timezone, country, latitude, longitude };
  };
  const byCredential = new Map(terminals.map((t) => [t.credential, t]));
  return {
    shifts: {
      overlapping: async (userId, from, to) =>
        (byUser.get(userId) ?? [])
          .filter((s) => s.start <= to.getTime() && s.end >= from.getTime())
          .map((s): ShiftInfo => ({ id: s.externalId ?? `shift-${s.user}-${s.start}`, siteId: SITES[s.site]!.id, timezone: SITES[s.site]!.timezone, start: new Date(s.start), end: new Date(s.end), kind: s.kind })),
    },
    terminals: {
      identify: async (credential) => {
        const t = byCredential.get(credential);
        return t ? ({ id: t.id, name: `Ward PC ${t.id.slice(0, 4)}`, siteId: SITES[t.site]!.id, unit: 'Ward 3', status: 'active' } satisfies TerminalInfo) : null;
      },
    },
    sites: {
      containing: async (ip) => {
        const hex = ipToHex(ip);
        const i = ranges.findIndex((list) => list.some((r) => r.start <= hex && hex <= r.end));
        return i === -1 ? null : siteInfo(i);
      },
      countries: async () => [...new Set(SITES.map((s) => s.country))],
    },
    geo,
    devices: { describe: describeDevice },
    history: {
      async lastSuccess(_userId, before) {
        const where = weighted(random, [[60, 'ward'], [25, 'london'], [10, 'none'], [5, 'abroad']] as const);
        if (where === 'none') return null;
        const at = new Date(before.getTime() - (1 + int(random, 72)) * HOUR);
        if (where === 'ward') return { at, country: null, latitude: null, longitude: null, accuracyKm: null };
        return where === 'london'
          ? { at, country: 'GB', latitude: 51.5, longitude: -0.12, accuracyKm: 20 }
          : { at, country: 'US', latitude: 37.75, longitude: -97.82, accuracyKm: 1000 };
      },
      deviceSeen: async () => random() < 0.9,
    },
    failures: {
      count: async ({ ip }) =>
        ip === ATTACKER_IP ? { user: int(random, 3), ip: 40 + int(random, 40), distinctUsernamesFromIp: 20 + int(random, 20) }
        : random() < 0.03 ? { user: 1 + int(random, 7), ip: 1 + int(random, 7), distinctUsernamesFromIp: 1 }
        : { user: 0, ip: 0, distinctUsernamesFromIp: 0 },
    },
  };
}

/** An audit event with every field given (its time and order are set here, not by `append`). */
type ChainEvent = Required<AuditEvent>;

/**
 * `count` sign-ins over the 24 hours before `end`, decided by the engine (pre-password first; a
 * deny there is recorded as such, as a sign-in does), as decision rows and the audit entries a
 * day of them leaves: each decision, most step-ups' key assertions, half the sign-outs, and other
 * entries (failed key checks, admin changes, refused admin calls) up to `auditTotal`, in time order.
 */
async function generateDecisions(ports: RiskPorts, policy: VersionedPolicy, terminals: readonly BenchTerminal[], end: number, count: number, auditTotal: number) {
  const random = seededRandom(4);
  const start = end - DAY + 5 * MINUTE;
  const rows: DecisionRow[] = [];
  const events: ChainEvent[] = [];
  for (let i = 0; i < count; i++) {
    const user = pick(random, users);
    const where = weighted(random, [[65, 'ward'], [20, 'gb'], [3, 'us'], [7, 'private'], [5, 'spraying']] as const);
    const site = random() < 0.85 ? user.home : int(random, SITES.length);
    const ip = where === 'ward' ? wardAddress(random, site) : where === 'gb' ? pick(random, PUBLIC_GB) : where === 'us' ? pick(random, PUBLIC_US) : where === 'private' ? `192.168.${int(random, 256)}.${1 + int(random, 254)}` : ATTACKER_IP;
    const device = weighted(random, DEVICES.map((d) => [d.weight, d] as const));
    const client = weighted(random, CLIENTS.map((c) => [c.weight, c] as const));
    const atTerminal = where === 'ward' && random() < 0.85;
    const context: RiskContext = {
      user: { id: user.id, username: user.username },
      ip,
      userAgent: device.userAgent,
      clientHints: device.clientHints,
      client: { id: client.client_id, sensitivity: client.sensitivity },
      requestedAcr: random() < 0.05 ? ['phr'] : [],
      at: new Date(start + Math.floor(((i + random()) * (end - start)) / count)),
      ...(atTerminal ? { terminalCredential: pick(random, terminals.filter((t) => t.site === site)).credential } : {}),
    };
    const { user: _, ...anonymous } = context;
    let phase: DecisionRow['phase'] = 'pre_password';
    let decision = await evaluate(anonymous, policy, ports, { signals: SIGNALS, phase: 'pre_password' });
    if (decision.outcome !== 'deny') {
      phase = 'password';
      decision = await evaluate(context, policy, ports, { signals: SIGNALS, phase: 'full' });
    }
    const decided: RiskContext = phase === 'password' ? context : anonymous;
    rows.push(decisionRow(decision, decided, phase, ports));
    const at = context.at.getTime();
    events.push(decisionAuditEvent(decision, decided, phase));
    const binding = crypto.randomBytes(16).toString('base64url');
    if (decision.outcome === 'step_up' && random() < 0.85) {
      events.push({ at: at + 20_000 + int(random, 40_000), type: 'webauthn.asserted', actor: user.id, subject: `cred-${user.id.slice(0, 8)}`, data: { ceremony: 'step_up', binding } });
    }
    if (decision.outcome !== 'deny' && random() < 0.5) {
      const signedOut = at + 30 * MINUTE + int(random, 8 * HOUR);
      if (signedOut < end) {
        events.push({ at: signedOut, type: 'sign_out', actor: user.id, subject: client.client_id, data: { username: user.username, clientId: client.client_id, scope: 'client', clients: [client.client_id], ip } });
      }
    }
  }
  while (events.length < auditTotal) {
    const user = pick(random, users);
    const at = start + int(random, end - start);
    const kind = weighted(random, [[40, 'webauthn.failed'], [30, 'admin.user.update'], [20, 'admin.shift.create'], [10, 'admin.access_denied']] as const);
    const actor = { kind: 'user', name: 'IT Service Desk', username: 'it.desk', via: 'session' };
    events.push(
      kind === 'webauthn.failed' ? { at, type: kind, actor: user.id, subject: crypto.randomBytes(16).toString('base64url'), data: { reason: 'user_verification', credentialId: `cred-${user.id.slice(0, 8)}` } }
      : kind === 'admin.user.update' ? { at, type: kind, actor: 'it-desk', subject: `user/${user.id}`, data: { resource: 'user', action: 'update', id: user.id, actor, ip: '10.1.0.20', before: { displayName: user.displayName, disabled: false }, after: { displayName: user.displayName, disabled: random() < 0.5 } } }
      : kind === 'admin.shift.create' ? { at, type: kind, actor: 'it-desk', subject: `shift/${crypto.randomUUID()}`, data: { resource: 'shift', action: 'create', id: 'x', actor, ip: '10.1.0.20', before: null, after: { username: user.username, siteId: SITES[user.home]!.id, start: new Date(at + DAY).toISOString(), end: new Date(at + DAY + 8 * HOUR).toISOString(), kind: 'scheduled' } } }
      : { at, type: kind, actor: null, subject: '/admin/api/v1/users', data: { method: 'GET', path: '/admin/api/v1/users', reason: 'no_token', ip: pick(random, PUBLIC_GB) } },
    );
  }
  // Chain order is time order; distinct times, so a window of times holds an exact number of entries.
  events.sort((a, b) => a.at - b.at);
  for (let i = 1; i < events.length; i++) if (events[i]!.at <= events[i - 1]!.at) events[i]!.at = events[i - 1]!.at + 1;
  return { rows, events: events.slice(0, auditTotal) };
}

/** Appends entries to the chain in batches, each row as `chainedRow` builds it (as `append` does). */
async function appendChain(db: Db, events: readonly ChainEvent[]): Promise<void> {
  let prev = (await createAuditStore(db).last())?.hash ?? GENESIS;
  const rows: AuditRow[] = events.map((e) => {
    const row = chainedRow(prev, e, e.at);
    prev = row.hash;
    return row;
  });
  await insertBatches(db, [['audit_log', rows]]);
}

// ---------------------------------------------------------------------------------------------
// One database

interface Result {
  kind: TestDatabase['kind'];
  version: string;
  lines: Line[];
}

/** One database's figures: n, p50, p95, p99 and max (nearest rank; with one sample, that sample). */
function printTable(version: string, lines: readonly Line[]): void {
  const width = Math.max(...lines.map((l) => l.label.length));
  const head = ['n', 'p50', 'p95', 'p99', 'max'];
  console.log(`\n\n${version}\n${'operation'.padEnd(width)}${head.map((h, i) => h.padStart(i ? 10 : 5)).join('')}  notes`);
  for (const l of lines) {
    const values = l.samples.length === 1 ? [duration(l.samples[0]!), '', '', ''] : [quantile(l.samples, 0.5), quantile(l.samples, 0.95), quantile(l.samples, 0.99), Math.max(...l.samples)].map(duration);
    console.log(`${l.label.padEnd(width)}${String(l.samples.length).padStart(5)}${values.map((v) => v.padStart(10)).join('')}  ${l.note}`);
  }
}

async function benchDatabase(target: TestDatabase, rota: readonly RotaShift[], files: ReturnType<typeof rotaFiles>, anchor: number): Promise<Result> {
  const wardgate = await startTestServer(target, { WARDGATE_LOG_LEVEL: 'silent' });
  const lines: Line[] = [];
  const line = (label: string, samples: number[], note = '') => {
    lines.push({ label, samples, note });
    process.stdout.write('.');
  };
  try {
    const { db, hospital } = wardgate;
    const version = await serverVersion(db);
    console.log(`\n${version}: setting up`);

    // The hospital, set up as the services write it (nothing here is measured or audited).
    let t0 = process.hrtime.bigint();
    const at = Date.now();
    await insertBatches(db, [['users', users.map((u): UserRow => ({
      id: u.id, username: u.username, username_key: usernameKey(u.username), display_name: u.displayName,
      email: null, roles: '[]', fhir_user: null, password_hash: null, disabled: false, created_at: at, updated_at: at,
    }))]]);
    for (const { rotaSystem: _, ...site } of SITES) await hospital.sites.create(site);
    const terminals: BenchTerminal[] = [];
    for (let i = 0; i < 10 * SITES.length; i++) {
      const site = i % SITES.length;
      const pending = await hospital.terminals.create({ name: `Ward PC ${i}`, siteId: SITES[site]!.id, unit: `Ward ${1 + (i % 7)}` });
      const enrolled = (await hospital.terminals.enroll(pending.enrollmentUrl.split('/').pop()!))!;
      terminals.push({ id: pending.id, site, credential: enrolled.credential });
    }
    for (const { weight: _, ...client } of CLIENTS) await wardgate.clients.register({ ...client, redirect_uris: [`https://${client.client_id}.hospital.example/cb`] });
    const api = await adminClient(wardgate);

    // A day of decisions and the audit chain they leave, made now so that "the last 24 hours" holds them.
    const policy = await createPolicies(db).active();
    const end = Date.now() - MINUTE;
    const { rows, events } = await generateDecisions(hospitalPorts(rota, terminals, seededRandom(5)), policy, terminals, end, DECISIONS, AUDIT_ENTRIES);
    await insertBatches(db, [['decisions', rows]]);
    const outcomes = new Map<string, number>();
    for (const r of rows) {
      const key = `${r.phase === 'pre_password' ? 'pre-password ' : ''}${r.outcome}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    console.log(
      `set up in ${(elapsedMs(t0) / 1000).toFixed(1)} s: ${USERS} people, ${SITES.length} sites, ${terminals.length} terminals, ${count(rows.length)} decisions ` +
        `(${[...outcomes].sort().map(([o, n]) => `${o} ${((100 * n) / rows.length).toFixed(0)} %`).join(', ')})`,
    );

    // 3a. Verify, over half the chain and then all of it.
    const half = Math.floor(events.length / 2);
    for (const [slice, expected] of [[events.slice(0, half), half], [events.slice(half), events.length]] as const) {
      await appendChain(db, slice);
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const [ms, r] = await timed(() => api.get<{ valid: boolean; checked: number }>('/audit/verify'));
        if (r.status !== 200 || !r.body.valid || r.body.checked !== expected) throw new Error(`verify: expected ${expected} entries, got ${r.status} ${r.text}`);
        samples.push(ms);
      }
      line(`GET /audit/verify, ${count(expected)} entries`, samples, `valid; p50 ${((1000 * quantile(samples, 0.5)) / expected).toFixed(1)} µs an entry`);
    }

    // 1. The rota import.
    const importCsv = async (csv: string, expected: { created?: number; updated?: number; unchanged?: number; status?: number }) => {
      const [ms, r] = await timed(() => api.request<Record<string, number>>('POST', '/shifts/import', { body: csv, contentType: 'text/csv' }));
      const wrong = (expected.status ?? 200) !== r.status || (['created', 'updated', 'unchanged'] as const).some((k) => expected[k] !== undefined && r.body[k] !== expected[k]);
      if (wrong) throw new Error(`import: expected ${JSON.stringify(expected)}, got ${r.status} ${r.text.slice(0, 500)}`);
      return ms;
    };
    const n = rota.length;
    const { original, moved, bad } = files;
    const size = `${count(n)} rows, ${bytes(Buffer.byteLength(original))}`;
    line(`POST /shifts/import, first (all created)`, [await importCsv(original, { created: n, updated: 0, unchanged: 0 })], size);
    const unchanged: number[] = [];
    for (let i = 0; i < 3; i++) unchanged.push(await importCsv(original, { created: 0, updated: 0, unchanged: n }));
    line(`POST /shifts/import, same file again (all unchanged)`, unchanged);
    const updated: number[] = [];
    for (let i = 0; i < 3; i++) updated.push(await importCsv(i % 2 ? original : moved, { created: 0, updated: n, unchanged: 0 }));
    line(`POST /shifts/import, every end moved (all updated)`, updated, 'alternating +30 min and back');
    const refused: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [ms, r] = await timed(() => api.request<{ errors?: unknown[] }>('POST', '/shifts/import', { body: bad, contentType: 'text/csv' }));
      if (r.status !== 422 || r.body.errors?.length !== 3) throw new Error(`bad import: ${r.status} ${r.text.slice(0, 500)}`);
      refused.push(ms);
    }
    // The last import stored the moved ends and the bad file holds the original ones: had it written, this would update.
    await importCsv(moved, { created: 0, updated: 0, unchanged: n });
    line(`POST /shifts/import, 3 bad rows (422)`, refused, '3 errors listed, nothing written');
    if (isPostgres(db)) await db.raw('vacuum analyze shifts');

    // 2. Replay of a draft over the day of decisions.
    const active = (await api.get<{ document: Policy }>('/policy')).body.document;
    const draft: Policy = { ...active, thresholds: { ...active.thresholds, stepUp: active.thresholds.stepUp + 20 }, weights: { ...active.weights, off_shift: (active.weights.off_shift ?? 0) + 20 } };
    const window = { from: new Date(end - DAY).toISOString(), to: new Date(end + 1).toISOString() };
    const replays: number[] = [];
    let replayed = { total: 0, changed: 0, transitions: {} as Record<string, number> };
    for (let i = 0; i < 5; i++) {
      const [ms, r] = await timed(() => api.post<typeof replayed>('/policy/replay', { policy: draft, ...window }));
      if (r.status !== 200 || r.body.total !== DECISIONS) throw new Error(`replay: ${r.status} ${r.text.slice(0, 500)}`);
      replays.push(ms);
      replayed = r.body;
    }
    line(`POST /policy/replay, ${count(DECISIONS)} decisions`, replays, `${count(replayed.changed)} changed (${Object.entries(replayed.transitions).map(([k, v]) => `${k} ${v}`).join(', ')})`);

    // 4. Decisions: pages and the dashboard's summary.
    const repeat = async (label: string, times: number, op: (i: number) => Promise<{ status: number; text: string }>, note = '') => {
      for (let i = 0; i < 3; i++) await op(i);
      const samples: number[] = [];
      let size = 0;
      for (let i = 0; i < times; i++) {
        const [ms, r] = await timed(() => op(i));
        if (r.status !== 200) throw new Error(`${label}: ${r.status} ${r.text.slice(0, 500)}`);
        samples.push(ms);
        size += Buffer.byteLength(r.text);
      }
      line(label, samples, `${bytes(size / times)} on average${note}`);
    };
    await repeat('GET /decisions?limit=50 (newest)', 50, () => api.get('/decisions?limit=50'));
    await repeat('GET /decisions?username=…&limit=50', 50, (i) => api.get(`/decisions?username=${users[(i * 37) % USERS]!.username}&limit=50`));
    const summary = await api.get<{ total: number }>('/decisions/summary?hours=24');
    if (summary.body.total !== DECISIONS) throw new Error(`summary counted ${summary.body.total}`);
    await repeat('GET /decisions/summary?hours=24', 20, () => api.get('/decisions/summary?hours=24'), `, ${count(summary.body.total)} decisions`);

    // 3b. Export the last 10,000 entries of the chain.
    const exported = events.slice(-EXPORT_ENTRIES);
    const range = `from=${encodeURIComponent(new Date(exported[0]!.at).toISOString())}&to=${encodeURIComponent(new Date(exported[exported.length - 1]!.at + 1).toISOString())}`;
    for (const format of ['fhir', 'ndjson'] as const) {
      const samples: number[] = [];
      let size = 0;
      for (let i = 0; i < 3; i++) {
        const [ms, r] = await timed(() => api.get(`/audit/export?format=${format}&${range}`));
        const entries = format === 'fhir' ? (JSON.parse(r.text) as { entry: unknown[] }).entry?.length : r.text.trimEnd().split('\n').length;
        if (r.status !== 200 || entries !== exported.length) throw new Error(`export ${format}: ${r.status} ${entries} entries ${r.text.slice(0, 300)}`);
        samples.push(ms);
        size = Buffer.byteLength(r.text);
      }
      line(`GET /audit/export?format=${format}, ${count(exported.length)} entries`, samples, bytes(size));
    }

    // 5. Simulations.
    const random = seededRandom(6);
    const requests = Array.from({ length: SIMULATIONS + 20 }, () => {
      const user = pick(random, users);
      const where = weighted(random, [[60, 'ward'], [30, 'gb'], [10, 'us']] as const);
      const site = random() < 0.85 ? user.home : int(random, SITES.length);
      const device = weighted(random, DEVICES.map((d) => [d.weight, d] as const));
      const atTerminal = where === 'ward' && random() < 0.7;
      return {
        username: user.username,
        ip: where === 'ward' ? wardAddress(random, site) : pick(random, where === 'gb' ? PUBLIC_GB : PUBLIC_US),
        userAgent: device.userAgent,
        ...(Object.keys(device.clientHints).length ? { clientHints: device.clientHints } : {}),
        at: new Date(anchor + (int(random, 24 * 60) - 12 * 60) * MINUTE).toISOString(),
        ...(atTerminal ? { terminalId: pick(random, terminals.filter((t) => t.site === site)).id } : {}),
        ...(random() < 0.3 ? { clientId: weighted(random, CLIENTS.map((c) => [c.weight, c.client_id] as const)) } : {}),
        ...(random() < 0.05 ? { acrValues: 'phr' } : {}),
      };
    });
    const simulated = new Map<string, number>();
    for (const request of requests.slice(0, 20)) await api.post('/simulate', request);
    const simulations: number[] = [];
    for (const request of requests.slice(20)) {
      const [ms, r] = await timed(() => api.post<{ outcome: string }>('/simulate', request));
      if (r.status !== 200) throw new Error(`simulate: ${r.status} ${r.text.slice(0, 500)}`);
      simulations.push(ms);
      simulated.set(r.body.outcome, (simulated.get(r.body.outcome) ?? 0) + 1);
    }
    line('POST /simulate', simulations, `p99 ${duration(quantile(simulations, 0.99))}; ${[...simulated].sort().map(([o, k]) => `${o} ${k}`).join(', ')}`);

    printTable(version, lines);
    return { kind: target.kind, version, lines };
  } finally {
    await wardgate.close();
  }
}

// ---------------------------------------------------------------------------------------------

console.log(`Wardgate admin API benchmark: ${count(USERS * 30)}-row rota, ${count(DECISIONS)} decisions, ${count(AUDIT_ENTRIES)} audit entries, ${SIMULATIONS} simulations`);
console.log(machine());
const anchor = Date.now();
const rota = generateRota(anchor);
const files = rotaFiles(rota);
const results: Result[] = [];
await eachDatabase(options.db, async (target) => {
  results.push(await benchDatabase(target, rota, files, anchor));
});

console.log(`\nload average at the end: ${loadAverage()}`);
if (results.length) {
  const cell = (l: Line | undefined) => (!l ? '– | – | –' : l.samples.length === 1 ? `${duration(l.samples[0]!)} | – | 1` : `${duration(quantile(l.samples, 0.5))} | ${duration(quantile(l.samples, 0.95))} | ${l.samples.length}`);
  console.log(`\n| operation | ${results.map((r) => `${r.version.split(' (')[0]} p50 | p95 | n`).join(' | ')} | notes (${results.map((r) => r.kind).join(' / ')}) |`);
  console.log(`|---|${results.map(() => '---|---|---|').join('')}---|`);
  for (const [i, l] of results[0]!.lines.entries()) {
    console.log(`| ${l.label} | ${results.map((r) => cell(r.lines[i])).join(' | ')} | ${[...new Set(results.map((r) => r.lines[i]?.note ?? ''))].join(' / ')} |`);
  }
}
