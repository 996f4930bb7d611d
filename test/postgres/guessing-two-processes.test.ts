/**
 * Two Wardgate processes on one PostgreSQL share one throttle: 200 wrong passwords for one user
 * sent at once, half to each process, start no more password checks than the limit and its backoff
 * allow in the time the burst took; every other guess is answered 429 with Retry-After, and every
 * guess leaves exactly one audit entry.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import pg from 'pg';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../helpers/database.ts';
import { spawnWardgate, runWardgate, type RunningWardgate } from '../helpers/process.ts';
import { testEnv } from '../helpers/server.ts';
import { TestBrowser, formAction } from '../helpers/browser.ts';
import { THROTTLE } from '../../src/signin/throttle.ts';

const GUESSES = 200;
const REDIRECT = 'https://ehr.example.test/cb';
const portOf = (p: RunningWardgate) => JSON.parse(p.lines.find((l) => l.includes('"event":"ready"'))!).port as number;

/**
 * How many checks the backoff lets through in `seconds` once the free ones are spent: after the
 * tenth failure the next waits 1 s, the one after 2 s, then 4 s ... (signin/throttle.ts).
 */
const backoffSlots = (seconds: number) => Math.floor(Math.log2(seconds + 1));

describe.skipIf(databaseUnavailable())('password guesses on two processes', () => {
  let db: TestDatabase;
  let processes: RunningWardgate[] = [];

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
    const env = testEnv(db, { WARDGATE_TRUST_PROXY: 'loopback' });
    processes = await Promise.all([spawnWardgate(env), spawnWardgate(env)]);
  });
  afterEach(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await db?.drop();
  });

  it('checks no more passwords for one user than the shared limit allows', async () => {
    const env = testEnv(db);
    const created = await runWardgate(['users', 'create', '--username', 'm.grey', '--display-name', 'Dr Meredith Grey', '--password-stdin'], env, 'the right passphrase');
    expect(created.code, created.stderr).toBe(0);
    const client = await runWardgate(['clients', 'create', '--name', 'EHR', '--redirect-uri', REDIRECT, '--first-party'], env);
    expect(client.code, client.stderr).toBe(0);
    const { client_id } = JSON.parse(client.stdout) as { client_id: string };

    // Four browsers on each process, each with a sign-in open (remote, in Great Britain).
    const opened = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const origin = `http://127.0.0.1:${portOf(processes[i % 2]!)}`;
        const browser = new TestBrowser(origin);
        browser.headers['x-forwarded-for'] = '81.2.69.160';
        const auth = new URL(`${origin}/auth`);
        auth.search = new URLSearchParams({
          client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT, state: `s${i}`,
          code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
        }).toString();
        const page = await browser.follow(auth.href);
        return { browser, url: origin + formAction(await page.res.text(), /action="\/interaction\/[^"]+\/login"/) };
      }),
    );

    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: GUESSES }, async (_, i) => {
        const { browser, url } = opened[i % opened.length]!;
        const step = await browser.postForm(url, { username: 'm.grey', password: `wrong guess ${i}` });
        return { status: step.res.status, retryAfter: step.res.headers.get('retry-after') };
      }),
    );
    const seconds = (performance.now() - started) / 1000;

    const checked = answers.filter((a) => a.status === 200).length;
    const throttled = answers.filter((a) => a.status === 429);
    expect(checked + throttled.length).toBe(GUESSES);
    for (const a of throttled) expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(checked).toBeGreaterThan(0);
    expect(checked, `${checked} checks in ${seconds.toFixed(1)} s`).toBeLessThanOrEqual(THROTTLE.username.free + backoffSlots(seconds));

    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      const { rows } = await sql.query<{ type: string; n: string }>("select type, count(*) as n from audit_log where type like 'sign_in.%' group by type");
      const count = Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
      expect(count['sign_in.failed'] ?? 0).toBe(checked);
      expect(count['sign_in.throttled'] ?? 0).toBe(throttled.length);
      const pending = await sql.query<{ n: string }>('select count(*) as n from failed_attempts where pending');
      expect(Number(pending.rows[0]!.n)).toBe(0);
    } finally {
      await sql.end();
    }
  });
});
