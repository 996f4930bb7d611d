/**
 * Every sign-in attempt leaves exactly one `sign_in.*` audit entry, whatever became of it and however
 * many arrive at once: success, wrong password, unknown user, disabled account, throttled, blocked
 * before the password, refused security key, completed step-up. The unverified username typed at a
 * refused attempt is in the entry, so the service desk can find it by name.
 */
import { describe, expect, it } from 'vitest';
import { databaseUnavailable } from '../helpers/database.ts';
import { openWard, REMOTE_GB, WARD_IP, wardPerTest } from '../helpers/ward.ts';
import { registerSoftwareKey, softwareKey } from '../helpers/software-key.ts';
import { THROTTLE } from '../../src/signin/throttle.ts';

const N = 5;
const BLOCKED_COUNTRY = '1.1.1.1'; // Australia: outside the allowed countries (the test site is in GB)

describe.skipIf(databaseUnavailable())('the audit of sign-in attempts', () => {
  const wardNow = wardPerTest({ still: true });

  it('appends exactly one entry for each of N attempts of every kind, sent at once', async () => {
    const ward = wardNow();
    const users = await Promise.all(Array.from({ length: N }, (_, i) => ward.clinician(`ok.${i}`)));
    await ward.clinician('wrong.pw');
    const disabled = await ward.clinician('left.ward');
    await ward.server.accounts.disable(disabled.id);
    const keyHolders = await Promise.all(Array.from({ length: N }, (_, i) => ward.clinician(`key.${i}`)));
    const keys = await Promise.all(keyHolders.map((u) => registerSoftwareKey(ward.server.db, u.id, ward.server.issuer)));
    // A name whose remote bucket is already full: every attempt on it is refused unchecked.
    await ward.server.db('failed_attempts').insert(
      Array.from({ length: THROTTLE.username.free }, () => ({ at: Date.now(), ip: '81.2.69.1', username_key: 'busy.name', user_id: null, zone: 'remote', kind: 'password', pending: false, cleared_at: null })),
    );
    const before = (await ward.signInEntries()).length;

    /** Opens the sign-in from `ip` and posts the password from `postFrom` (the same address unless told). */
    const password = async (ip: string, username: string, pw?: string, terminal = true, postFrom = ip) => {
      const browser = await ward.browserAt(ip, { terminal });
      const { action } = await ward.openSignIn(browser);
      browser.headers['x-forwarded-for'] = postFrom;
      return ward.postPassword(browser, action, username, pw ?? 'ward round passphrase');
    };
    const kinds = {
      success: (i: number) => password(WARD_IP, users[i]!.username),
      wrongPassword: (i: number) => password(REMOTE_GB, 'wrong.pw', `not it ${i}`, false),
      unknownUser: (i: number) => password('81.2.69.20', `nobody.${i}`, 'whatever', false),
      disabled: () => password(WARD_IP, 'left.ward'),
      throttled: () => password('81.2.69.30', 'busy.name', 'whatever', false),
      // The form was opened from an allowed country; the password arrives from a blocked one.
      blocked: (i: number) => password('81.2.69.50', `abroad.${i}`, 'whatever', false, BLOCKED_COUNTRY),
      refusedKey: async (i: number) => {
        const browser = await ward.browserAt('81.2.69.40', { terminal: false });
        const { uid } = await ward.openSignIn(browser);
        const step = await softwareKey(`stranger-${i}`, ward.server.issuer).assert(browser, uid, 'passkey');
        return { status: step.res.status };
      },
      // Remote, so stepped up: the password (a decision) and then the key (stepped up).
      steppedUp: async (i: number) => {
        const browser = await ward.browserAt(REMOTE_GB, { terminal: false });
        const { uid, action } = await ward.openSignIn(browser);
        const first = await ward.postPassword(browser, action, keyHolders[i]!.username, 'ward round passphrase');
        expect(first.page).toContain('/webauthn/step-up');
        const done = await keys[i]!.assert(browser, uid, 'step-up');
        return { status: done.res.status, leftTo: done.leftTo };
      },
    };
    const results = await Promise.all(Object.entries(kinds).flatMap(([kind, run]) => Array.from({ length: N }, async (_, i) => ({ kind, answer: await run(i) }))));
    const statuses = (kind: string) => results.filter((r) => r.kind === kind).map((r) => r.answer.status);
    expect(statuses('throttled')).toEqual(Array(N).fill(429));
    expect(statuses('blocked')).toEqual(Array(N).fill(403));
    expect(statuses('disabled')).toEqual(Array(N).fill(403));
    expect(statuses('refusedKey')).toEqual(Array(N).fill(400));

    const entries = (await ward.signInEntries()).slice(before);
    const count = (predicate: (e: (typeof entries)[number]) => boolean) => entries.filter(predicate).length;
    expect(count((e) => e.type === 'sign_in.decision' && e.data.phase === 'password' && e.data.outcome === 'allow' && e.data.acr === 'urn:wardgate:acr:1fa')).toBe(N);
    expect(count((e) => e.type === 'sign_in.failed' && e.data.reason === 'wrong_password' && e.data.typedUsername === 'wrong.pw')).toBe(N);
    expect(count((e) => e.type === 'sign_in.failed' && e.data.reason === 'unknown_user' && String(e.data.typedUsername).startsWith('nobody.') && e.actor === null)).toBe(N);
    expect(count((e) => e.type === 'sign_in.failed' && e.data.reason === 'account_disabled' && e.actor === disabled.id)).toBe(N);
    expect(count((e) => e.type === 'sign_in.throttled' && e.data.typedUsername === 'busy.name' && Number(e.data.retryAfter) >= 1)).toBe(N);
    expect(count((e) => e.type === 'sign_in.decision' && e.data.phase === 'pre_password' && e.data.outcome === 'deny' && String(e.data.typedUsername).startsWith('abroad.'))).toBe(N);
    expect(count((e) => e.type === 'sign_in.failed' && e.data.method === 'passkey' && e.data.reason === 'webauthn:unknown_credential')).toBe(N);
    expect(count((e) => e.type === 'sign_in.decision' && e.data.phase === 'password' && e.data.outcome === 'step_up' && e.data.acr === undefined)).toBe(N);
    expect(count((e) => e.type === 'sign_in.stepped_up' && e.data.acr === 'phr')).toBe(N);
    // Nine kinds of attempt (a step-up is two), N of each: nothing more, nothing less.
    expect(entries).toHaveLength(9 * N);
    // And every decision recorded has its entry.
    const decisions = await ward.server.db('decisions').select('id');
    const audited = new Set(entries.filter((e) => e.type === 'sign_in.decision').map((e) => e.data.decisionId));
    expect(decisions.filter((d: { id: string }) => !audited.has(d.id))).toEqual([]);
  });
});
