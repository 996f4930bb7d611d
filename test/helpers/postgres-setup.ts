/**
 * Global setup of the PostgreSQL project: checks that the server answers. With CI=true an
 * unreachable server fails the run; elsewhere the project is skipped with a loud warning.
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAvailable: boolean;
  }
}

export const adminUrl = () => process.env.WARDGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject) {
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
    project.provide('pgAvailable', true);
  } catch (error) {
    if (process.env.CI === 'true') {
      throw new Error(`PostgreSQL is required with CI=true but ${adminUrl()} is unreachable: ${(error as Error).message}`);
    }
    console.warn(`\n*** PostgreSQL at ${adminUrl()} is unreachable (${(error as Error).message}): SKIPPING the PostgreSQL integration suites ***\n`);
    project.provide('pgAvailable', false);
  } finally {
    await client.end().catch(() => {});
  }
}
