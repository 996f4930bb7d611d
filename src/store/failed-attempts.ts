/**
 * Queries for `failed_attempts`: one row per wrong password, so that counts survive a restart and
 * every process sees the same numbers. Old rows are pruned.
 */
import type { Db } from './db.ts';

export type Zone = 'on_premises' | 'remote';

export interface FailedAttemptRow {
  at: number;
  ip: string;
  username_key: string;
  user_id: string | null;
  zone: Zone;
}

function firstCount(rows: unknown[]): number {
  const row = rows[0] as Record<string, unknown> | undefined;
  return Number(row ? Object.values(row)[0] : 0);
}

export function createFailedAttemptStore(db: Db) {
  const table = () => db<FailedAttemptRow>('failed_attempts');
  return {
    async insert(row: FailedAttemptRow): Promise<void> {
      await table().insert(row);
    },
    /** Failures for the user and from the IP since `since`, and how many usernames that IP tried. */
    async counts(query: { userId: string | null; ip: string; since: number }) {
      const [user, ip, distinct] = await Promise.all([
        query.userId ? table().where({ user_id: query.userId }).andWhere('at', '>=', query.since).count({ n: '*' }) : Promise.resolve([{ n: 0 }]),
        table().where({ ip: query.ip }).andWhere('at', '>=', query.since).count({ n: '*' }),
        table().where({ ip: query.ip }).andWhere('at', '>=', query.since).countDistinct({ n: 'username_key' }),
      ]);
      return { user: firstCount(user), ip: firstCount(ip), distinctUsernamesFromIp: firstCount(distinct) };
    },
    /** Failures and the latest one, for a username from one zone, and for an IP. */
    async recent(query: { usernameKey: string; zone: Zone; ip: string; since: number }) {
      const [byName, byIp] = await Promise.all([
        table().where({ username_key: query.usernameKey, zone: query.zone }).andWhere('at', '>=', query.since).select(db.raw('count(*) as n'), db.raw('max(at) as last')),
        table().where({ ip: query.ip }).andWhere('at', '>=', query.since).select(db.raw('count(*) as n'), db.raw('max(at) as last')),
      ]);
      const read = (rows: { n: unknown; last: unknown }[]) => ({ count: Number(rows[0]?.n ?? 0), last: rows[0]?.last == null ? null : Number(rows[0].last) });
      return { username: read(byName as never), ip: read(byIp as never) };
    },
    async deleteBefore(at: number): Promise<number> {
      return table().where('at', '<', at).delete();
    },
  };
}

export type FailedAttemptStore = ReturnType<typeof createFailedAttemptStore>;
