/**
 * Queries for `failed_attempts`: one row per refused password or security key, so that counts
 * survive a restart and every process sees the same numbers. An attempt is reserved (a `pending`
 * row) before its password or key is checked, atomically with the count it is judged against, and
 * then confirmed as a failure or released. Old rows are pruned.
 */
import { isPostgres, type Db } from './db.ts';

export type Zone = 'on_premises' | 'remote';
/** What was refused: a password, or a security-key assertion (their own counter). */
export type AttemptKind = 'password' | 'webauthn';

export interface FailedAttemptRow {
  id?: number;
  at: number;
  ip: string;
  username_key: string;
  user_id: string | null;
  zone: Zone;
  kind: AttemptKind;
  pending: boolean;
  cleared_at: number | null;
}

/** Attempts counted for one bucket and the latest of them (epoch ms), pending ones included. */
export interface BucketState {
  count: number;
  last: number | null;
}

/**
 * How long a reservation holds its place without being settled: far longer than any password or
 * key check takes, even on a loaded machine; one older than this was orphaned by a process that died.
 */
export const PENDING_TTL_MS = 30_000;

export interface Bucket {
  kind: AttemptKind;
  usernameKey: string;
  zone: Zone;
  ip: string;
  since: number;
}

const firstCount = (rows: unknown[]): number => {
  const row = rows[0] as Record<string, unknown> | undefined;
  return Number(row ? Object.values(row)[0] : 0);
};

// Transaction-scoped advisory locks on PostgreSQL, one per address and one per name: every
// process judging an attempt on the same address or name waits for the one before to reserve.
// Always the address first, then the name, so two reservations never wait for each other.
const LOCK_SQL = "select pg_advisory_xact_lock(hashtextextended('wardgate:throttle:' || ?, 0))";

export function createFailedAttemptStore(db: Db) {
  const table = (on: Db = db) => on<FailedAttemptRow>('failed_attempts');

  /**
   * Attempts of a kind against a name in a zone (not cleared by a success), and from an address:
   * failures, and reservations still in flight. A reservation older than PENDING_TTL_MS was left by
   * a process that died during the check (kill -9, a crash): it no longer holds anyone back.
   */
  async function bucketState(on: Db, bucket: Bucket & { at: number }): Promise<{ username: BucketState; ip: BucketState }> {
    const counted = (query: ReturnType<typeof table>) =>
      query.andWhere('at', '>=', bucket.since).andWhere((live) => live.where('pending', false).orWhere('at', '>=', bucket.at - PENDING_TTL_MS));
    const [byName, byIp] = await Promise.all([
      counted(table(on).where({ kind: bucket.kind, username_key: bucket.usernameKey, zone: bucket.zone }).whereNull('cleared_at')).select(on.raw('count(*) as n'), on.raw('max(at) as last')),
      counted(table(on).where({ kind: bucket.kind, ip: bucket.ip })).select(on.raw('count(*) as n'), on.raw('max(at) as last')),
    ]);
    const read = (rows: { n: unknown; last: unknown }[]) => ({ count: Number(rows[0]?.n ?? 0), last: rows[0]?.last == null ? null : Number(rows[0].last) });
    return { username: read(byName as never), ip: read(byIp as never) };
  }

  return {
    /** The bucket's counts at `at`, without reserving anything (the key options request). */
    recent(bucket: Bucket & { at: number }) {
      return bucketState(db, bucket);
    },

    /**
     * Judges and reserves in one step: `waitMs` reads the bucket (pending reservations included)
     * and says how long the attempt must wait; when it says 0, a pending row is inserted before
     * anyone else can read the bucket. SQLite has one connection per process, so its transaction
     * alone serialises; PostgreSQL also takes the address's and the name's advisory locks.
     */
    async reserve(bucket: Bucket & { userId: string | null; at: number }, waitMs: (state: { username: BucketState; ip: BucketState }) => number): Promise<{ id: number } | { waitMs: number }> {
      return db.transaction(async (trx) => {
        if (isPostgres(db)) {
          await trx.raw(LOCK_SQL, [`ip:${bucket.kind}:${bucket.ip}`]);
          await trx.raw(LOCK_SQL, [`name:${bucket.kind}:${bucket.zone}:${bucket.usernameKey}`]);
        }
        const wait = waitMs(await bucketState(trx, bucket));
        if (wait > 0) return { waitMs: wait };
        const [row] = await table(trx)
          .insert({ at: bucket.at, ip: bucket.ip, username_key: bucket.usernameKey, user_id: bucket.userId, zone: bucket.zone, kind: bucket.kind, pending: true, cleared_at: null })
          .returning('id');
        return { id: Number(typeof row === 'object' ? (row as { id: number }).id : row) };
      });
    },

    /** The reserved attempt failed: it stays, as a failure (of this user when the name is one). */
    async confirm(id: number, userId: string | null): Promise<void> {
      await table().where({ id }).update({ pending: false, user_id: userId });
    },

    /** The reserved attempt succeeded or was never judged: it leaves no trace in the counts. */
    async release(id: number): Promise<void> {
      await table().where({ id }).delete();
    },

    /**
     * A successful sign-in resets the person's count: of password failures in `zone`, or of every
     * failure in every zone (`everywhere`, after a verified security key). The rows stay, and go
     * on counting against the addresses they came from.
     */
    async clear(query: { userId: string; usernameKey: string; zone: Zone | 'everywhere'; at: number }): Promise<number> {
      const rows = table()
        .whereNull('cleared_at')
        .andWhere('pending', false)
        .andWhere((who) => who.where({ user_id: query.userId }).orWhere({ username_key: query.usernameKey }));
      if (query.zone !== 'everywhere') rows.andWhere({ zone: query.zone, kind: 'password' });
      return rows.update({ cleared_at: query.at });
    },

    /**
     * For the velocity signal: confirmed password failures in the window. `user` counts the
     * person's failures that count against a sign-in from `ip` (only on-premises ones when
     * `onPremises`, else all; none cleared by a success); `ip` and `distinctUsernamesFromIp` count
     * what came from that address (cleared or not: a success resets a person, not an address).
     */
    async counts(query: { userId: string | null; ip: string; since: number; onPremises: boolean }) {
      const failures = () => table().where({ kind: 'password', pending: false }).andWhere('at', '>=', query.since);
      const user = () => {
        const rows = failures().where({ user_id: query.userId }).whereNull('cleared_at');
        return query.onPremises ? rows.andWhere({ zone: 'on_premises' }) : rows;
      };
      const [byUser, byIp, distinct] = await Promise.all([
        query.userId ? user().count({ n: '*' }) : Promise.resolve([{ n: 0 }]),
        failures().where({ ip: query.ip }).count({ n: '*' }),
        failures().where({ ip: query.ip }).countDistinct({ n: 'username_key' }),
      ]);
      return { user: firstCount(byUser), ip: firstCount(byIp), distinctUsernamesFromIp: firstCount(distinct) };
    },

    async deleteBefore(at: number): Promise<number> {
      return table().where('at', '<', at).delete();
    },
  };
}

export type FailedAttemptStore = ReturnType<typeof createFailedAttemptStore>;
