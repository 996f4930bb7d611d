/**
 * An essential `acr` claim for `phr` in the `claims` parameter asks for a security key whether the
 * relying app put it under `id_token` or under `userinfo`: the person is stepped up, never signed
 * in on a password alone, and an existing password session is stepped up without a second password.
 */
import { describe, expect, it } from 'vitest';
import { databaseUnavailable } from '../helpers/database.ts';
import { serverForThisFile } from '../helpers/server-per-file.ts';
import { declineEnrollment, formAction } from '../helpers/browser.ts';
import { createRelyingParty } from '../helpers/relying-party.ts';

const PASSWORD = 'essential claims passphrase';
const ESSENTIAL_PHR = { essential: true, values: ['phr'] };
const FORMS = [
  ['id_token', JSON.stringify({ id_token: { acr: ESSENTIAL_PHR } })],
  ['userinfo', JSON.stringify({ userinfo: { acr: ESSENTIAL_PHR } })],
] as const;

describe.skipIf(databaseUnavailable())('an essential acr in the claims parameter', () => {
  const wardgate = serverForThisFile();

  /** A clinician on shift, at a ward terminal on the hospital network: a password alone would do. */
  async function trustedClinician(username: string) {
    const server = wardgate();
    const user = await server.clinician({ username, password: PASSWORD, displayName: username });
    const rp = await createRelyingParty(server, { client_name: `EHR for ${username}`, first_party: true });
    return { user, rp, browser: await server.browser() };
  }

  async function decisionsOf(userId: string, phase: string) {
    const rows = await wardgate().db('decisions').where({ user_id: userId, phase });
    return rows.map((row: { outcome: string; findings: string }) => ({ outcome: row.outcome, findings: (JSON.parse(row.findings) as { code: string }[]).map((f) => f.code) }));
  }

  it.each(FORMS)('steps a trusted password sign-in up to the security key for an essential acr phr under %s', async (form, claims) => {
    const { user, rp, browser } = await trustedClinician(`essential.signin.${form}`);
    const started = await rp.start({ scope: 'openid', claims });
    const page = await browser.follow(started.url);
    const login = formAction(await page.res.text(), /action="\/interaction\/[^"]+\/login"/);
    const step = await browser.postForm(browser.origin + login, { username: user.username, password: PASSWORD });
    expect(step.leftTo).toBeUndefined();
    expect(await step.res.text()).toContain('You need a security key for this sign-in');
    expect(await decisionsOf(user.id, 'password')).toEqual([{ outcome: 'step_up', findings: expect.arrayContaining(['phr_requested', 'known_terminal', 'on_shift']) }]);
  });

  it.each(FORMS)('steps an existing password session up to the security key, without a second password, for an essential acr phr under %s', async (form, claims) => {
    const { user, rp, browser } = await trustedClinician(`essential.session.${form}`);
    const first = await rp.start({ scope: 'openid' });
    const page = await browser.follow(first.url);
    const login = formAction(await page.res.text(), /action="\/interaction\/[^"]+\/login"/);
    const signedIn = await declineEnrollment(browser, await browser.postForm(browser.origin + login, { username: user.username, password: PASSWORD }));
    expect(signedIn.leftTo).toMatch(/[?&]code=/);

    const stronger = await rp.start({ scope: 'openid', claims });
    const step = await browser.follow(stronger.url);
    expect(step.leftTo).toBeUndefined();
    const html = await step.res.text();
    expect(html).not.toContain('name="password"');
    expect(html).toContain('You need a security key for this sign-in');
    expect(await decisionsOf(user.id, 'session')).toEqual([{ outcome: 'step_up', findings: expect.arrayContaining(['phr_requested']) }]);
  });
});
