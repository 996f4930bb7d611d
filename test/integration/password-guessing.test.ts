/**
 * Guesses sent at the same moment: the throttle reserves each password check before it runs, in
 * one atomic step with the count it is judged against, so no more checks start than the limit lets
 * through, however many arrive at once. Every other guess is answered 429 with Retry-After, and
 * every guess leaves exactly one audit entry.
 */
import { describe, expect, it } from 'vitest';
import { databaseUnavailable } from '../helpers/database.ts';
import { openWard, REMOTE_GB, wardPerTest } from '../helpers/ward.ts';
import { THROTTLE } from '../../src/signin/throttle.ts';

const GUESSES = 200;

describe.skipIf(databaseUnavailable())('concurrent password guesses', () => {
  const wardNow = wardPerTest({ still: true });

  /** Sends the guesses at once: each from `ipOf(i)` as `usernameOf(i)`; returns the answers. */
  async function guessAtOnce(usernameOf: (i: number) => string, ipOf: (i: number) => string) {
    const ward = wardNow();
    const browsers = await Promise.all(Array.from({ length: 8 }, (_, b) => ward.browserAt(ipOf(b), { terminal: false })));
    const opened = await Promise.all(browsers.map((browser) => ward.openSignIn(browser)));
    return Promise.all(
      Array.from({ length: GUESSES }, async (_, i) => {
        const b = i % browsers.length;
        const browser = browsers[b]!;
        const answer = await browser.postForm(ward.server.issuer + opened[b]!.action, { username: usernameOf(i), password: `wrong guess ${i}` }).then(async (step) => ({ status: step.res.status, retryAfter: step.res.headers.get('retry-after'), page: await step.res.text() }));
        return answer;
      }),
    );
  }

  /** Checked (a password was verified: the login page again) and throttled answers, with the audit's count of each. */
  async function tally(answers: { status: number; retryAfter: string | null; page: string }[]) {
    const ward = wardNow();
    const checked = answers.filter((a) => a.status === 200);
    const throttled = answers.filter((a) => a.status === 429);
    expect(checked.length + throttled.length).toBe(GUESSES);
    for (const a of checked) expect(a.page).toContain('The username or password is not right');
    for (const a of throttled) expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    const entries = await ward.signInEntries();
    expect(entries.filter((e) => e.type === 'sign_in.failed')).toHaveLength(checked.length);
    expect(entries.filter((e) => e.type === 'sign_in.throttled')).toHaveLength(throttled.length);
    // Every reservation was settled: nothing is left pending.
    expect(await ward.server.db('failed_attempts').where({ pending: true }).count({ n: '*' }).then((r) => Number(r[0]!.n))).toBe(0);
    return { checked: checked.length, throttled: throttled.length };
  }

  it('checks at most the per-name limit of passwords for one user from one address', async () => {
    const ward = wardNow();
    await ward.clinician('m.grey');
    const { checked } = await tally(await guessAtOnce(() => 'm.grey', () => REMOTE_GB));
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(THROTTLE.username.free);
  });

  it('checks at most the per-name limit of passwords for one user from many addresses', async () => {
    const ward = wardNow();
    await ward.clinician('m.grey');
    const answers = await Promise.all(
      Array.from({ length: GUESSES }, async (_, i) => {
        const browser = await ward.browserAt(`81.2.69.${1 + (i % 200)}`, { terminal: false });
        const { action } = await ward.openSignIn(browser);
        return { browser, action };
      }),
    ).then((opened) =>
      Promise.all(
        opened.map(async ({ browser, action }, i) => {
          const step = await browser.postForm(ward.server.issuer + action, { username: 'm.grey', password: `wrong guess ${i}` });
          return { status: step.res.status, retryAfter: step.res.headers.get('retry-after'), page: await step.res.text() };
        }),
      ),
    );
    const { checked } = await tally(answers);
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(THROTTLE.username.free);
  });

  it('checks at most the per-address limit of passwords for many usernames from one address', async () => {
    const ward = wardNow();
    const { checked } = await tally(await guessAtOnce((i) => `someone.${i}`, () => REMOTE_GB));
    expect(checked).toBeGreaterThan(THROTTLE.username.free);
    expect(checked).toBeLessThanOrEqual(THROTTLE.ip.free);
  });
});
