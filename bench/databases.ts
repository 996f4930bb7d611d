/**
 * The databases a bench runs on: a fresh SQLite file in a temporary folder, or a fresh database
 * (`wardgate_bench_<random>`) created on the PostgreSQL server WARDGATE_BENCH_PG_URL (default the
 * local server) and dropped at the end; made as the tests make theirs (test/helpers/database.ts).
 * Shared by the benches that run on both (bench/admin.ts, bench/risk.ts).
 */
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.ts';
import { isPostgres, type Db } from '../src/store/db.ts';

export const PG_ADMIN_URL = process.env.WARDGATE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Runs `bench` on a fresh database of each kind `which` names (both, sqlite or postgres), one after
 * the other, and drops each afterwards, also when the run is interrupted. PostgreSQL is skipped,
 * with the reason printed, when its server does not answer.
 */
export async function eachDatabase(which: string, bench: (target: TestDatabase) => Promise<void>): Promise<void> {
  for (const kind of ['sqlite', 'postgres'] as const) {
    if (which !== 'both' && which !== kind) continue;
    let target: TestDatabase;
    try {
      target = await createTestDatabase(kind, { server: PG_ADMIN_URL, prefix: 'wardgate_bench' });
    } catch (error) {
      console.log(`\nPostgreSQL: skipped (${PG_ADMIN_URL}: ${(error as Error).message})`);
      continue;
    }
    const interrupted = () => void target.drop().finally(() => process.exit(130));
    process.once('SIGINT', interrupted);
    try {
      const t0 = performance.now();
      await bench(target);
      console.log(`(${kind} done in ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    } finally {
      process.off('SIGINT', interrupted);
      await target.drop();
    }
  }
}

export async function serverVersion(db: Db): Promise<string> {
  if (isPostgres(db)) return `PostgreSQL ${((await db.raw('show server_version')) as { rows: { server_version: string }[] }).rows[0]!.server_version.split(' ')[0]}`;
  const [row] = (await db.raw('select sqlite_version() as v')) as { v: string }[];
  return `SQLite ${row!.v} (better-sqlite3, one connection, WAL)`;
}
