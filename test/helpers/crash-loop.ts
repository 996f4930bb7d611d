/**
 * Kill -9 in a loop under sign-in load: a real Wardgate process takes concurrent sign-ins (blocked
 * before the password, and passwords judged and stepped up), is killed with SIGKILL while requests
 * are in flight, and is started again on the same database, several times. Afterwards every decision
 * the database holds must have its audit entry, and the chain must hold: a decision and its entry
 * commit in one transaction.
 */
import * as oidc from 'openid-client';
import { spawnWardgate, runWardgate } from './process.ts';
import { testEnv } from './server.ts';
import { TestBrowser, formAction } from './browser.ts';
import { expect } from 'vitest';
import { createTestDatabase, type TestDatabase, type TestDbKind } from './database.ts';
import { createDb } from '../../src/store/db.ts';
import { createAuditLog } from '../../src/audit/log.ts';

const REDIRECT = 'https://ehr.example.test/cb';
const BLOCKED_COUNTRY = '1.1.1.1';

export interface CrashLoopResult {
  kills: number;
  decisions: number;
  withoutEntry: string[];
  chain: { valid: boolean; checked: number };
}

/** `kills` rounds of load and SIGKILL; each round kills once `answersBeforeKill` answers came back. */
export async function crashLoop(db: TestDatabase, options: { kills: number; concurrency: number; answersBeforeKill: number }): Promise<CrashLoopResult> {
  const env = testEnv(db, { WARDGATE_TRUST_PROXY: 'loopback' });
  const run = async (args: string[], stdin?: string) => {
    const result = await runWardgate(args, env, stdin);
    if (result.code !== 0) throw new Error(`wardgate ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  // A site in Great Britain makes it the allowed country (Australia is refused before the password).
  await run(['sites', 'create', '--id', 'st-marys', '--name', "St Mary's", '--timezone', 'Europe/London', '--country', 'GB']);
  // A clinician per worker, each from an address of their own: the load is many people, not one
  // person's burst (that one the throttle slows, by design).
  for (let w = 0; w < options.concurrency; w++) await run(['users', 'create', '--username', `clin.${w}`, '--display-name', `Clinician ${w}`, '--password-stdin'], 'the right passphrase');
  const client = await runWardgate(['clients', 'create', '--name', 'EHR', '--redirect-uri', REDIRECT, '--first-party'], env);
  if (client.code !== 0) throw new Error(client.stderr);
  const { client_id } = JSON.parse(client.stdout) as { client_id: string };

  for (let round = 0; round < options.kills; round++) {
    const running = await spawnWardgate(env);
    let answers = 0;
    let killed = false;
    const { promise: enough, resolve: killNow } = Promise.withResolvers<void>();
    const attempt = async (i: number) => {
      const browser = new TestBrowser(running.issuer);
      const w = i % options.concurrency;
      browser.headers['x-forwarded-for'] = i % 2 ? BLOCKED_COUNTRY : `81.2.69.${10 + w}`;
      const auth = new URL(`${running.issuer}/auth`);
      auth.search = new URLSearchParams({
        client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT, state: `s${i}`,
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      }).toString();
      // Blocked country: the sign-in page itself is refused (a pre-password decision). Great Britain:
      // the password is checked and the remote sign-in judged (a step-up decision).
      const page = await browser.follow(auth.href);
      const html = await page.res.text();
      if (page.res.status === 200 && html.includes('/login"')) {
        await browser.postForm(running.issuer + formAction(html, /action="\/interaction\/[^"]+\/login"/), { username: `clin.${w}`, password: 'the right passphrase' });
      }
    };
    const worker = async (w: number) => {
      for (let i = w; !killed; i += options.concurrency) {
        try {
          await attempt(i);
          if (++answers >= options.answersBeforeKill) killNow();
        } catch {
          return; // the process is gone
        }
      }
    };
    const workers = Array.from({ length: options.concurrency }, (_, w) => worker(w));
    await enough;
    killed = true;
    running.child.kill('SIGKILL');
    await running.exited;
    await Promise.all(workers);
  }

  const knex = createDb(db.kind === 'postgres' ? { client: 'pg', url: db.url } : { client: 'sqlite', filename: db.url.slice('sqlite:'.length) });
  try {
    const decisions = (await knex('decisions').select('id')).map((r: { id: string }) => r.id);
    const entries = await knex('audit_log').where({ type: 'sign_in.decision' }).select('data');
    const audited = new Set(entries.map((e: { data: string }) => (JSON.parse(e.data) as { decisionId: string }).decisionId));
    return { kills: options.kills, decisions: decisions.length, withoutEntry: decisions.filter((id) => !audited.has(id)), chain: await createAuditLog(knex).verify() };
  } finally {
    await knex.destroy();
  }
}

/** The crash-loop test on a fresh database of `kind`: no decision without its entry, and the chain holds. */
export async function expectEveryDecisionAudited(kind: TestDbKind): Promise<void> {
  const db = await createTestDatabase(kind);
  try {
    const result = await crashLoop(db, { kills: 5, concurrency: 16, answersBeforeKill: 40 });
    expect(result.decisions).toBeGreaterThan(5 * 40 * 0.5);
    expect(result.withoutEntry).toEqual([]);
    expect(result.chain.valid).toBe(true);
  } finally {
    await db.drop();
  }
}
