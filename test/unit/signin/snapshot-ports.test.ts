/**
 * The batching of the risk ports on PostgreSQL, with a fake statement: calls made together become
 * one statement, a part asked twice or a call made later another one, input that cannot match is
 * answered without one, and a failed statement fails every call it carried.
 */
import { describe, expect, it } from 'vitest';
import { ipToHex } from '../../../src/hospital/networks.ts';
import { hashToken } from '../../../src/crypto/tokens.ts';
import { createDecisionSnapshotPorts, createSnapshotPorts } from '../../../src/signin/snapshot-ports.ts';
import type { Snapshot, SnapshotRequest } from '../../../src/store/risk-snapshot.ts';

const CREDENTIAL = 'A'.repeat(43);
const EMPTY: Snapshot = {
  policyVersion: 3,
  shifts: [],
  terminal: null,
  site: null,
  countries: [],
  lastSuccess: null,
  deviceSeen: false,
  failures: { user: 0, ip: 0, distinctUsernamesFromIp: 0 },
};

/** A fake statement that notes each request and answers from `answer`. */
function statements(answer: (request: SnapshotRequest) => Partial<Snapshot> = () => ({})) {
  const sent: SnapshotRequest[] = [];
  const read = async (request: SnapshotRequest): Promise<Snapshot> => {
    sent.push(structuredClone(request));
    return { ...EMPTY, ...answer(request) };
  };
  return { sent, read };
}

describe('risk ports answered by one statement', () => {
  it('sends the calls made together as one statement with every part', async () => {
    const { sent, read } = statements();
    const ports = createSnapshotPorts(read);
    const at = new Date(1_800_000_000_000);
    await Promise.all([
      ports.shifts.overlapping('u1', at, new Date(at.getTime() + 1000)),
      ports.terminals.identify(CREDENTIAL),
      ports.sites.containing('10.20.1.5'),
      ports.sites.countries(),
      ports.history.lastSuccess('u1', at),
      ports.history.deviceSeen('u1', 'fp', at),
      ports.failures.count({ userId: null, ip: '10.20.1.5', since: at }),
    ]);
    expect(sent).toEqual([
      {
        shifts: { userId: 'u1', from: at.getTime(), to: at.getTime() + 1000 },
        terminal: { credentialHash: hashToken(CREDENTIAL) },
        site: { ipHex: ipToHex('10.20.1.5') },
        countries: true,
        lastSuccess: { userId: 'u1', before: at.getTime() },
        deviceSeen: { userId: 'u1', deviceHash: 'fp', since: at.getTime() },
        failures: { userId: null, ip: '10.20.1.5', ipHex: ipToHex('10.20.1.5'), since: at.getTime() },
      },
    ]);
  });

  it('puts a part asked twice, and a call made after the statement left, in statements of their own', async () => {
    const { sent, read } = statements((r) => ({ site: r.site ? { id: r.site.ipHex.slice(-2), name: 'n', timezone: 'UTC', country: 'GB', latitude: null, longitude: null } : null }));
    const ports = createSnapshotPorts(read);
    const [a, b] = await Promise.all([ports.sites.containing('10.0.0.1'), ports.sites.containing('10.0.0.2')]);
    expect([a?.id, b?.id]).toEqual(['01', '02']);
    expect(sent).toHaveLength(2);
    expect((await ports.sites.containing('10.0.0.3'))?.id).toBe('03');
    expect(sent).toHaveLength(3);
  });

  it('answers without a statement what cannot match: a malformed credential, an address that is not an IP', async () => {
    const { sent, read } = statements();
    const ports = createSnapshotPorts(read);
    expect(await ports.terminals.identify('too-short')).toBeNull();
    expect(await ports.terminals.identify(`${'A'.repeat(42)}+`)).toBeNull();
    expect(await ports.sites.containing('not-an-ip')).toBeNull();
    expect(sent).toEqual([]);
  });

  it('maps the rows as the per-port adapters do: instants as Dates, a pending terminal as none', async () => {
    const row: Partial<Snapshot> = {
      shifts: [{ id: 's1', site_id: 'north', timezone: 'Europe/London', starts_at: 1000, ends_at: 2000, kind: 'on_call' }],
      terminal: { id: 't1', name: 'PC', site_id: 'north', unit: null, status: 'revoked' },
      lastSuccess: { at: 5000, country: 'GB', latitude: 51.5, longitude: -0.1, accuracy_km: 20 },
      deviceSeen: true,
      countries: ['GB', 'IE'],
      failures: { user: 1, ip: 2, distinctUsernamesFromIp: 3 },
    };
    const ports = createSnapshotPorts(statements(() => row).read);
    const at = new Date(0);
    expect(await ports.shifts.overlapping('u1', at, at)).toEqual([{ id: 's1', siteId: 'north', timezone: 'Europe/London', start: new Date(1000), end: new Date(2000), kind: 'on_call' }]);
    expect(await ports.terminals.identify(CREDENTIAL)).toEqual({ id: 't1', name: 'PC', siteId: 'north', unit: null, status: 'revoked' });
    expect(await ports.history.lastSuccess('u1', at)).toEqual({ at: new Date(5000), country: 'GB', latitude: 51.5, longitude: -0.1, accuracyKm: 20 });
    expect(await ports.history.deviceSeen('u1', 'fp', at)).toBe(true);
    expect(await ports.sites.countries()).toEqual(['GB', 'IE']);
    expect(await ports.failures.count({ userId: 'u1', ip: '::1', since: at })).toEqual({ user: 1, ip: 2, distinctUsernamesFromIp: 3 });
    const pending = createSnapshotPorts(statements(() => ({ terminal: { id: 't2', name: 'PC', site_id: 'north', unit: null, status: 'pending' } })).read);
    expect(await pending.terminals.identify(CREDENTIAL)).toBeNull();
  });

  it('fails every call a failed statement carried', async () => {
    const ports = createSnapshotPorts(async () => {
      throw new Error('connection terminated');
    });
    const results = await Promise.allSettled([ports.sites.countries(), ports.history.deviceSeen('u1', 'fp', new Date(0))]);
    expect(results.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual(['connection terminated', 'connection terminated']);
  });

  it('gives each decision its own statements, noting the policy version each one saw', async () => {
    let version = 3;
    const { sent, read } = statements(() => ({ policyVersion: version }));
    const first = createDecisionSnapshotPorts(read);
    const second = createDecisionSnapshotPorts(read);
    await Promise.all([first.ports.sites.countries(), second.ports.sites.countries()]);
    expect(sent).toHaveLength(2);
    version = 4;
    await first.ports.sites.countries();
    expect(first.policyVersions()).toEqual([3, 4]);
    expect(second.policyVersions()).toEqual([3]);
  });
});
