/**
 * A fresh database per test file: a temporary SQLite file, or a new PostgreSQL database created on
 * the test server and dropped afterwards. Which one comes from the project (WARDGATE_TEST_DB).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';

export type TestDbKind = 'sqlite' | 'postgres';

export function testDbKind(): TestDbKind {
  return process.env.WARDGATE_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
}

/** True when this project's database cannot be reached and the project is allowed to skip. */
export function databaseUnavailable(): boolean {
  return testDbKind() === 'postgres' && inject('pgAvailable') === false;
}

export interface TestDatabase {
  kind: TestDbKind;
  url: string;
  dataDir: string;
  /** The key-encryption key this database's keys are sealed with (kept across restarts). */
  kek: string;
  drop(): Promise<void>;
}

const adminUrl = () => process.env.WARDGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function createTestDatabase(kind: TestDbKind = testDbKind()): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wardgate-test-'));
  const kek = crypto.randomBytes(32).toString('base64');
  if (kind === 'sqlite') {
    return {
      kind,
      kek,
      url: `sqlite:${path.join(dataDir, 'wardgate.db')}`,
      dataDir,
      async drop() {
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `wardgate_t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    kind,
    kek,
    url: url.href,
    dataDir,
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
