/**
 * Sign-in cost, measured: argon2id hashing and verification at Wardgate's parameters, and the full
 * authorization code flow (authorize → login → code → token) against a real server on loopback
 * (startTestServer).
 * Bounded: a fixed number of sequential iterations, then it stops.
 *
 *   node bench/sign-in.ts [iterations]          (embedded SQLite in a temp folder)
 *   DATABASE_URL=postgres://… node bench/sign-in.ts [iterations]
 */
import os from 'node:os';
import { hashPassword, verifyPassword } from '../src/accounts/passwords.ts';
import { createTestDatabase } from '../test/helpers/database.ts';
import { startTestServer } from '../test/helpers/server.ts';
import { quantile, timed } from './measure.ts';
import { BENCH_PASSWORD, trustedSignIn } from './trusted-sign-in.ts';

const iterations = Number(process.argv[2] ?? 50);

function summary(label: string, samples: number[]) {
  console.log(`${label.padEnd(34)} n=${String(samples.length).padStart(3)}  median ${quantile(samples, 0.5).toFixed(1)} ms  p95 ${quantile(samples, 0.95).toFixed(1)} ms`);
}

const hashes: number[] = [];
const verifies: number[] = [];
const stored = await hashPassword(BENCH_PASSWORD);
for (let i = 0; i < iterations; i++) {
  hashes.push((await timed(() => hashPassword(BENCH_PASSWORD)))[0]);
  verifies.push((await timed(() => verifyPassword(stored, BENCH_PASSWORD)))[0]);
}

const target = await createTestDatabase('sqlite');
const [startupMs, wardgate] = await timed(() => startTestServer(target, { WARDGATE_LOG_LEVEL: 'silent', DATABASE_URL: process.env.DATABASE_URL ?? target.url }));
try {
  const { config } = wardgate;
  const attempt = await trustedSignIn(wardgate);

  const flows: number[] = [];
  const tokens: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const result = await attempt();
    // A stepped-up or refused sign-in (a failing risk signal steps up) has no code to time.
    if (!result.code) throw new Error(`sign-in ${i + 1} ended without a code (HTTP ${result.status}): stepped up or refused`);
    flows.push(result.flowMs);
    tokens.push(result.tokenMs);
  }

  console.log(`Wardgate sign-in benchmark: ${config.database.client}, Node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString()}`);
  summary('argon2id hash (19 MiB, t=2, p=1)', hashes);
  summary('argon2id verify', verifies);
  console.log(`${'server start (migrate, keys)'.padEnd(34)} ${startupMs.toFixed(0)} ms`);
  summary('code flow: authorize → token', flows);
  summary('token endpoint (code → tokens)', tokens);
} finally {
  await wardgate.close();
  await target.drop();
}
