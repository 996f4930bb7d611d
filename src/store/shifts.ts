/** Queries for `shifts`: who works where and when, in UTC epoch milliseconds. */
import type { Db } from './db.ts';

export interface ShiftRow {
  id: string;
  user_id: string;
  site_id: string;
  starts_at: number;
  ends_at: number;
  kind: 'scheduled' | 'on_call';
  external_id: string | null;
  created_at: number;
  updated_at: number;
}

/** A shift with its person's username and its site's timezone. */
export type ShiftDetailRow = ShiftRow & { username: string; timezone: string };

export interface ShiftQuery {
  id?: string;
  userId?: string;
  siteId?: string;
  /** Shifts that end at or after this instant. */
  from?: number;
  /** Shifts that start at or before this instant. */
  to?: number;
}

export function createShiftStore(db: Db) {
  const table = () => db<ShiftRow>('shifts');
  return {
    async insert(row: ShiftRow): Promise<void> {
      await table().insert(row);
    },
    /** Inserts unless a shift has the same external id; true when inserted. */
    async insertIfAbsent(row: ShiftRow): Promise<boolean> {
      const inserted = await table().insert(row).onConflict('external_id').ignore().returning('id');
      return inserted.length === 1;
    },
    async findByExternalId(externalId: string): Promise<ShiftRow | undefined> {
      return table().where({ external_id: externalId }).first();
    },
    async update(id: string, changes: Partial<Omit<ShiftRow, 'id' | 'created_at'>>): Promise<number> {
      return table().where({ id }).update(changes);
    },
    async delete(id: string): Promise<number> {
      return table().where({ id }).delete();
    },
    /** Shifts matching every given condition, earliest first; `from`/`to` select overlap with [from, to]. */
    async find(query: ShiftQuery): Promise<ShiftDetailRow[]> {
      const q = db('shifts as sh')
        .join('users as u', 'u.id', 'sh.user_id')
        .join('sites as s', 's.id', 'sh.site_id')
        .select<ShiftDetailRow[]>('sh.*', 'u.username as username', 's.timezone as timezone')
        .orderBy([{ column: 'sh.starts_at' }, { column: 'sh.id' }]);
      if (query.id !== undefined) q.where('sh.id', query.id);
      if (query.userId !== undefined) q.where('sh.user_id', query.userId);
      if (query.siteId !== undefined) q.where('sh.site_id', query.siteId);
      if (query.from !== undefined) q.where('sh.ends_at', '>=', query.from);
      if (query.to !== undefined) q.where('sh.starts_at', '<=', query.to);
      return q;
    },
  };
}

export type ShiftStore = ReturnType<typeof createShiftStore>;
