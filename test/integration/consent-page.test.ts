/**
 * The consent page offers what the app will get: "stay connected" (offline_access) only to an app IT
 * allowed to hold it; for any other app Wardgate refuses it at consent, so it is not offered either.
 */
import { describe, expect, it } from 'vitest';
import { databaseUnavailable } from '../helpers/database.ts';
import { WARD_IP, wardPerTest } from '../helpers/ward.ts';
import { createRelyingParty } from '../helpers/relying-party.ts';
import { declineEnrollment, formAction } from '../helpers/browser.ts';

describe.skipIf(databaseUnavailable())('the consent page', () => {
  const wardNow = wardPerTest();

  async function consentPage(offlineAccessAllowed: boolean) {
    const ward = wardNow();
    await ward.clinician('m.grey');
    const app = await createRelyingParty(ward.server, { client_name: 'Rota app', offline_access_allowed: offlineAccessAllowed } as never);
    const browser = await ward.browserAt(WARD_IP);
    const started = await app.start({ scope: 'openid profile offline_access' });
    const page = await browser.follow(started.url);
    let step = await browser.postForm(ward.server.issuer + formAction(await page.res.text(), /action="\/interaction\/[^"]+\/login"/), { username: 'm.grey', password: 'ward round passphrase' });
    step = await declineEnrollment(browser, step);
    const html = await step.res.text();
    expect(html).toMatch(/action="\/interaction\/[^"]+\/confirm"/);
    return html;
  }

  it('does not offer offline_access to an app not allowed it', async () => {
    const html = await consentPage(false);
    expect(html).toContain('See your name and username');
    expect(html).not.toContain('Stay connected while you are not using it');
  });

  it('offers it to an app IT allowed it', async () => {
    expect(await consentPage(true)).toContain('Stay connected while you are not using it');
  });
});
