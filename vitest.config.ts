import { defineConfig } from 'vitest/config';

// Integration suites run twice: once on embedded SQLite, once on PostgreSQL (WARDGATE_TEST_PG_URL,
// default postgres://postgres@127.0.0.1:5432/postgres). With CI=true an unreachable PostgreSQL fails.
const onDatabase = (name: string, include: string[], db: 'sqlite' | 'postgres' = 'sqlite') => ({
  extends: true as const,
  test: {
    name,
    include,
    env: { WARDGATE_TEST_DB: db },
    globalSetup: db === 'postgres' ? ['test/helpers/postgres-setup.ts'] : [],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for a page or a process to reach a state; on a loaded 2-core CI machine
    // that can take longer than the 1 s default without anything being wrong.
    expect: { poll: { timeout: 10_000 } },
  },
});

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      onDatabase('integration-sqlite', ['test/integration/**/*.test.ts']),
      onDatabase('integration-postgres', ['test/integration/**/*.test.ts', 'test/postgres/**/*.test.ts'], 'postgres'),
      onDatabase('e2e', ['test/e2e/**/*.test.ts']),
      onDatabase('process', ['test/process/**/*.test.ts']),
    ],
  },
});
