/**
 * The posture signal: automation clients, browsers below the policy's minimum, operating systems
 * below the supported version (Windows release names included), and devices new to the user.
 * The last block runs real user agents through the real device adapter against the default policy.
 */
import { describe, expect, it } from 'vitest';
import { describeDevice } from '../../../../src/device/user-agent.ts';
import { DEFAULT_POLICY } from '../../../../src/risk/policy.ts';
import type { DeviceInfo } from '../../../../src/risk/ports.ts';
import { postureSignal, versionBelow } from '../../../../src/risk/signals/posture.ts';
import { AT, DEVICE, USER, contextWith, fakePorts, outage, policyWith } from './fake-ports.ts';

const policy = policyWith();
const SEEN_YESTERDAY = [{ fingerprint: DEVICE.fingerprint, at: new Date(AT.getTime() - 86_400_000) }];

async function judge(device: Partial<DeviceInfo>, changes: Parameters<typeof contextWith>[0] = {}, seen = SEEN_YESTERDAY) {
  const ports = fakePorts({ device, seen });
  return { findings: await postureSignal.evaluate(contextWith(changes), ports, policy), ports };
}

describe('posture signal', () => {
  it('can judge before the password is checked (new_device waits for the user)', () => {
    expect(postureSignal).toMatchObject({ id: 'posture', needsUser: false });
  });

  it('finds nothing wrong with a current browser on a supported system the user has used before', async () => {
    const { findings, ports } = await judge({});
    expect(findings).toEqual([]);
    expect(ports.devices.describe).toHaveBeenCalledWith('Mozilla/5.0', {});
  });

  it('flags an automation client with the reason', async () => {
    const { findings } = await judge({ automation: 'command-line client (curl)', browser: { name: null, major: null }, os: { name: null, version: null }, summary: 'Unknown browser on unknown OS' });
    expect(findings).toEqual([{ code: 'automation_client', details: { reason: 'command-line client (curl)', summary: 'Unknown browser on unknown OS' } }]);
  });

  it('flags a browser below the policy minimum, not one at it', async () => {
    expect((await judge({ browser: { name: 'Chrome', major: 119 } })).findings).toEqual([{ code: 'outdated_browser', details: { browser: 'Chrome', major: 119, minimum: 120 } }]);
    expect((await judge({ browser: { name: 'Chrome', major: 120 } })).findings).toEqual([]);
  });

  it('does not judge a browser the policy has no minimum for, or whose version is unknown', async () => {
    expect((await judge({ browser: { name: 'Vivaldi', major: 1 } })).findings).toEqual([]);
    expect((await judge({ browser: { name: 'Chrome', major: null } })).findings).toEqual([]);
    // A brand from client hints can be any string; the policy's object prototype is not a list entry.
    for (const name of ['constructor', 'toString', '__proto__']) expect((await judge({ browser: { name, major: 1 } })).findings).toEqual([]);
  });

  it.each([
    ['Windows', '7'], ['Windows', '8'], ['Windows', '8.1'], ['Windows', 'XP'], ['Windows', 'Vista'], ['Windows', '2000'], ['Windows', 'ME'],
    ['Mac OS', '10.15.7'], ['iOS', '15.8'], ['Android', '10'],
  ])('flags %s %s as unsupported', async (name, version) => {
    const { findings } = await judge({ os: { name, version } });
    expect(findings).toEqual([{ code: 'unsupported_os', details: { os: name, version, below: expect.any(String) } }]);
  });

  it.each([
    ['Windows', '10'], ['Windows', '11'], ['Mac OS', '11'], ['Mac OS', '15.1'], ['iOS', '16'], ['iOS', '18.6'], ['Android', '11'], ['Android', '14'], ['Linux', '6.8'],
    ['Android', null], ['Mac OS', null], ['Windows', 'NT'], [null, null],
  ])('does not flag %s %s', async (name, version) => {
    expect((await judge({ os: { name, version } })).findings).toEqual([]);
  });

  it('compares dotted versions as numbers, part by part', () => {
    expect(versionBelow('iOS', '15.10', '15.9')).toBe(false);
    expect(versionBelow('iOS', '15.9', '15.10')).toBe(true);
    expect(versionBelow('Mac OS', '10.15.7', '11')).toBe(true);
    expect(versionBelow('Mac OS', '11.0.0', '11')).toBe(false);
    expect(versionBelow('Windows', 'Vista', '7')).toBe(true);
    expect(versionBelow('Windows', 'XP', 'Vista')).toBe(true);
    expect(versionBelow('Windows', 'NT 4.0', '10')).toBe(true);
    expect(versionBelow('Linux', 'unknown', '10')).toBe(false);
    expect(versionBelow('Windows', 'constructor', '10')).toBe(false);
  });

  it('flags a device the user has not signed in from within the policy window as new', async () => {
    const { findings, ports } = await judge({}, {}, []);
    expect(findings).toEqual([{ code: 'new_device', details: { summary: DEVICE.summary, fingerprint: DEVICE.fingerprint, newDeviceDays: 90 } }]);
    expect(ports.history.deviceSeen).toHaveBeenCalledWith(USER.id, DEVICE.fingerprint, new Date('2026-08-31T09:00:00Z'));
  });

  it('flags a device last seen before the window as new again', async () => {
    const { findings } = await judge({}, {}, [{ fingerprint: DEVICE.fingerprint, at: new Date('2026-08-01T09:00:00Z') }]);
    expect(findings.map((f) => f.code)).toEqual(['new_device']);
  });

  it('without a user, judges the device but not whether it is new, and asks no history', async () => {
    const { findings, ports } = await judge({ browser: { name: 'Chrome', major: 90 } }, { user: undefined }, []);
    expect(findings.map((f) => f.code)).toEqual(['outdated_browser']);
    expect(ports.history.deviceSeen).not.toHaveBeenCalled();
  });

  it('reports every doubt at once', async () => {
    const { findings } = await judge({ automation: 'headless browser (HeadlessChrome)', browser: { name: 'Chrome', major: 90 }, os: { name: 'Windows', version: '7' } }, {}, []);
    expect(findings.map((f) => f.code)).toEqual(['automation_client', 'outdated_browser', 'unsupported_os', 'new_device']);
  });

  it('lets a failing port throw', async () => {
    const ports = fakePorts();
    ports.history.deviceSeen.mockImplementation(outage);
    await expect(postureSignal.evaluate(contextWith(), ports, policy)).rejects.toThrow('database unreachable');
  });

  describe('with the real device adapter and the default policy', () => {
    const real = async (userAgent: string, clientHints: Record<string, string> = {}) => {
      const ports = { ...fakePorts(), devices: { describe: describeDevice } };
      const findings = await postureSignal.evaluate(contextWith({ user: undefined, userAgent, clientHints }), ports, DEFAULT_POLICY);
      return findings.map((f) => f.code);
    };
    const WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';

    it('lets current browsers through, frozen Mac and Android user agents included', async () => {
      expect(await real(WIN, { 'sec-ch-ua': '"Chromium";v="142", "Google Chrome";v="142", "Not_A Brand";v="99"', 'sec-ch-ua-platform': '"Windows"', 'sec-ch-ua-platform-version': '"15.0.0"' })).toEqual([]);
      expect(await real('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.1 Safari/605.1.15')).toEqual([]);
      expect(await real('Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Mobile Safari/537.36')).toEqual([]);
      expect(await real('Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1')).toEqual([]);
    });

    it('flags Chrome 90, Windows 7, HeadlessChrome and curl', async () => {
      expect(await real(WIN.replace('142.0.0.0', '90.0.4430.93'))).toEqual(['outdated_browser']);
      expect(await real(WIN.replace('Windows NT 10.0', 'Windows NT 6.1').replace('142.0.0.0', '109.0.0.0'))).toEqual(['outdated_browser', 'unsupported_os']);
      expect(await real('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/142.0.0.0 Safari/537.36')).toEqual(['automation_client']);
      expect(await real('curl/8.5.0')).toEqual(['automation_client']);
    });

    // The policy names browsers as the adapter does: every default minimum applies to a real user agent.
    it.each([
      ['Chrome', WIN.replace('142.0.0.0', '119.0.0.0')],
      ['Chromium', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/119.0.0.0 Chrome/119.0.0.0 Safari/537.36'],
      ['Edge', `${WIN.replace('142.0.0.0', '119.0.0.0')} Edg/119.0.2151.97`],
      ['Firefox', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/114.0'],
      ['Safari', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6.1 Safari/605.1.15'],
      ['Mobile Safari', 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Mobile/15E148 Safari/604.1'],
      ['Samsung Internet', 'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/20.0 Chrome/106.0.0.0 Mobile Safari/537.36'],
      ['Opera', `${WIN.replace('142.0.0.0', '118.0.0.0')} OPR/104.0.0.0`],
    ])('applies the default minimum for %s to an old one', async (name, userAgent) => {
      expect(Object.keys(DEFAULT_POLICY.lists.minimumBrowserVersions)).toContain(name);
      expect(describeDevice(userAgent, {}).browser.name).toBe(name);
      expect(await real(userAgent)).toEqual(['outdated_browser']);
    });
  });
});
