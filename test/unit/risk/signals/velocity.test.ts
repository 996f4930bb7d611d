/**
 * The velocity signal: failed passwords in the policy's window against this user, from this IP,
 * and against many usernames from one IP (password spraying), each at its threshold.
 */
import { describe, expect, it } from 'vitest';
import { velocitySignal } from '../../../../src/risk/signals/velocity.ts';
import { contextWith, fakePorts, outage, policyWith, type FakeData } from './fake-ports.ts';

const policy = policyWith({ velocity: { windowMinutes: 15, userFailures: 5, ipFailures: 20, sprayingUsernames: 5 } });
const window = { windowMinutes: 15, since: '2026-11-29T08:45:00.000Z' };

async function judge(failures: FakeData['failures'], changes: Parameters<typeof contextWith>[0] = {}) {
  const ports = fakePorts({ failures });
  return { findings: await velocitySignal.evaluate(contextWith({ ip: '81.2.69.142', ...changes }), ports, policy), ports };
}

describe('velocity signal', () => {
  it('can judge before the password is checked', () => {
    expect(velocitySignal).toMatchObject({ id: 'velocity', needsUser: false });
  });

  it('counts failures over the policy window for this user and this IP', async () => {
    const { findings, ports } = await judge({});
    expect(findings).toEqual([]);
    expect(ports.failures.count).toHaveBeenCalledWith({ userId: 'u-1', ip: '81.2.69.142', since: new Date('2026-11-29T08:45:00Z') });
  });

  it('flags repeated failures for the user at the threshold, not below it', async () => {
    expect((await judge({ user: 4 })).findings).toEqual([]);
    expect((await judge({ user: 5 })).findings).toEqual([{ code: 'repeated_failures', details: { count: 5, threshold: 5, ...window } }]);
  });

  it('flags failures from the IP at the threshold, not below it', async () => {
    expect((await judge({ ip: 19 })).findings).toEqual([]);
    expect((await judge({ ip: 20 })).findings).toEqual([{ code: 'ip_failures', details: { ip: '81.2.69.142', count: 20, threshold: 20, ...window } }]);
  });

  it('flags password spraying when one IP failed against enough distinct usernames', async () => {
    expect((await judge({ distinctUsernamesFromIp: 4 })).findings).toEqual([]);
    expect((await judge({ distinctUsernamesFromIp: 5 })).findings).toEqual([
      { code: 'password_spraying', details: { ip: '81.2.69.142', distinctUsernames: 5, threshold: 5, ...window } },
    ]);
  });

  it('reports every threshold crossed at once', async () => {
    const { findings } = await judge({ user: 9, ip: 40, distinctUsernamesFromIp: 12 });
    expect(findings.map((f) => f.code)).toEqual(['repeated_failures', 'ip_failures', 'password_spraying']);
  });

  it('before the password is checked, asks without a user and judges the IP only', async () => {
    const { findings, ports } = await judge({ user: 50, ip: 25, distinctUsernamesFromIp: 6 }, { user: undefined });
    expect(ports.failures.count).toHaveBeenCalledWith(expect.objectContaining({ userId: null }));
    expect(findings.map((f) => f.code)).toEqual(['ip_failures', 'password_spraying']);
  });

  it('lets a failing port throw', async () => {
    const ports = fakePorts();
    ports.failures.count.mockImplementation(outage);
    await expect(velocitySignal.evaluate(contextWith(), ports, policy)).rejects.toThrow('database unreachable');
  });
});
