/**
 * Migrations live in migrations/ as TypeScript modules (timestamped, never edited once landed) and
 * run at start and with `wardgate migrate`. Processes starting together on one PostgreSQL take an
 * advisory lock first, so exactly one migrates and bootstraps while the others wait.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { isPostgres, type Db } from './db.ts';

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const source: Knex.MigrationSource<string> = {
  async getMigrations() {
    const files = await fs.readdir(migrationsDir);
    return files.filter((f) => /^\d{14}_[a-z0-9_]+\.ts$/.test(f)).sort();
  },
  getMigrationName(file) {
    return file.replace(/\.ts$/, '');
  },
  async getMigration(file) {
    return (await import(pathToFileURL(path.join(migrationsDir, file)).href)) as MigrationModule;
  },
};

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource: source })) as [number, string[]];
  return applied;
}

/** A fixed advisory-lock key: "wardgate" read as an integer. */
const STARTUP_LOCK = 0x77617264;

export async function withStartupLock<T>(db: Db, work: () => Promise<T>): Promise<T> {
  if (!isPostgres(db)) return work();
  const conn = await db.client.acquireConnection();
  try {
    await db.raw('select pg_advisory_lock(?)', [STARTUP_LOCK]).connection(conn);
    try {
      return await work();
    } finally {
      await db.raw('select pg_advisory_unlock(?)', [STARTUP_LOCK]).connection(conn);
    }
  } finally {
    await db.client.releaseConnection(conn);
  }
}
