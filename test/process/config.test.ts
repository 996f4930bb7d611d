/**
 * Configuration errors stop the process at once with one line naming the variable, and production
 * mode refuses settings that are only safe on a developer's machine.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWardgate } from '../helpers/process.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wardgate-config-'));
const base = { WARDGATE_DATA_DIR: dataDir, WARDGATE_DEMO: '0', PORT: '0', DATABASE_URL: `sqlite:${path.join(dataDir, 'w.db')}` };
const kek = crypto.randomBytes(32).toString('base64');
const production = {
  ...base,
  NODE_ENV: 'production',
  WARDGATE_ISSUER: 'https://login.hospital.example',
  WARDGATE_TRUST_PROXY: '10.0.0.0/8',
  WARDGATE_KEY_ENCRYPTION_KEY: kek,
};

async function startFails(env: Record<string, string>) {
  const result = await runWardgate(['start'], env);
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('a bad environment value stops the process naming the variable', () => {
  it.each([
    ['PORT', 'seventy', /^wardgate: PORT: /],
    ['WARDGATE_TRUST_PROXY', '10.0.0.0/33', /^wardgate: WARDGATE_TRUST_PROXY: "10.0.0.0\/33" is not/],
    ['DATABASE_URL', 'mysql://db/wardgate', /^wardgate: DATABASE_URL: must be postgres/],
    ['WARDGATE_KEY_ENCRYPTION_KEY', 'too-short', /^wardgate: WARDGATE_KEY_ENCRYPTION_KEY: must be 32 bytes/],
    ['WARDGATE_ISSUER', 'https://login.example/', /^wardgate: WARDGATE_ISSUER: /],
    ['WARDGATE_DEMO', 'maybe', /^wardgate: WARDGATE_DEMO: /],
    ['WARDGATE_LOG_LEVEL', 'loud', /^wardgate: WARDGATE_LOG_LEVEL: /],
  ])('%s=%s', async (name, value, message) => {
    expect(await startFails({ ...base, [name]: value })).toMatch(message);
  });

  it('names the missing half of a bootstrap pair', async () => {
    expect(await startFails({ ...base, WARDGATE_BOOTSTRAP_ADMIN_CLIENT_ID: 'it-automation' })).toBe(
      'wardgate: WARDGATE_BOOTSTRAP_ADMIN_CLIENT_SECRET: must be set together with WARDGATE_BOOTSTRAP_ADMIN_CLIENT_ID',
    );
  });
});

describe('production mode refuses development settings', () => {
  it('refuses an http issuer', async () => {
    expect(await startFails({ ...production, WARDGATE_ISSUER: 'http://login.hospital.example' })).toMatch(/^wardgate: WARDGATE_ISSUER: production requires an https issuer/);
  });

  it('refuses to start without a key-encryption key', async () => {
    const { WARDGATE_KEY_ENCRYPTION_KEY: _omitted, ...env } = production;
    expect(await startFails(env)).toMatch(/^wardgate: WARDGATE_KEY_ENCRYPTION_KEY: production requires/);
  });

  it('refuses demo data', async () => {
    expect(await startFails({ ...production, WARDGATE_DEMO: '1' })).toMatch(/^wardgate: WARDGATE_DEMO: demo data is not allowed in production/);
  });

  it('refuses an in-memory SQLite database', async () => {
    expect(await startFails({ ...production, DATABASE_URL: 'sqlite::memory:' })).toMatch(/^wardgate: DATABASE_URL: production cannot use an in-memory database/);
  });

  it('refuses an https issuer when no TLS-terminating proxy is declared', async () => {
    const { WARDGATE_TRUST_PROXY: _omitted, ...env } = production;
    expect(await startFails(env)).toMatch(/^wardgate: WARDGATE_TRUST_PROXY: /);
  });

  it('starts with production settings and seeds nothing', async () => {
    const { spawnWardgate } = await import('../helpers/process.ts');
    const running = await spawnWardgate(production);
    try {
      const port = JSON.parse(running.lines.find((l) => l.includes('"event":"ready"'))!).port as number;
      const demo = await fetch(`http://127.0.0.1:${port}/demo`, { headers: { accept: 'application/json' } });
      expect(demo.status).toBe(404);
      expect(running.lines.join('\n')).not.toContain('demo hospital');
    } finally {
      expect(await running.stop()).toBe(0);
    }
  });
});
