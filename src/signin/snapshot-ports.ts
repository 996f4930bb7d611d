/**
 * The risk engine's database ports answered together (PostgreSQL): calls made in one run of
 * synchronous code are queued and sent at its end (queueMicrotask) as one statement,
 * store/risk-snapshot.ts. The engine starts every signal at once and each signal calls its ports
 * before it first waits, so one decision's reads are one round trip; a call that comes later, or
 * asks a part the queued statement already asks, goes in the next statement: it costs a round
 * trip, never a wrong answer.
 *
 * Each port answers what its per-table counterpart answers (hospital/shifts.ts `overlapping`,
 * hospital/terminals.ts `identify`, hospital/sites.ts `containing` and `countries`, and the
 * history and failures ports of main.ts), including the answers given without a query: a
 * credential that cannot be one, an address that is not an IP. test/postgres/risk-snapshot.test.ts
 * compares the two on the same data.
 */
import { ipToHex } from '../hospital/networks.ts';
import { SECRET_SHAPE } from '../hospital/terminals.ts';
import { hashToken } from '../crypto/tokens.ts';
import type { RiskPorts } from '../risk/ports.ts';
import type { Snapshot, SnapshotRequest } from '../store/risk-snapshot.ts';

export type DatabasePorts = Pick<RiskPorts, 'shifts' | 'terminals' | 'sites' | 'history' | 'failures'>;

export function createSnapshotPorts(read: (request: SnapshotRequest) => Promise<Snapshot>): DatabasePorts {
  let queued: { request: SnapshotRequest; answer: Promise<Snapshot> } | null = null;

  /** Adds a part to the queued statement (to a new one when the queued one already asks for it). */
  function ask<K extends keyof SnapshotRequest>(part: K, value: NonNullable<SnapshotRequest[K]>): Promise<Snapshot> {
    if (!queued || queued.request[part] !== undefined) {
      const request: SnapshotRequest = {};
      const { promise, resolve, reject } = Promise.withResolvers<Snapshot>();
      const batch = { request, answer: promise };
      queued = batch;
      queueMicrotask(() => {
        if (queued === batch) queued = null;
        read(request).then(resolve, reject);
      });
    }
    queued.request[part] = value;
    return queued.answer;
  }

  return {
    shifts: {
      async overlapping(userId, from, to) {
        const { shifts } = await ask('shifts', { userId, from: from.getTime(), to: to.getTime() });
        return shifts.map((r) => ({ id: r.id, siteId: r.site_id, timezone: r.timezone, start: new Date(r.starts_at), end: new Date(r.ends_at), kind: r.kind }));
      },
    },
    terminals: {
      async identify(credential) {
        if (!SECRET_SHAPE.test(credential)) return null;
        const { terminal } = await ask('terminal', { credentialHash: hashToken(credential) });
        if (!terminal || terminal.status === 'pending') return null;
        return { id: terminal.id, name: terminal.name, siteId: terminal.site_id, unit: terminal.unit, status: terminal.status };
      },
    },
    sites: {
      async containing(ip) {
        let ipHex: string;
        try {
          ipHex = ipToHex(ip);
        } catch {
          return null;
        }
        const { site } = await ask('site', { ipHex });
        return site ? { id: site.id, name: site.name, timezone: site.timezone, country: site.country, latitude: site.latitude, longitude: site.longitude } : null;
      },
      async countries() {
        return (await ask('countries', true)).countries;
      },
    },
    history: {
      async lastSuccess(userId, before) {
        const { lastSuccess: row } = await ask('lastSuccess', { userId, before: before.getTime() });
        return row ? { at: new Date(row.at), country: row.country, latitude: row.latitude, longitude: row.longitude, accuracyKm: row.accuracy_km } : null;
      },
      async deviceSeen(userId, fingerprint, since) {
        return (await ask('deviceSeen', { userId, deviceHash: fingerprint, since: since.getTime() })).deviceSeen;
      },
    },
    failures: {
      async count({ userId, ip, since }) {
        let ipHex: string | null;
        try {
          ipHex = ipToHex(ip);
        } catch {
          ipHex = null; // not an address: on no site's network, as sites.containing says
        }
        return (await ask('failures', { userId, ip, ipHex, since: since.getTime() })).failures;
      },
    },
  };
}

/** Ports for one decision, and the active policy version each statement they sent saw (signin/assessor.ts). */
export function createDecisionSnapshotPorts(read: (request: SnapshotRequest) => Promise<Snapshot>): { ports: DatabasePorts; policyVersions(): readonly (number | null)[] } {
  const versions: (number | null)[] = [];
  const ports = createSnapshotPorts(async (request) => {
    const snapshot = await read(request);
    versions.push(snapshot.policyVersion);
    return snapshot;
  });
  return { ports, policyVersions: () => versions };
}
