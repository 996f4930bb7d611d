/**
 * The databases a bench runs on: a fresh SQLite file in a temporary folder, or a fresh database
 * (`wardgate_bench_<random>`) created on the PostgreSQL server WARDGATE_BENCH_PG_URL (default the
 * local server) and dropped by `drop()`. Shared by the benches that run on both (bench/admin.ts,
 * bench/risk.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { isPostgres, type Db } from '../src/store/db.ts';

export const PG_ADMIN_URL = process.env.WARDGATE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  kind: 'sqlite' | 'postgres';
  url: string;
  dataDir: string;
  drop(): Promise<void>;
}

export async function sqliteDatabase(): Promise<BenchDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wardgate-bench-'));
  return { kind: 'sqlite', url: `sqlite:${path.join(dataDir, 'bench.db')}`, dataDir, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
}

/** One statement on the PostgreSQL server's maintenance database. */
async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A new database on the PostgreSQL server, or null (with the reason printed) when it does not answer. */
export async function postgresDatabase(): Promise<BenchDatabase | null> {
  const name = `wardgate_bench_${crypto.randomBytes(6).toString('hex')}`;
  try {
    await onServer(`create database ${name}`);
  } catch (error) {
    console.log(`\nPostgreSQL: skipped (${PG_ADMIN_URL}: ${(error as Error).message})`);
    return null;
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wardgate-bench-'));
  return {
    kind: 'postgres',
    url: url.href,
    dataDir,
    async drop() {
      await onServer(`drop database if exists ${name} with (force)`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function serverVersion(db: Db): Promise<string> {
  if (isPostgres(db)) return `PostgreSQL ${((await db.raw('show server_version')) as { rows: { server_version: string }[] }).rows[0]!.server_version.split(' ')[0]}`;
  const [row] = (await db.raw('select sqlite_version() as v')) as { v: string }[];
  return `SQLite ${row!.v} (better-sqlite3, one connection, WAL)`;
}
