/**
 * Velocity: failed passwords in the policy's window. Many against this user (guessing), many from
 * this IP (a noisy source), or failures against many different usernames from one IP (password
 * spraying). Runs before the password is checked; the per-user count only counts once the user
 * is known.
 */
import type { RawFinding } from '../types.ts';
import { MINUTE_MS, type Signal } from './signal.ts';

export const velocitySignal: Signal = {
  id: 'velocity',
  needsUser: false,
  async evaluate(context, ports, policy) {
    const { windowMinutes, userFailures, ipFailures, sprayingUsernames } = policy.velocity;
    const since = new Date(context.at.getTime() - windowMinutes * MINUTE_MS);
    const counts = await ports.failures.count({ userId: context.user?.id ?? null, ip: context.ip, since });
    const window = { windowMinutes, since: since.toISOString() };
    const findings: RawFinding[] = [];
    if (context.user && counts.user >= userFailures) {
      findings.push({ code: 'repeated_failures', details: { count: counts.user, threshold: userFailures, ...window } });
    }
    if (counts.ip >= ipFailures) {
      findings.push({ code: 'ip_failures', details: { ip: context.ip, count: counts.ip, threshold: ipFailures, ...window } });
    }
    if (counts.distinctUsernamesFromIp >= sprayingUsernames) {
      findings.push({ code: 'password_spraying', details: { ip: context.ip, distinctUsernames: counts.distinctUsernamesFromIp, threshold: sprayingUsernames, ...window } });
    }
    return findings;
  },
};
