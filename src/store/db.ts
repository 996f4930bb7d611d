/**
 * The knex instance: embedded SQLite (better-sqlite3) by default, PostgreSQL when DATABASE_URL says
 * so. Times are stored as UTC epoch milliseconds (bigint) so both backends compare them alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Database } from '../config.ts';
import { AppError } from '../errors.ts';
import { scoped } from './unit-of-work.ts';

export type Db = Knex;

// int8 (bigint) columns hold epoch milliseconds, far below 2^53: read them as numbers.
pg.types.setTypeParser(20, (value: string) => Number.parseInt(value, 10));

/** The database, through `scoped` so that `inTransaction` (store/unit-of-work.ts) can group writes. */
export function createDb(database: Database): Db {
  return scoped(openDb(database));
}

function openDb(database: Database): Db {
  if (database.client === 'pg') {
    return knexFactory({
      client: 'pg',
      connection: database.url,
      pool: { min: 0, max: 10 },
      acquireConnectionTimeout: 10_000,
    });
  }
  if (database.filename !== ':memory:') fs.mkdirSync(path.dirname(database.filename), { recursive: true });
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename: database.filename },
    useNullAsDefault: true,
    // One connection: better-sqlite3 is synchronous, and one writer avoids SQLITE_BUSY inside a process.
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma('busy_timeout = 5000');
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        } catch (error) {
          done(error as Error, conn);
        }
      },
    },
  });
}

/** Rows or ids per statement in bulk reads and writes: far below SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 1000;

/** `items` in slices of `size`, for a statement per slice rather than one per item. */
export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Text matched literally by `like ? escape '\\'`: the backslash, % and _ escaped. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** How many rows the query matches. */
export async function countRows(query: Knex.QueryBuilder): Promise<number> {
  const [row] = (await query.count({ n: '*' })) as { n?: number | string }[];
  return Number(row?.n ?? 0);
}

export function isPostgres(db: Db): boolean {
  return db.client.config.client === 'pg';
}

/** Throws AppError('database_unreachable') unless a trivial query answers. */
export async function checkDatabase(db: Db): Promise<void> {
  try {
    await db.raw('select 1');
  } catch (cause) {
    throw new AppError('database_unreachable', `database unreachable: ${(cause as Error).message}`, { cause });
  }
}
