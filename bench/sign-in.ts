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
import * as oidc from 'openid-client';
import { hashPassword, verifyPassword } from '../src/accounts/passwords.ts';
import { signIn } from '../test/helpers/browser.ts';
import { createTestDatabase } from '../test/helpers/database.ts';
import { startTestServer } from '../test/helpers/server.ts';
import { quantile, timed } from './measure.ts';

const iterations = Number(process.argv[2] ?? 50);

function summary(label: string, samples: number[]) {
  console.log(`${label.padEnd(34)} n=${String(samples.length).padStart(3)}  median ${quantile(samples, 0.5).toFixed(1)} ms  p95 ${quantile(samples, 0.95).toFixed(1)} ms`);
}

const hashes: number[] = [];
const verifies: number[] = [];
const stored = await hashPassword('benchmark passphrase');
for (let i = 0; i < iterations; i++) {
  hashes.push((await timed(() => hashPassword('benchmark passphrase')))[0]);
  verifies.push((await timed(() => verifyPassword(stored, 'benchmark passphrase')))[0]);
}

const target = await createTestDatabase('sqlite');
const [startupMs, wardgate] = await timed(() => startTestServer(target, { WARDGATE_LOG_LEVEL: 'silent', DATABASE_URL: process.env.DATABASE_URL ?? target.url }));
try {
  const { clients, config } = wardgate;
  // A trusted sign-in (on shift, at an enrolled ward terminal, on the site's network), which the
  // default policy allows without a step-up, as the tests sign in.
  const { username } = await wardgate.clinician({ username: `bench.${Date.now()}`, password: 'benchmark passphrase', displayName: 'Bench' });
  const { client_id, client_secret } = await clients.register({ client_name: 'Bench', redirect_uris: ['https://bench.example/cb'], first_party: true });
  const rp = await oidc.discovery(new URL(wardgate.issuer), client_id, undefined, oidc.ClientSecretBasic(client_secret!), { execute: [oidc.allowInsecureRequests] });

  const flows: number[] = [];
  const tokens: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(rp, { redirect_uri: 'https://bench.example/cb', scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's' });
    const browser = await wardgate.browser();
    const t0 = performance.now();
    const { callback, status } = await signIn(browser, url.href, { username, password: 'benchmark passphrase' });
    // A risk signal over its budget (a loaded machine) steps the sign-in up: no code to time.
    if (!callback) throw new Error(`sign-in ${i + 1} ended without a code (HTTP ${status}): stepped up or refused`);
    const [tokenMs] = await timed(() => oidc.authorizationCodeGrant(rp, new URL(callback), { pkceCodeVerifier: verifier, expectedState: 's' }));
    flows.push(performance.now() - t0);
    tokens.push(tokenMs);
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
