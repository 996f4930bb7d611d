/** Queries for `shifts`: who works where and when, in UTC epoch milliseconds. */
import type { Knex } from 'knex';
import { chunks, isPostgres, type Db } from './db.ts';

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
  externalId?: string;
  /** Shifts that end at or after this instant. */
  from?: number;
  /** Shifts that start at or before this instant. */
  to?: number;
}

/** Every column with its PostgreSQL type, for the array form of a bulk upsert. */
const COLUMN_TYPES: Record<keyof ShiftRow, string> = {
  id: 'text',
  user_id: 'text',
  site_id: 'text',
  starts_at: 'int8',
  ends_at: 'int8',
  kind: 'text',
  external_id: 'text',
  created_at: 'int8',
  updated_at: 'int8',
};

/** Columns an upsert overwrites on an existing shift (never its id or created_at). */
const MERGED = ['user_id', 'site_id', 'starts_at', 'ends_at', 'kind', 'external_id', 'updated_at'] as const;

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
    async update(id: string, changes: Partial<Omit<ShiftRow, 'id' | 'created_at'>>): Promise<number> {
      return table().where({ id }).update(changes);
    },
    async delete(id: string): Promise<number> {
      return table().where({ id }).delete();
    },

    // Bulk reads and writes for a rota import: a statement per thousand rows, not one per row.

    /** User ids by username key, for the keys that name a user. */
    async userIdsByKey(keys: readonly string[]): Promise<Map<string, string>> {
      const found = new Map<string, string>();
      for (const chunk of chunks([...new Set(keys)])) {
        const rows = await db('users').whereIn('username_key', chunk).select<{ id: string; username_key: string }[]>('id', 'username_key');
        for (const row of rows) found.set(row.username_key, row.id);
      }
      return found;
    },
    /** Site timezones by site id, for the ids that name a site. */
    async siteTimezones(ids: readonly string[]): Promise<Map<string, string>> {
      const found = new Map<string, string>();
      for (const chunk of chunks([...new Set(ids)])) {
        const rows = await db('sites').whereIn('id', chunk).select<{ id: string; timezone: string }[]>('id', 'timezone');
        for (const row of rows) found.set(row.id, row.timezone);
      }
      return found;
    },
    async findByExternalIds(externalIds: readonly string[]): Promise<ShiftRow[]> {
      const rows: ShiftRow[] = [];
      for (const chunk of chunks([...new Set(externalIds)])) rows.push(...(await table().whereIn('external_id', chunk)));
      return rows;
    },
    /** Shifts of these users starting within [from, to], oldest row first among equal starts. */
    async findStarting(userIds: readonly string[], from: number, to: number): Promise<ShiftRow[]> {
      const rows: ShiftRow[] = [];
      for (const chunk of chunks([...new Set(userIds)])) {
        rows.push(...(await table().whereIn('user_id', chunk).andWhere('starts_at', '>=', from).andWhere('starts_at', '<=', to).orderBy([{ column: 'starts_at' }, { column: 'created_at' }, { column: 'id' }])));
      }
      return rows;
    },
    /**
     * Inserts the rows, or for ids that exist, overwrites every column but id and created_at. On
     * PostgreSQL each statement takes its columns as arrays (unnest), five thousand rows at a time.
     */
    async upsert(rows: readonly ShiftRow[]): Promise<void> {
      if (!isPostgres(db)) {
        for (const chunk of chunks(rows, 500)) await table().insert(chunk).onConflict('id').merge([...MERGED]);
        return;
      }
      const columns = Object.keys(COLUMN_TYPES) as (keyof ShiftRow)[];
      const sql =
        `insert into shifts (${columns.join(', ')}) select * from unnest(${columns.map((c) => `?::${COLUMN_TYPES[c]}[]`).join(', ')}) ` +
        `on conflict (id) do update set ${MERGED.map((c) => `${c} = excluded.${c}`).join(', ')}`;
      for (const chunk of chunks(rows, 5000)) await db.raw(sql, columns.map((c) => chunk.map((row) => row[c])) as Knex.RawBinding[]);
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
      if (query.externalId !== undefined) q.where('sh.external_id', query.externalId);
      if (query.from !== undefined) q.where('sh.ends_at', '>=', query.from);
      if (query.to !== undefined) q.where('sh.starts_at', '<=', query.to);
      return q;
    },
  };
}

export type ShiftStore = ReturnType<typeof createShiftStore>;
