/**
 * A busy machine must not step up trusted clinicians: the signal budgets under load, measured.
 * First the sign-in capacity (trusted sign-ins a second, bench/trusted-sign-in.ts, with a fixed
 * number of them in flight), then twice that rate offered for a bounded time at fixed intervals
 * (open loop: arrivals do not wait for earlier sign-ins, so work piles up as it does at 07:00 on a
 * ward), once with each way of judging a signal's budget, on the same database at the same offered
 * rate: `loop` (what Wardgate does: only time the event loop sat idle counts against a budget,
 * src/risk/budget.ts) and `wall` (every millisecond counts, the wall-clock race's measure: for that
 * run the process's event-loop account, `performance.eventLoopUtilization`, is made to report all
 * time as idle). It counts the sign-ins that ended with a code and, from the `decisions` table, the
 * password decisions stepped up and the signal failures among them. With `--before REV` the same
 * rate is then offered to Wardgate as it was at commit REV (a copy from git archive with these bench
 * files, in a child process), so a change's difference shows in one run. Everything runs on
 * loopback, the load generator in the server's process: its own work is part of the load.
 *
 *   node bench/busy.ts [--db sqlite|postgres|both] [--seconds 30] [--capacity 150] [--concurrency 8]
 *                      [--people 300] [--budgets loop,wall] [--before REV] [--rate N] [--rounds 1]
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestServer } from '../test/helpers/server.ts';
import type { TestDatabase } from '../test/helpers/database.ts';
import { eachDatabase, serverVersion } from './databases.ts';
import { machine, quantile } from './measure.ts';
import { trustedSignIn, type Attempt } from './trusted-sign-in.ts';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    seconds: { type: 'string', default: '30' },
    capacity: { type: 'string', default: '150' },
    concurrency: { type: 'string', default: '8' },
    budgets: { type: 'string', default: 'loop,wall' },
    rounds: { type: 'string', default: '1' },
    people: { type: 'string', default: '300' },
    rate: { type: 'string' },
    before: { type: 'string' },
    as: { type: 'string' },
  },
});
const SECONDS = Number(args.seconds);
const CAPACITY_SIGN_INS = Number(args.capacity);
const CONCURRENCY = Number(args.concurrency);
const ROUNDS = Number(args.rounds);
const PEOPLE = Number(args.people);
/** Each clinician signs in from an address of their own, through the loopback proxy (bench/trusted-sign-in.ts). */
const SERVER_ENV = { WARDGATE_LOG_LEVEL: 'silent', WARDGATE_TRUST_PROXY: 'loopback' };
type Budgets = 'loop' | 'wall';
const BUDGETS = args.budgets.split(',') as Budgets[];
/** At most this many sign-ins are offered in one run, whatever the capacity. */
const MAX_OFFERED = 5000;

type Outcome = Attempt | { code: false; error: string };

/** Budgets charged with the event loop's idle time (`loop`, Wardgate's way) or with all time (`wall`). */
function judgeBudgetsBy(budgets: Budgets) {
  if (budgets === 'wall') performance.eventLoopUtilization = () => ({ idle: performance.now(), active: 0, utilization: 0 });
  else delete (performance as Partial<typeof performance>).eventLoopUtilization; // the prototype's own account again
}

/** Sign-ins a second with `concurrency` in flight, until `count` have ended with a code. */
async function capacity(attempt: () => Promise<Attempt>, count: number, concurrency: number): Promise<number> {
  for (let i = 0; i < 20; i++) await attempt(); // warm-up
  let started = 0;
  let coded = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < count) {
        started++;
        if ((await attempt()).code) coded++;
      }
    }),
  );
  return coded / ((performance.now() - t0) / 1000);
}

/** `rate` sign-ins a second at fixed intervals for `seconds`; every one is awaited. */
async function offer(attempt: () => Promise<Attempt>, rate: number, seconds: number) {
  const count = Math.min(MAX_OFFERED, Math.round(rate * seconds));
  const pending: Promise<Outcome>[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait >= 1) await sleep(wait);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    pending.push(
      attempt()
        .catch((error: unknown): Outcome => ({ code: false, error: (error as Error).message }))
        .finally(() => inFlight--),
    );
  }
  const offeredSeconds = (performance.now() - t0) / 1000;
  const outcomes = await Promise.all(pending);
  return { count, offeredSeconds, totalSeconds: (performance.now() - t0) / 1000, maxInFlight, outcomes };
}

/** The password-phase decisions since `since`: outcomes, and the signal failures among them. */
async function decisionsSince(wardgate: TestServer, since: number) {
  const rows = (await wardgate.db('decisions').where('phase', 'password').andWhere('at', '>=', since).select('outcome', 'findings')) as { outcome: string; findings: string }[];
  const failed = new Map<string, number>();
  let withSignalError = 0;
  for (const row of rows) {
    const codes = (JSON.parse(row.findings) as { code: string }[]).map((f) => f.code).filter((c) => c.startsWith('signal_error:'));
    if (codes.length > 0) withSignalError++;
    for (const code of codes) failed.set(code, (failed.get(code) ?? 0) + 1);
  }
  const count = (outcome: string) => rows.filter((r) => r.outcome === outcome).length;
  return { total: rows.length, allow: count('allow'), stepUp: count('step_up'), deny: count('deny'), withSignalError, failed };
}

/** How many password decisions took longer than 50 ms and 250 ms (wall clock, the metrics' histogram). */
async function slowDecisions(wardgate: TestServer): Promise<{ over50: number; over250: number }> {
  const text = await (await fetch(`${wardgate.url}/metrics`)).text();
  const bucket = (le: string) => Number(text.match(new RegExp(`wardgate_decision_duration_seconds_bucket\\{le="${le}",phase="password"\\} (\\d+)`))?.[1] ?? 0);
  const all = bucket('\\+Inf');
  return { over50: all - bucket('0.05'), over250: all - bucket('0.25') };
}

async function loadRun(target: TestDatabase, budgets: Budgets, rate: number) {
  judgeBudgetsBy(budgets);
  const wardgate = await startTestServer(target, SERVER_ENV);
  try {
    const attempt = await trustedSignIn(wardgate, PEOPLE);
    const before = await slowDecisions(wardgate);
    const since = Date.now();
    const run = await offer(attempt, rate, SECONDS);
    const decisions = await decisionsSince(wardgate, since);
    const slow = await slowDecisions(wardgate);
    const coded = run.outcomes.filter((o) => o.code).length;
    const errors = run.outcomes.filter((o) => 'error' in o);
    const flows = run.outcomes.flatMap((o) => ('flowMs' in o ? [o.flowMs] : []));
    const failed = [...decisions.failed].map(([code, n]) => `${code} ${n}`).join(', ') || 'none';
    console.log(
      `  ${(args.as ?? budgets).padEnd(4)}  offered ${run.count} in ${run.offeredSeconds.toFixed(1)} s (${(run.count / run.offeredSeconds).toFixed(1)}/s), all ended after ${run.totalSeconds.toFixed(1)} s, up to ${run.maxInFlight} in flight; ` +
        `with a code ${coded}, without ${run.count - coded - errors.length}, errors ${errors.length}; flow p50 ${quantile(flows, 0.5).toFixed(0)} ms, p99 ${quantile(flows, 0.99).toFixed(0)} ms`,
    );
    console.log(
      `        password decisions ${decisions.total}: allow ${decisions.allow}, step_up ${decisions.stepUp}, deny ${decisions.deny}; ` +
        `**stepped up by a signal failure: ${decisions.withSignalError}** (${failed}); decisions over 50 ms wall ${slow.over50 - before.over50}, over 250 ms ${slow.over250 - before.over250}`,
    );
    const statuses = new Map<string, number>();
    for (const o of run.outcomes) if (!o.code && 'status' in o) statuses.set(String(o.status), (statuses.get(String(o.status)) ?? 0) + 1);
    if (statuses.size > 0) console.log(`        without a code, by the last page's HTTP status: ${[...statuses].map(([status, n]) => `${status} ${n}`).join(', ')}`);
    if (errors.length > 0) console.log(`        first error: ${(errors[0] as { error: string }).error}`);
  } finally {
    await wardgate.close();
    judgeBudgetsBy('loop');
  }
}

/**
 * The same load at the same rate on Wardgate as it was at `rev`: a copy of that commit (git archive)
 * with these bench files, run in a child process (`--rate`, so it offers exactly this rate).
 */
async function loadRunAt(rev: string, kind: string, rate: number) {
  const root = path.resolve(import.meta.dirname, '..');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wardgate-before-'));
  try {
    execFileSync('sh', ['-c', 'git archive "$1" | tar -x -C "$2"', 'sh', rev, dir], { cwd: root });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    for (const file of ['busy.ts', 'trusted-sign-in.ts']) fs.copyFileSync(path.join(import.meta.dirname, file), path.join(dir, 'bench', file));
    const options = ['--db', kind, '--rate', String(rate), '--seconds', String(SECONDS), '--people', String(PEOPLE), '--budgets', 'loop', '--as', `at ${rev}`];
    const child = spawn(process.execPath, ['bench/busy.ts', ...options], { cwd: dir, stdio: 'inherit' });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`the run at ${rev} exited with ${code}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`bench/busy.ts: ${machine()}`);
console.log(`${SECONDS} s at ${args.rate ? `${Number(args.rate).toFixed(1)}/s` : 'twice the capacity'}, budgets judged by: ${BUDGETS.join(', ')}${args.before ? `, and Wardgate at ${args.before}` : ''}; ${ROUNDS} round(s)`);
await eachDatabase(args.db, async (target) => {
  const wardgate = await startTestServer(target, SERVER_ENV);
  let rate = Number(args.rate);
  try {
    console.log(`\n${await serverVersion(wardgate.db)}`);
    if (!args.rate) {
      const measured = await capacity(await trustedSignIn(wardgate, PEOPLE), CAPACITY_SIGN_INS, CONCURRENCY);
      rate = 2 * measured;
      console.log(`capacity: ${measured.toFixed(1)} trusted sign-ins/s with ${CONCURRENCY} in flight (${CAPACITY_SIGN_INS} after 20 to warm up); offering ${rate.toFixed(1)}/s`);
    }
  } finally {
    await wardgate.close();
  }
  for (let round = 1; round <= ROUNDS; round++) {
    if (ROUNDS > 1) console.log(`round ${round}`);
    for (const budgets of BUDGETS) await loadRun(target, budgets, rate);
    if (args.before) await loadRunAt(args.before, target.kind, rate);
  }
});
