import { defineConfig } from 'vitest/config';

// Integration suites run twice: once on embedded SQLite, once on PostgreSQL (WARDGATE_TEST_PG_URL,
// default postgres://postgres@127.0.0.1:5432/postgres). With CI=true an unreachable PostgreSQL fails.
const integration = (db: 'sqlite' | 'postgres', include: string[]) => ({
  extends: true as const,
  test: {
    name: `integration-${db}`,
    include,
    env: { WARDGATE_TEST_DB: db },
    globalSetup: db === 'postgres' ? ['test/helpers/postgres-setup.ts'] : [],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      integration('sqlite', ['test/integration/**/*.test.ts']),
      integration('postgres', ['test/integration/**/*.test.ts', 'test/postgres/**/*.test.ts']),
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], env: { WARDGATE_TEST_DB: 'sqlite' }, testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        extends: true,
        test: { name: 'process', include: ['test/process/**/*.test.ts'], env: { WARDGATE_TEST_DB: 'sqlite' }, testTimeout: 60_000, hookTimeout: 60_000 },
      },
    ],
  },
});
