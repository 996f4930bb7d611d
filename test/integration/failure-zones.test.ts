/**
 * Failures count where they came from, and a success resets them: a remote attacker cannot lock a
 * clinician out at her own ward terminal, and refused security keys are their own counter.
 * See docs/policy.md, "Which failures count against which sign-ins".
 */
import { describe, expect, it } from 'vitest';
import { databaseUnavailable } from '../helpers/database.ts';
import { openWard, REMOTE_GB, WARD_IP, wardPerTest } from '../helpers/ward.ts';
import { registerSoftwareKey, softwareKey } from '../helpers/software-key.ts';
import { THROTTLE } from '../../src/signin/throttle.ts';

describe.skipIf(databaseUnavailable())('where failures count', () => {
  const wardNow = wardPerTest({ still: true });

  /** `n` wrong passwords for `username` from `ip` (without the ward's terminal when remote). */
  async function fail(username: string, n: number, ip: string) {
    const ward = wardNow();
    const browser = await ward.browserAt(ip, { terminal: ip === WARD_IP });
    const { action } = await ward.openSignIn(browser);
    for (let i = 0; i < n; i++) {
      const answer = await ward.postPassword(browser, action, username, `wrong guess ${i}`);
      expect(answer.status).toBe(200);
      expect(answer.page).toContain('The username or password is not right');
    }
  }

  /** The findings of the person's latest password-phase decision. */
  async function latestFindings(userId: string) {
    const ward = wardNow();
    const row = await ward.server.db('decisions').where({ user_id: userId, phase: 'password' }).orderBy('at', 'desc').first();
    return (JSON.parse(row.findings) as { code: string }[]).map((f) => f.code);
  }

  it('five remote failures, then the clinician at her terminal is allowed', async () => {
    const ward = wardNow();
    const grey = await ward.clinician('m.grey');
    await fail('m.grey', 5, REMOTE_GB);
    const result = await ward.signIn(await ward.browserAt(WARD_IP), 'm.grey');
    expect(result.allowed, result.page).toBe(true);
    expect(await latestFindings(grey.id)).not.toContain('repeated_failures');
  });

  it('five failures at the ward still raise the risk of the next sign-in there', async () => {
    const ward = wardNow();
    const grey = await ward.clinician('m.grey');
    await fail('m.grey', 5, WARD_IP);
    const result = await ward.signIn(await ward.browserAt(WARD_IP), 'm.grey');
    expect(result.allowed).toBe(false);
    expect(result.page).toContain('You need a security key for this sign-in');
    expect(await latestFindings(grey.id)).toContain('repeated_failures');
  });

  it('remote failures slow remote attempts, never the ward terminal', async () => {
    const ward = wardNow();
    await ward.clinician('m.grey');
    await fail('m.grey', THROTTLE.username.free, REMOTE_GB);
    const remote = await ward.browserAt(REMOTE_GB, { terminal: false });
    const { action } = await ward.openSignIn(remote);
    const slowed = await ward.postPassword(remote, action, 'm.grey', 'another guess');
    expect(slowed.status).toBe(429);
    expect(Number(slowed.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await ward.signIn(await ward.browserAt(WARD_IP), 'm.grey')).allowed).toBe(true);
  });

  it('a sign-in that met the required proof resets the failures of its zone', async () => {
    const ward = wardNow();
    const grey = await ward.clinician('m.grey');
    await fail('m.grey', 4, WARD_IP);
    expect((await ward.signIn(await ward.browserAt(WARD_IP), 'm.grey')).allowed).toBe(true);
    // Four before the success and one after: one counts, not five.
    await fail('m.grey', 1, WARD_IP);
    expect((await ward.signIn(await ward.browserAt(WARD_IP), 'm.grey')).allowed).toBe(true);
    expect(await latestFindings(grey.id)).not.toContain('repeated_failures');
  });

  it('a verified security key resets the failures everywhere', async () => {
    const ward = wardNow();
    const grey = await ward.clinician('m.grey');
    const key = await registerSoftwareKey(ward.server.db, grey.id, ward.server.issuer);
    await fail('m.grey', 5, WARD_IP);
    // Stepped up because of the failures; the key proves it is her.
    const browser = await ward.browserAt(WARD_IP);
    const stepped = await ward.signIn(browser, 'm.grey');
    expect(stepped.allowed).toBe(false);
    expect(stepped.page).toContain('/webauthn/step-up');
    const done = await key.assert(browser, stepped.uid, 'step-up');
    expect(new URL(done.leftTo!).searchParams.get('code')).toBeTruthy();
    // The five failures no longer count: the next sign-in at the terminal needs no key.
    expect((await ward.signIn(await ward.browserAt(WARD_IP), 'm.grey')).allowed).toBe(true);
    expect(await latestFindings(grey.id)).not.toContain('repeated_failures');
  });

  it('refused security keys never count as usernames tried from the address', async () => {
    const ward = wardNow();
    await ward.clinician('m.grey');
    const browser = await ward.browserAt(WARD_IP);
    for (let i = 0; i < 6; i++) {
      const { uid } = await ward.openSignIn(browser);
      const stranger = softwareKey(`someone-${i}`, ward.server.issuer);
      const refused = await stranger.assert(browser, uid, 'passkey');
      expect(refused.res.status).toBe(400);
    }
    const result = await ward.signIn(await ward.browserAt(WARD_IP), 'm.grey');
    expect(result.allowed, result.page).toBe(true);
    const entries = await ward.signInEntries();
    expect(entries.filter((e) => e.type === 'sign_in.failed' && e.data.method === 'passkey')).toHaveLength(6);
  });
});
