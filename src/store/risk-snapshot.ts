/**
 * Everything one risk decision reads, in one statement (PostgreSQL only): the active policy version
 * and the answers to the database ports' questions. Each part is the same query as the per-table
 * store's (shifts.ts, terminals.ts, site-networks.ts, sites.ts, sign-in-history.ts,
 * failed-attempts.ts), with the same filters, joins and order, written as a sub-select; a part not
 * asked for gets NULL parameters and reads nothing.
 *
 * The statement is sent with a name, so node-postgres prepares it once per pooled connection and
 * later calls skip parsing and planning (planning ten sub-selects costs more than running them).
 * It lists its columns, so a migration that adds a column does not invalidate the prepared plan.
 *
 * The reads have a lane of their own (`decisionReadLane`): a small pool beside the main one, so a
 * decision never waits for a connection behind the process's own writes and transactions. Under
 * load those queue by the thousand while each holds its connection across several turns of a busy
 * event loop; a decision's read waited up to 1.5 s for a connection, and its signals' budgets
 * judged that as a slow database (bench/busy.ts, docs/benchmarks.md).
 */
import knexFactory from 'knex';
import type { Db } from './db.ts';
import type { SiteRow } from './sites.ts';
import type { TerminalStatus } from './terminals.ts';

/** What to read; every part is optional. Times are epoch milliseconds. */
export interface SnapshotRequest {
  /** shifts.find({ userId, from, to }): the user's shifts overlapping [from, to]. */
  shifts?: { userId: string; from: number; to: number };
  /** terminals.findByCredentialHash. */
  terminal?: { credentialHash: string };
  /** site-networks.containing: the site whose network contains the address (32 hex digits). */
  site?: { ipHex: string };
  /** sites.countries. */
  countries?: true;
  /** sign-in-history.lastSuccess. */
  lastSuccess?: { userId: string; before: number };
  /** sign-in-history.deviceSeen. */
  deviceSeen?: { userId: string; deviceHash: string; since: number };
  /** failed-attempts.counts (no user: its count is 0 without a query); `ipHex` tells whether the address is on premises. */
  failures?: { userId: string | null; ip: string; ipHex: string | null; since: number };
}

export interface SnapshotShift {
  id: string;
  site_id: string;
  timezone: string;
  starts_at: number;
  ends_at: number;
  kind: 'scheduled' | 'on_call';
}

export interface SnapshotTerminal {
  id: string;
  name: string;
  site_id: string;
  unit: string | null;
  status: TerminalStatus;
}

export type SnapshotSite = Pick<SiteRow, 'id' | 'name' | 'timezone' | 'country' | 'latitude' | 'longitude'>;

export interface SnapshotPastSignIn {
  at: number;
  country: string | null;
  latitude: number | null;
  longitude: number | null;
  accuracy_km: number | null;
}

/** The answers; a part that was not asked for is empty (null, [], false or 0). */
export interface Snapshot {
  /** The active policy version when the statement ran (null: none is active). */
  policyVersion: number | null;
  shifts: SnapshotShift[];
  terminal: SnapshotTerminal | null;
  site: SnapshotSite | null;
  countries: string[];
  lastSuccess: SnapshotPastSignIn | null;
  deviceSeen: boolean;
  failures: { user: number; ip: number; distinctUsernamesFromIp: number };
}

export const SNAPSHOT_STATEMENT = 'wardgate_risk_snapshot';

// $1–$3 shifts, $4 terminal, $5 site, $6 countries, $7–$8 last success, $9–$11 device seen,
// $12–$15 failures ($15 the address as hex, to tell whether it is on premises). Casts type every parameter, so that NULL (a part not asked for) is typed too.
export const SNAPSHOT_SQL = `select
  (select version from policy_active where id = 1) as policy_version,
  coalesce((
    select json_agg(json_build_object('id', sh.id, 'site_id', sh.site_id, 'timezone', s.timezone, 'starts_at', sh.starts_at, 'ends_at', sh.ends_at, 'kind', sh.kind)
                    order by sh.starts_at, sh.id)
    from shifts sh join users u on u.id = sh.user_id join sites s on s.id = sh.site_id
    where sh.user_id = $1::text and sh.ends_at >= $2::bigint and sh.starts_at <= $3::bigint
  ), '[]'::json) as shifts,
  (
    select json_build_object('id', t.id, 'name', t.name, 'site_id', t.site_id, 'unit', t.unit, 'status', t.status)
    from terminals t where t.credential_hash = $4::text limit 1
  ) as terminal,
  (
    select json_build_object('id', s.id, 'name', s.name, 'timezone', s.timezone, 'country', s.country, 'latitude', s.latitude, 'longitude', s.longitude)
    from site_networks n join sites s on s.id = n.site_id
    where n.range_start <= $5::text and n.range_end >= $5::text
    order by n.range_start desc, n.range_end asc, s.id asc limit 1
  ) as site,
  coalesce((select json_agg(distinct country order by country) from sites where $6::boolean), '[]'::json) as countries,
  (
    select json_build_object('at', h.at, 'country', h.country, 'latitude', h.latitude, 'longitude', h.longitude, 'accuracy_km', h.accuracy_km)
    from sign_in_history h where h.user_id = $7::text and h.outcome = 'success' and h.at < $8::bigint
    order by h.at desc limit 1
  ) as last_success,
  exists (
    select 1 from sign_in_history h
    where h.user_id = $9::text and h.device_hash = $10::text and h.outcome = 'success' and h.at >= $11::bigint
  ) as device_seen,
  (
    select count(*) from failed_attempts f
    where f.user_id = $12::text and f.at >= $14::bigint and f.kind = 'password' and not f.pending and f.cleared_at is null
      and (f.zone = 'on_premises' or not exists (select 1 from site_networks n where n.range_start <= $15::text and n.range_end >= $15::text))
  ) as failures_user,
  (select count(*) from failed_attempts f where f.ip = $13::text and f.at >= $14::bigint and f.kind = 'password' and not f.pending) as failures_ip,
  (select count(distinct f.username_key) from failed_attempts f where f.ip = $13::text and f.at >= $14::bigint and f.kind = 'password' and not f.pending) as failures_distinct`;

/** The statement's parameters for a request (NULL for every part not asked for). */
export function snapshotParameters(request: SnapshotRequest): unknown[] {
  const { shifts, terminal, site, lastSuccess, deviceSeen, failures } = request;
  return [
    shifts?.userId ?? null, shifts?.from ?? null, shifts?.to ?? null,
    terminal?.credentialHash ?? null,
    site?.ipHex ?? null,
    request.countries === true,
    lastSuccess?.userId ?? null, lastSuccess?.before ?? null,
    deviceSeen?.userId ?? null, deviceSeen?.deviceHash ?? null, deviceSeen?.since ?? null,
    // As failed-attempts.counts: no user (or an empty id) counts 0.
    failures?.userId || null, failures?.ip ?? null, failures?.since ?? null, failures?.ipHex ?? null,
  ];
}

interface SnapshotResultRow {
  policy_version: number | null;
  shifts: SnapshotShift[];
  terminal: SnapshotTerminal | null;
  site: SnapshotSite | null;
  countries: string[];
  last_success: SnapshotPastSignIn | null;
  device_seen: boolean;
  failures_user: number;
  failures_ip: number;
  failures_distinct: number;
}

/** The node-postgres connection knex pools for a `pg` database. */
interface PgConnection {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: SnapshotResultRow[] }>;
}

/** Connections in the decision reads' own pool: a read is one short statement, so a few serve many decisions at once. */
export const DECISION_READ_CONNECTIONS = 4;

/** A pool of its own for the decision reads, on the database `db` connects to; destroy it with `db`. */
export function decisionReadLane(db: Db): Db {
  return knexFactory({ client: 'pg', connection: db.client.config.connection, pool: { min: 0, max: DECISION_READ_CONNECTIONS } });
}

export function createRiskSnapshotStore(db: Db) {
  return {
    /** One round trip on a pooled connection, as a prepared statement. */
    async read(request: SnapshotRequest): Promise<Snapshot> {
      const connection = (await db.client.acquireConnection()) as PgConnection;
      let row: SnapshotResultRow;
      try {
        const result = await connection.query({ name: SNAPSHOT_STATEMENT, text: SNAPSHOT_SQL, values: snapshotParameters(request) });
        row = result.rows[0]!;
      } finally {
        await db.client.releaseConnection(connection);
      }
      return {
        policyVersion: row.policy_version,
        shifts: row.shifts,
        terminal: row.terminal,
        site: row.site,
        countries: row.countries,
        lastSuccess: row.last_success,
        deviceSeen: row.device_seen,
        // count(*) is int8, read as a number (db.ts).
        failures: { user: Number(row.failures_user), ip: Number(row.failures_ip), distinctUsernamesFromIp: Number(row.failures_distinct) },
      };
    },
  };
}

export type RiskSnapshotStore = ReturnType<typeof createRiskSnapshotStore>;
