/**
 * A completed step-up is a successful sign-in: the history records its place, device and acr, so
 * impossible travel and new-device judge every later sign-in from it, not only from passkey ones.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databaseUnavailable } from '../helpers/database.ts';
import { openWard, REMOTE_GB, CHROME_WIN11, type Ward } from '../helpers/ward.ts';
import { registerSoftwareKey } from '../helpers/software-key.ts';
import { AdminClient, clientCredentialsToken } from '../helpers/admin.ts';

describe.skipIf(databaseUnavailable())('a completed step-up in the sign-in history', () => {
  let ward: Ward;
  beforeEach(async () => {
    ward = await openWard();
    // A site in the United States, so that an address there is in an allowed country.
    await ward.server.hospital.sites.ensure({ id: 'test-boston', name: 'Test Boston Clinic', timezone: 'America/New_York', country: 'US', latitude: 42.36, longitude: -71.06, networks: [] });
  });
  afterEach(async () => {
    await ward?.close();
  });

  it('is a success with place, device and acr: impossible travel and a known device follow from it', async () => {
    const grey = await ward.clinician('m.grey');
    const key = await registerSoftwareKey(ward.server.db, grey.id, ward.server.issuer);
    // Remote in Great Britain: stepped up, and the key finishes the sign-in.
    const browser = await ward.browserAt(REMOTE_GB, { terminal: false });
    const stepped = await ward.signIn(browser, 'm.grey');
    expect(stepped.page).toContain('/webauthn/step-up');
    const done = await key.assert(browser, stepped.uid, 'step-up');
    expect(new URL(done.leftTo!).searchParams.get('code')).toBeTruthy();

    const history = await ward.server.db('sign_in_history').where({ user_id: grey.id }).orderBy('at');
    expect(history.map((h: { outcome: string; acr: string | null }) => [h.outcome, h.acr])).toEqual([['step_up', null], ['success', 'phr']]);
    expect(history[1].country).toBe('GB');
    const entries = await ward.signInEntries();
    expect(entries.filter((e) => e.type === 'sign_in.stepped_up').map((e) => e.data)).toEqual([expect.objectContaining({ acr: 'phr', username: 'm.grey', amr: ['pwd', 'hwk', 'user', 'mfa'] })]);

    const admin = new AdminClient(ward.server.issuer, await clientCredentialsToken(ward.server));
    const inAnHour = new Date(Date.now() + 3600_000).toISOString();
    const fromUs = await admin.post('/simulate', { username: 'm.grey', ip: '8.8.8.8', userAgent: CHROME_WIN11, at: inAnHour });
    expect(fromUs.status).toBe(200);
    expect(fromUs.body.outcome).toBe('deny');
    expect(fromUs.body.findings.map((f: { code: string }) => f.code)).toContain('impossible_travel');
    const sameDevice = await admin.post('/simulate', { username: 'm.grey', ip: REMOTE_GB, userAgent: CHROME_WIN11, at: inAnHour });
    expect(sameDevice.status).toBe(200);
    expect(sameDevice.body.findings.map((f: { code: string }) => f.code)).not.toContain('new_device');
  });
});
