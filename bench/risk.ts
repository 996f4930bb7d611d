/**
 * Risk decisions, measured: the engine's own work, a whole decision with its data access, and the
 * cost of recording a decision, on generated hospital data (bench/risk-data.ts: 10,000 users,
 * 5,000 terminals, 1,000 site networks, 100,000 shifts, sign-in history and failed attempts),
 * on a fresh SQLite file and a fresh PostgreSQL database (created on the server, dropped at the end).
 *
 *   npm run bench:risk -- [decisions, 2000] [--concurrency 8] [--warmup 200] [--db both|sqlite|postgres] [--explain]
 *
 * - engine: `evaluate` with in-memory ports pre-loaded with the answers the real ports gave for the
 *   same context, so only the engine and the signals run (and, on a second line, geoip-lite and
 *   ua-parser-js live, the in-process adapters every decision also pays for);
 * - whole decision: `assessor.evaluate` (the active policy, then `evaluate` on the real ports from
 *   `createRiskPorts`), which is what a sign-in waits for before anything is written; on PostgreSQL
 *   that is one prepared statement a decision (store/risk-snapshot.ts) with the policy cached, and a
 *   second line measures the per-port queries with the policy read every time (as before it), after
 *   checking that both kinds of ports gave the same answer to every call;
 * - record: `assessor.record` (decision row and hash-chained audit entry), on its own line;
 * - then every port alone (its own query, also on PostgreSQL), sequentially, to show where the time
 *   of a decision goes, and on PostgreSQL the one statement with the parts the decisions asked.
 * Each measurement warms up first, runs a fixed number of decisions sequentially and then with a
 * fixed number in flight, and stops by itself. The PostgreSQL server is WARDGATE_BENCH_PG_URL
 * (default postgres://postgres@127.0.0.1:5432/postgres); when it does not answer, it is skipped.
 * `--explain` prints each port query's plan (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite),
 * and on PostgreSQL the one statement's generic plan (the plan a prepared statement settles on).
 */
import { isDeepStrictEqual, parseArgs } from 'node:util';
import type pg from 'pg';
import { createAuditLog } from '../src/audit/log.ts';
import { loadConfig } from '../src/config.ts';
import { ipToHex } from '../src/hospital/networks.ts';
import { createSites } from '../src/hospital/sites.ts';
import { createTerminals } from '../src/hospital/terminals.ts';
import { createLogger } from '../src/log.ts';
import { createRiskPorts, prepareDatabase } from '../src/main.ts';
import { createPolicies } from '../src/policy/policies.ts';
import { evaluate } from '../src/risk/engine.ts';
import { policySchema, type VersionedPolicy } from '../src/risk/policy.ts';
import type { RiskPorts } from '../src/risk/ports.ts';
import { SIGNALS } from '../src/risk/signals/index.ts';
import type { Decision, RiskContext } from '../src/risk/types.ts';
import { createAssessor } from '../src/signin/assessor.ts';
import { createSnapshotPorts } from '../src/signin/snapshot-ports.ts';
import { createDecisionStore } from '../src/store/decisions.ts';
import { isPostgres, type Db } from '../src/store/db.ts';
import { createPolicyVersionStore } from '../src/store/policy-versions.ts';
import { createRiskSnapshotStore, SNAPSHOT_SQL, snapshotParameters, type SnapshotRequest } from '../src/store/risk-snapshot.ts';
import { generateContexts, generateData, insertData, rowCount, type BenchData } from './risk-data.ts';
import type { TestDatabase } from '../test/helpers/database.ts';
import { testEnv } from '../test/helpers/server.ts';
import { eachDatabase, serverVersion } from './databases.ts';
import { elapsedMs, loadAverage, machine, quantile } from './measure.ts';
import { inTransaction } from '../src/store/unit-of-work.ts';

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    concurrency: { type: 'string', default: '8' },
    db: { type: 'string', default: 'both' },
    warmup: { type: 'string', default: '200' },
    explain: { type: 'boolean', default: false },
  },
});
const N = Number(positionals[0] ?? 2000);
const CONCURRENCY = Number(options.concurrency);
const WARMUP = Number(options.warmup);
if (!(Number.isInteger(N) && N > 0 && Number.isInteger(CONCURRENCY) && CONCURRENCY > 0 && Number.isInteger(WARMUP) && WARMUP >= 0)) {
  throw new Error('usage: node bench/risk.ts [decisions > 0] [--concurrency n] [--warmup n] [--db both|sqlite|postgres] [--explain]');
}
if (!['both', 'sqlite', 'postgres'].includes(options.db)) throw new Error('--db must be both, sqlite or postgres');
const TARGET_ENGINE_P99_MS = 1;
const TARGET_DECISION_P99_MS = 5;

// ---------------------------------------------------------------------------------------------
// Timing

interface Run {
  /** Milliseconds per operation, in operation order. */
  samples: number[];
  wallMs: number;
}

interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
}

/** Runs op(0 … count-1) with `concurrency` in flight, timing each. */
async function measure(count: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<Run> {
  const samples = new Array<number>(count).fill(0);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const t0 = process.hrtime.bigint();
      await op(i);
      samples[i] = elapsedMs(t0);
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { samples, wallMs: elapsedMs(started) };
}

function stats({ samples, wallMs }: Run): Stats {
  return { n: samples.length, p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), max: quantile(samples, 1), perSecond: (samples.length / wallMs) * 1000 };
}

const ms = (v: number) => `${v < 10 ? v.toFixed(3) : v.toFixed(1)} ms`.padStart(10);
const rate = (v: number) => Math.round(v).toLocaleString('en').padStart(8);

// ---------------------------------------------------------------------------------------------
// Ports that note each answer, ports that give it back, and each port called alone

const PORTS = {
  'shifts.overlapping': (p: RiskPorts, a: unknown[]) => p.shifts.overlapping(a[0] as string, a[1] as Date, a[2] as Date),
  'terminals.identify': (p: RiskPorts, a: unknown[]) => p.terminals.identify(a[0] as string),
  'sites.containing': (p: RiskPorts, a: unknown[]) => p.sites.containing(a[0] as string),
  'sites.countries': (p: RiskPorts) => p.sites.countries(),
  'history.lastSuccess': (p: RiskPorts, a: unknown[]) => p.history.lastSuccess(a[0] as string, a[1] as Date),
  'history.deviceSeen': (p: RiskPorts, a: unknown[]) => p.history.deviceSeen(a[0] as string, a[1] as string, a[2] as Date),
  'failures.count': (p: RiskPorts, a: unknown[]) => p.failures.count(a[0] as Parameters<RiskPorts['failures']['count']>[0]),
  'geo.lookup': (p: RiskPorts, a: unknown[]) => p.geo.lookup(a[0] as string),
  'devices.describe': (p: RiskPorts, a: unknown[]) => p.devices.describe(a[0] as string, a[1] as Record<string, string>),
} satisfies Record<string, (p: RiskPorts, a: unknown[]) => unknown>;
type PortName = keyof typeof PORTS;
const DATABASE_PORTS = Object.keys(PORTS).filter((p) => p !== 'geo.lookup' && p !== 'devices.describe') as PortName[];

/** What each port was asked, and answered, while one context was decided (each is asked at most once). */
type Answers = Partial<Record<PortName, { args: unknown[]; result: unknown }>>;

function recordingPorts(real: RiskPorts, into: Answers): RiskPorts {
  const note = <R>(port: PortName, args: unknown[], result: R): R => {
    if (into[port]) throw new Error(`${port} was asked twice for one context: the pre-loaded ports assume once`);
    into[port] = { args, result };
    return result;
  };
  return {
    shifts: { overlapping: async (...a) => note('shifts.overlapping', a, await real.shifts.overlapping(...a)) },
    terminals: { identify: async (...a) => note('terminals.identify', a, await real.terminals.identify(...a)) },
    sites: {
      containing: async (...a) => note('sites.containing', a, await real.sites.containing(...a)),
      countries: async () => note('sites.countries', [], await real.sites.countries()),
    },
    geo: { lookup: (...a) => note('geo.lookup', a, real.geo.lookup(...a)) },
    devices: { describe: (...a) => note('devices.describe', a, real.devices.describe(...a)) },
    history: {
      lastSuccess: async (...a) => note('history.lastSuccess', a, await real.history.lastSuccess(...a)),
      deviceSeen: async (...a) => note('history.deviceSeen', a, await real.history.deviceSeen(...a)),
    },
    failures: { count: async (...a) => note('failures.count', a, await real.failures.count(...a)) },
  };
}

/** In-memory ports answering what the real ones answered for this context; `live` keeps some real. */
function preloadedPorts(answers: Answers, live: Partial<Pick<RiskPorts, 'geo' | 'devices'>> = {}): RiskPorts {
  const get = <R>(port: PortName): R => {
    const answer = answers[port];
    if (!answer) throw new Error(`no pre-loaded answer for ${port}`);
    return answer.result as R;
  };
  return {
    shifts: { overlapping: async () => get('shifts.overlapping') },
    terminals: { identify: async () => get('terminals.identify') },
    sites: { containing: async () => get('sites.containing'), countries: async () => get('sites.countries') },
    geo: live.geo ?? { lookup: () => get('geo.lookup') },
    devices: live.devices ?? { describe: () => get('devices.describe') },
    history: { lastSuccess: async () => get('history.lastSuccess'), deviceSeen: async () => get('history.deviceSeen') },
    failures: { count: async () => get('failures.count') },
  };
}


/**
 * Each query a port call sends, with its plan; for sites.containing both an address inside a site
 * network and the last (highest) address outside every one, the longest backward range scan. On
 * PostgreSQL then the one statement, for a decision that asked every part, with the generic plan
 * a prepared statement uses once it stops planning per call.
 */
async function explain(db: Db, ports: RiskPorts, answers: Answers[], snapshotRequests: SnapshotRequest[]): Promise<void> {
  const samples = (port: PortName): unknown[][] => {
    const calls = answers.flatMap((a) => (a[port] ? [a[port]] : []));
    if (port !== 'sites.containing') return calls.slice(0, 1).map((c) => c.args);
    const outside = calls.filter((c) => c.result === null).sort((a, b) => ipToHex(String(b.args[0])).localeCompare(ipToHex(String(a.args[0]))));
    return [calls.find((c) => c.result !== null), outside[0]].flatMap((c) => (c ? [c.args] : []));
  };
  for (const port of DATABASE_PORTS) {
    for (const args of samples(port)) {
      const queries: { sql: string; bindings: unknown[] }[] = [];
      const listen = (q: { sql: string; bindings?: unknown[] }) => queries.push({ sql: q.sql, bindings: q.bindings ?? [] });
      db.on('query', listen);
      await PORTS[port](ports, args);
      db.off('query', listen);
      for (const q of queries) {
        console.log(`\n${port}(${args.map((a) => JSON.stringify(a)).join(', ')}): ${q.sql}`);
        if (isPostgres(db)) {
          const conn = (await db.client.acquireConnection()) as pg.Client;
          try {
            const result = await conn.query(`explain (analyze, buffers) ${q.sql}`, q.bindings);
            for (const row of result.rows as Record<string, string>[]) console.log(`  ${Object.values(row)[0]}`);
          } finally {
            await db.client.releaseConnection(conn);
          }
        } else {
          const rows = (await db.raw(`explain query plan ${q.sql}`, q.bindings as never)) as { detail: string }[];
          for (const row of rows) console.log(`  ${row.detail}`);
        }
      }
    }
  }
  const request = [...snapshotRequests].sort((a, b) => Object.keys(b).length - Object.keys(a).length)[0];
  if (!isPostgres(db) || !request) return;
  const conn = (await db.client.acquireConnection()) as pg.Client;
  try {
    const literal = (v: unknown) => (v === null ? 'null' : typeof v === 'string' ? conn.escapeLiteral(v) : String(v));
    await conn.query(`set plan_cache_mode = force_generic_plan`);
    await conn.query(`prepare bench_snapshot as ${SNAPSHOT_SQL}`);
    console.log(`\nthe one statement (generic plan), asking ${Object.keys(request).join(', ')}`);
    const result = await conn.query(`explain (analyze, buffers) execute bench_snapshot(${snapshotParameters(request).map(literal).join(', ')})`);
    for (const row of result.rows as Record<string, string>[]) console.log(`  ${Object.values(row)[0]}`);
    await conn.query('deallocate bench_snapshot');
  } finally {
    await conn.query('reset plan_cache_mode');
    await db.client.releaseConnection(conn);
  }
}

// ---------------------------------------------------------------------------------------------
// One database

interface Line {
  label: string;
  sequential: Stats;
  concurrent: Stats;
}

interface Result {
  kind: 'sqlite' | 'postgres';
  version: string;
  engine: Line;
  decision: Line;
  /** PostgreSQL: the whole decision with the per-port queries and the policy read each time. */
  perPortDecision?: Line;
}

async function benchDatabase(target: TestDatabase, data: BenchData, contexts: RiskContext[]): Promise<Result> {
  const config = loadConfig(testEnv(target, { WARDGATE_LOG_LEVEL: 'silent' }));
  const log = createLogger('silent');
  const { db } = await prepareDatabase(config, log);
  try {
    const version = await serverVersion(db);
    let t0 = process.hrtime.bigint();
    await insertData(db, data);
    console.log(`\n${version}: ${rowCount(data).toLocaleString('en')} rows written in ${(elapsedMs(t0) / 1000).toFixed(1)} s${isPostgres(db) ? ' (then vacuumed and analysed)' : ''}`);

    const sites = createSites(db);
    const terminals = createTerminals(db, { issuer: 'http://localhost' });
    const policies = createPolicies(db);
    await policies.ensureDefault();
    const ports = createRiskPorts(db, { sites, terminals });
    const assessorDeps = { signals: SIGNALS, policies, decisions: createDecisionStore(db), audit: createAuditLog(db), unit: <T>(work: () => Promise<T>) => inTransaction(db, work), observer: { decided() {} }, log };
    const assessor = createAssessor({ ports, decisionPorts: ports.forDecision, ...assessorDeps });
    // PostgreSQL: the ports as they were before one statement a decision, for comparison.
    const perPort = isPostgres(db) ? createRiskPorts(db, { sites, terminals }, { perPortQueries: true }) : ports;
    const perPortAssessor = createAssessor({ ports: perPort, ...assessorDeps });
    const policy: VersionedPolicy = await policies.active();
    const warm = contexts.slice(0, WARMUP);
    const timed = contexts.slice(WARMUP);

    // Ask the real ports once per context, noting every answer: the engine lines replay them.
    const answers: Answers[] = [];
    const reference: Decision[] = [];
    t0 = process.hrtime.bigint();
    for (const context of contexts) {
      const noted: Answers = {};
      answers.push(noted);
      reference.push(await evaluate(context, policy, recordingPorts(ports, noted), { signals: SIGNALS }));
    }
    const recordedMs = elapsedMs(t0);

    // The one statement must answer every call as the per-port queries do (PostgreSQL).
    let differing = 0;
    if (perPort !== ports) {
      for (const noted of answers) {
        for (const [port, { args, result }] of Object.entries(noted) as [PortName, { args: unknown[]; result: unknown }][]) {
          if (!isDeepStrictEqual(await PORTS[port](perPort, args), result)) differing++;
        }
      }
    }

    const lines: Line[] = [];
    const both = async (label: string, warmUp: (i: number) => Promise<unknown>, op: (i: number, concurrent: boolean) => Promise<unknown>) => {
      await measure(warm.length, 1, warmUp);
      const sequential = stats(await measure(timed.length, 1, (i) => op(i, false)));
      const concurrent = stats(await measure(timed.length, CONCURRENCY, (i) => op(i, true)));
      const line = { label, sequential, concurrent };
      lines.push(line);
      return line;
    };

    // The engine alone: every port pre-loaded; then with geoip-lite and ua-parser-js live.
    const replayed: Decision[] = new Array<Decision>(contexts.length);
    const preloaded = answers.map((a) => preloadedPorts(a));
    const engine = await both(
      'engine + signals (answers pre-loaded)',
      (i) => evaluate(warm[i]!, policy, preloaded[i]!, { signals: SIGNALS }),
      async (i) => (replayed[WARMUP + i] = await evaluate(timed[i]!, policy, preloaded[WARMUP + i]!, { signals: SIGNALS })),
    );
    const withAdapters = answers.map((a) => preloadedPorts(a, { geo: ports.geo, devices: ports.devices }));
    await both(
      '  + geoip-lite, ua-parser-js live',
      (i) => evaluate(warm[i]!, policy, withAdapters[i]!, { signals: SIGNALS }),
      (i) => evaluate(timed[i]!, policy, withAdapters[WARMUP + i]!, { signals: SIGNALS }),
    );
    const mismatches = timed.filter((_, i) => replayed[WARMUP + i]!.outcome !== reference[WARMUP + i]!.outcome || replayed[WARMUP + i]!.score !== reference[WARMUP + i]!.score).length;

    // The whole decision, as a sign-in waits for it: active policy, real ports, engine.
    const sequentialDecisions: Decision[] = [];
    const concurrentDecisions: Decision[] = [];
    const warmDecisions: Decision[] = [];
    const decision = await both(
      perPort !== ports ? 'whole decision, one statement' : 'whole decision (policy + ports + engine)',
      async (i) => (warmDecisions[i] = await assessor.evaluate(warm[i]!, 'password')),
      async (i, concurrent) => ((concurrent ? concurrentDecisions : sequentialDecisions)[i] = await assessor.evaluate(timed[i]!, 'password')),
    );
    const perPortDecision =
      perPort === ports
        ? undefined
        : await both(
            '  per-port queries (as before)',
            (i) => perPortAssessor.evaluate(warm[i]!, 'password'),
            (i) => perPortAssessor.evaluate(timed[i]!, 'password'),
          );

    // Recording, on its own: the decision row and the audit entry (serialised by the audit lock).
    await both(
      'record (decision row + audit entry)',
      (i) => assessor.record(warmDecisions[i]!, warm[i]!, 'password'),
      (i, concurrent) => assessor.record((concurrent ? concurrentDecisions : sequentialDecisions)[i]!, timed[i]!, 'password'),
    );

    // Where a decision's data access goes: each port alone, sequentially, with the arguments it was given.
    const portLines: { label: string; stats: Stats }[] = [];
    const alone = async (label: string, count: number, op: (i: number) => Promise<unknown>) => {
      await measure(Math.min(count, WARMUP), 1, op);
      portLines.push({ label, stats: stats(await measure(count, 1, op)) });
    };
    await alone('select 1 (one round trip)', timed.length, () => db.raw('select 1'));
    await alone('policies.active()', timed.length, () => policies.active());
    await alone('policies.cached()', timed.length, () => policies.cached());
    const policyStore = createPolicyVersionStore(db);
    const stored = (await policyStore.active())!;
    await alone('  its query', timed.length, () => policyStore.active());
    await alone('  its parse (JSON + zod)', timed.length, async () => policySchema.parse(JSON.parse(stored.document)));
    for (const port of Object.keys(PORTS) as PortName[]) {
      const calls = answers.slice(WARMUP).flatMap((a) => (a[port] ? [a[port].args] : []));
      if (calls.length) await alone(port, calls.length, async (i) => PORTS[port](perPort, calls[i]!));
    }
    // PostgreSQL: the one statement with the parts each decision asked (through the ports, so the
    // requests are the decisions' own).
    const snapshotRequests: SnapshotRequest[] = [];
    if (perPort !== ports) {
      const capture = createSnapshotPorts(async (request) => {
        snapshotRequests.push(request);
        throw new Error('captured');
      });
      for (const context of timed) await evaluate(context, policy, { ...ports, ...capture }, { signals: SIGNALS });
      const snapshots = createRiskSnapshotStore(db);
      await alone("the one statement (a decision's parts)", snapshotRequests.length, (i) => snapshots.read(snapshotRequests[i]!));
    }

    const signalErrors = [...sequentialDecisions, ...concurrentDecisions].filter((d) => d.findings.some((f) => f.code.startsWith('signal_error:'))).length;
    const outcomes = new Map<string, number>();
    for (const d of sequentialDecisions) outcomes.set(d.outcome, (outcomes.get(d.outcome) ?? 0) + 1);
    const findings = new Map<string, number>();
    for (const d of sequentialDecisions) for (const f of d.findings) findings.set(f.code, (findings.get(f.code) ?? 0) + 1);

    console.log(`${timed.length} decisions after ${warm.length} to warm up; first pass over the real ports (noting answers) ${(recordedMs / contexts.length).toFixed(2)} ms a decision`);
    console.log(`outcomes: ${[...outcomes].map(([o, n]) => `${o} ${((100 * n) / timed.length).toFixed(0)}%`).join(', ')}; signal errors: ${signalErrors}; replayed engine decisions differing from the real ports': ${mismatches}`);
    if (perPort !== ports) console.log(`port answers of the one statement differing from the per-port queries': ${differing} of ${answers.reduce((n, a) => n + Object.keys(a).length, 0)}`);
    console.log(`findings: ${[...findings].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}`);
    console.log(`\n${''.padEnd(42)}${'sequential'.padEnd(38)}${CONCURRENCY} in flight`);
    console.log(`${'measurement'.padEnd(40)}${['p50', 'p99', 'max', 'per s', 'p50', 'p99', 'max', 'per s'].map((h, i) => h.padStart(i % 4 === 3 ? 8 : 10)).join('')}`);
    for (const l of lines) {
      console.log(`${l.label.padEnd(40)}${[l.sequential, l.concurrent].map((s) => `${ms(s.p50)}${ms(s.p99)}${ms(s.max)}${rate(s.perSecond)}`).join('')}`);
    }
    console.log(`\n${'each port alone, its own query (sequential)'.padEnd(45)}${'calls'.padStart(7)}${'p50'.padStart(10)}${'p99'.padStart(10)}${'max'.padStart(10)}`);
    for (const { label, stats: s } of portLines) console.log(`${label.padEnd(45)}${String(s.n).padStart(7)}${ms(s.p50)}${ms(s.p99)}${ms(s.max)}`);

    if (options.explain) await explain(db, perPort, answers.slice(WARMUP), snapshotRequests);
    return { kind: target.kind, version, engine, decision, ...(perPortDecision ? { perPortDecision } : {}) };
  } finally {
    await db.destroy();
  }
}

// ---------------------------------------------------------------------------------------------

console.log(`Wardgate risk benchmark: ${N} decisions (+${WARMUP} warm-up), ${CONCURRENCY} in flight for the concurrent runs`);
console.log(machine());
const t0 = process.hrtime.bigint();
const data = generateData();
const contexts = generateContexts(data, WARMUP + N);
console.log(
  `data: ${data.sites.length} sites, ${data.networks.length} networks, ${data.users.length} users, ${data.terminals.length} terminals, ` +
    `${data.shifts.length} shifts, ${data.history.length} history rows, ${data.failures.length} failed attempts; generated in ${(elapsedMs(t0) / 1000).toFixed(1)} s`,
);

const results: Result[] = [];
await eachDatabase(options.db, async (target) => {
  results.push(await benchDatabase(target, data, contexts));
});

// The targets are for one decision's own latency (sequential runs); with several in flight on two
// cores a decision also waits for the others, which the concurrent columns show.
console.log(`\nload average at the end: ${loadAverage()}`);
console.log(results.length ? 'Targets (sequential p99)' : 'No database was measured.');
for (const r of results) {
  const verdict = (value: number, limit: number) => `${value.toFixed(3)} ms ${value <= limit ? '≤' : '>'} ${limit} ms: ${value <= limit ? 'met' : 'MISSED'}`;
  const name = r.version.split(' (')[0]!.padEnd(18);
  console.log(`${name} engine ${verdict(r.engine.sequential.p99, TARGET_ENGINE_P99_MS)}`);
  console.log(`${''.padEnd(18)} whole decision ${verdict(r.decision.sequential.p99, TARGET_DECISION_P99_MS)}${r.kind === 'postgres' ? '' : ' (the target is set for PostgreSQL)'}`);
  console.log(`${''.padEnd(18)} with ${CONCURRENCY} in flight (queueing included): engine p99 ${r.engine.concurrent.p99.toFixed(3)} ms, whole decision p99 ${r.decision.concurrent.p99.toFixed(3)} ms`);
  if (r.perPortDecision) {
    console.log(`${''.padEnd(18)} per-port queries, policy read each time: whole decision p99 ${r.perPortDecision.sequential.p99.toFixed(3)} ms sequential, ${r.perPortDecision.concurrent.p99.toFixed(3)} ms with ${CONCURRENCY} in flight`);
  }
}
