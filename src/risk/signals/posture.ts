/**
 * Device posture, from the user agent and client hints as the devices port reads them: an
 * automation client (headless browser, command-line client, script), a browser below the policy's
 * minimum major version, an operating system below the policy's supported version, and, with the
 * user known, a device (by fingerprint) they have not signed in from within the policy's window.
 * A version the port cannot tell (a frozen user agent without client hints) is never flagged.
 */
import type { RawFinding } from '../types.ts';
import { HOUR_MS, type Signal } from './signal.ts';

/**
 * ua-parser-js names old Windows releases by name; on one numeric scale with 7, 8, 8.1, 10 and 11
 * they sit below 7 (NT version numbers, which is what the names stand for).
 */
const WINDOWS_RELEASES = new Map([
  ['95', '4.0'],
  ['98', '4.1'],
  ['ME', '4.90'],
  ['2000', '5.0'],
  ['XP', '5.1'],
  ['Vista', '6.0'],
  ['RT', '8'],
]);

/** A dotted version as numbers, or null when it is not one ("Vista" is, for Windows). */
export function parseVersion(osName: string, version: string): number[] | null {
  let v = version.trim();
  if (osName === 'Windows') v = WINDOWS_RELEASES.get(v) ?? v.replace(/^NT\s*/i, '');
  if (!/^\d+(\.\d+)*$/.test(v)) return null;
  return v.split('.').map(Number);
}

/** Whether `version` is below `below`, comparing numbers part by part (a missing part is 0). */
export function versionBelow(osName: string, version: string, below: string): boolean {
  const a = parseVersion(osName, version);
  const b = parseVersion(osName, below);
  if (!a || !b) return false;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff < 0;
  }
  return false;
}

export const postureSignal: Signal = {
  id: 'posture',
  needsUser: false,
  async evaluate(context, ports, policy) {
    const device = ports.devices.describe(context.userAgent, context.clientHints);
    const { browser, os } = device;
    const findings: RawFinding[] = [];

    if (device.automation !== null) {
      findings.push({ code: 'automation_client', details: { reason: device.automation, summary: device.summary } });
    }

    const minimums = policy.lists.minimumBrowserVersions;
    if (browser.name !== null && browser.major !== null && Object.hasOwn(minimums, browser.name)) {
      const minimum = minimums[browser.name]!;
      if (browser.major < minimum) findings.push({ code: 'outdated_browser', details: { browser: browser.name, major: browser.major, minimum } });
    }

    if (os.name !== null && os.version !== null) {
      const osName = os.name;
      const osVersion = os.version;
      const rule = policy.lists.unsupportedOs.find((r) => r.name === osName && versionBelow(osName, osVersion, r.below));
      if (rule) findings.push({ code: 'unsupported_os', details: { os: osName, version: osVersion, below: rule.below } });
    }

    if (context.user) {
      const since = new Date(context.at.getTime() - policy.device.newDeviceDays * 24 * HOUR_MS);
      if (!(await ports.history.deviceSeen(context.user.id, device.fingerprint, since))) {
        findings.push({ code: 'new_device', details: { summary: device.summary, fingerprint: device.fingerprint, newDeviceDays: policy.device.newDeviceDays } });
      }
    }
    return findings;
  },
};
