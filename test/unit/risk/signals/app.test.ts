/**
 * The app signal: a high-sensitivity app and a request for the phishing-resistant level are noted.
 */
import { describe, expect, it } from 'vitest';
import { appSignal } from '../../../../src/risk/signals/app.ts';
import { contextWith, fakePorts, policyWith } from './fake-ports.ts';

const policy = policyWith();
const judge = (changes: Parameters<typeof contextWith>[0]) => appSignal.evaluate(contextWith(changes), fakePorts(), policy);

describe('app signal', () => {
  it('can judge before the password is checked', () => {
    expect(appSignal).toMatchObject({ id: 'app', needsUser: false });
  });

  it('notes a high-sensitivity app', async () => {
    expect(await judge({ client: { id: 'pharmacy', sensitivity: 'high' } })).toEqual([{ code: 'sensitive_app', details: { clientId: 'pharmacy', sensitivity: 'high' } }]);
  });

  it('notes an app asking for acr phr', async () => {
    expect(await judge({ requestedAcr: ['urn:wardgate:acr:1fa', 'phr'] })).toEqual([
      { code: 'phr_requested', details: { clientId: 'ehr', requestedAcr: ['urn:wardgate:acr:1fa', 'phr'] } },
    ]);
  });

  it('notes both when a sensitive app asks for phr', async () => {
    const findings = await judge({ client: { id: 'pharmacy', sensitivity: 'high' }, requestedAcr: ['phr'] });
    expect(findings.map((f) => f.code)).toEqual(['sensitive_app', 'phr_requested']);
  });

  it('notes nothing for a standard app asking for nothing or for another acr, with or without a user', async () => {
    expect(await judge({})).toEqual([]);
    expect(await judge({ requestedAcr: ['urn:wardgate:acr:1fa', 'phrh'] })).toEqual([]);
    expect(await judge({ user: undefined })).toEqual([]);
  });
});
