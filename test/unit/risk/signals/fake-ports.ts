/**
 * In-memory ports for signal tests: every method is a vi.fn over plain data, so a test can give
 * the data it needs and assert what was (or was not) asked. No database, and the clock is the
 * context's `at`.
 */
import { BlockList, isIP } from 'node:net';
import { vi } from 'vitest';
import { DEFAULT_POLICY, policySchema, type Policy, type PolicyInput } from '../../../../src/risk/policy.ts';
import type { DeviceInfo, FailureCounts, GeoLocation, PastSignIn, RiskPorts, ShiftInfo, SiteInfo, TerminalInfo } from '../../../../src/risk/ports.ts';
import type { RiskContext } from '../../../../src/risk/types.ts';

export const AT = new Date('2026-11-29T09:00:00Z');
export const USER = { id: 'u-1', username: 'm.grey' };

export interface FakeData {
  shifts?: ShiftInfo[];
  terminals?: Record<string, TerminalInfo>;
  /** Networks in CIDR notation, IPv4 or IPv6, each belonging to a site. */
  siteNetworks?: { cidr: string; site: SiteInfo }[];
  siteCountries?: string[];
  geo?: Record<string, GeoLocation>;
  device?: Partial<DeviceInfo>;
  lastSuccess?: PastSignIn | null;
  /** Fingerprints the user signed in from, and when. */
  seen?: { fingerprint: string; at: Date }[];
  failures?: Partial<FailureCounts>;
}

export const DEVICE: DeviceInfo = {
  browser: { name: 'Chrome', major: 142 },
  os: { name: 'Windows', version: '11' },
  automation: null,
  fingerprint: 'f'.repeat(64),
  summary: 'Chrome 142 on Windows 11',
};

function containing(networks: FakeData['siteNetworks'], ip: string): SiteInfo | null {
  for (const { cidr, site } of networks ?? []) {
    const [network, prefix] = cidr.split('/') as [string, string];
    const list = new BlockList();
    const family = isIP(network) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(network, Number(prefix), family);
    if (isIP(ip) !== 0 && list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4')) return site;
  }
  return null;
}

export function fakePorts(data: FakeData = {}) {
  return {
    shifts: { overlapping: vi.fn(async (_userId: string, from: Date, to: Date) => (data.shifts ?? []).filter((s) => s.start <= to && s.end >= from)) },
    terminals: { identify: vi.fn(async (credential: string) => data.terminals?.[credential] ?? null) },
    sites: {
      containing: vi.fn(async (ip: string) => containing(data.siteNetworks, ip)),
      countries: vi.fn(async () => data.siteCountries ?? []),
    },
    geo: { lookup: vi.fn((ip: string) => data.geo?.[ip] ?? null) },
    devices: { describe: vi.fn((_userAgent: string, _hints: Record<string, string>): DeviceInfo => ({ ...DEVICE, ...data.device })) },
    history: {
      lastSuccess: vi.fn(async (_userId: string, _before: Date) => data.lastSuccess ?? null),
      deviceSeen: vi.fn(async (_userId: string, fingerprint: string, since: Date) => (data.seen ?? []).some((s) => s.fingerprint === fingerprint && s.at >= since)),
    },
    failures: { count: vi.fn(async (_query: { userId: string | null; ip: string; since: Date }) => ({ user: 0, ip: 0, distinctUsernamesFromIp: 0, ...data.failures })) },
  } satisfies RiskPorts;
}

/** A sign-in by USER at AT from a public address; change what the test is about. */
export function contextWith(changes: Partial<RiskContext> = {}): RiskContext {
  return {
    user: USER,
    ip: '81.2.69.142',
    userAgent: 'Mozilla/5.0',
    clientHints: {},
    client: { id: 'ehr', sensitivity: 'standard' },
    requestedAcr: [],
    at: AT,
    ...changes,
  };
}

export function policyWith(changes: Partial<PolicyInput> = {}): Policy {
  return policySchema.parse({ ...DEFAULT_POLICY, ...changes });
}

/** A port method that fails the way a database outage would. */
export const outage = () => Promise.reject(new Error('database unreachable'));
