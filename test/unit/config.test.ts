import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

const kek = Buffer.alloc(32, 7).toString('base64');

describe('loadConfig', () => {
  it('starts a newcomer in development on embedded SQLite at localhost:3000 with the demo on', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.issuer).toBe('http://localhost:3000');
    expect(config.database).toEqual({ client: 'sqlite', filename: expect.stringMatching(/data\/wardgate\.db$/) });
    expect(config.demo).toBe(true);
    expect(config.trustProxy).toEqual([]);
    expect(config.keyEncryptionKey).toBeUndefined();
  });

  it('reads PostgreSQL, proxies and a hex or base64 key-encryption key', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://wardgate@db/wardgate',
      WARDGATE_TRUST_PROXY: 'loopback, 10.0.0.0/8,2001:db8::/32',
      WARDGATE_KEY_ENCRYPTION_KEY: 'ab'.repeat(32),
    });
    expect(config.database).toEqual({ client: 'pg', url: 'postgres://wardgate@db/wardgate' });
    expect(config.trustProxy).toEqual(['loopback', '10.0.0.0/8', '2001:db8::/32']);
    expect(config.keyEncryptionKey).toEqual(Buffer.alloc(32, 0xab));
    expect(loadConfig({ WARDGATE_KEY_ENCRYPTION_KEY: kek }).keyEncryptionKey).toEqual(Buffer.alloc(32, 7));
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', WARDGATE_ISSUER: '' }).issuer).toBe('http://localhost:3000');
  });

  it('turns the demo off with WARDGATE_DEMO=0 and in test mode', () => {
    expect(loadConfig({ WARDGATE_DEMO: '0' }).demo).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test' }).demo).toBe(false);
  });

  it('limits request bodies to 64kb, and admin API bodies to 10mb, unless told otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'test' })).toMatchObject({ bodyLimitBytes: 64 * 1024, adminBodyLimitBytes: 10 * 1024 * 1024 });
    expect(loadConfig({ NODE_ENV: 'test', WARDGATE_BODY_LIMIT: '1mb', WARDGATE_ADMIN_BODY_LIMIT: '512KB' })).toMatchObject({ bodyLimitBytes: 1024 * 1024, adminBodyLimitBytes: 512 * 1024 });
  });

  it.each([
    [{ PORT: '70000' }, /^PORT: /],
    [{ WARDGATE_TRUST_PROXY: 'proxy.hospital.example' }, /^WARDGATE_TRUST_PROXY: "proxy.hospital.example" is not an IP address/],
    [{ WARDGATE_ISSUER: 'https://login.example/?x=1' }, /^WARDGATE_ISSUER: must be an http\(s\) origin/],
    [{ WARDGATE_ISSUER: 'not a url' }, /^WARDGATE_ISSUER: /],
    [{ WARDGATE_ISSUER: 'https://hospital.example/idp' }, /^WARDGATE_ISSUER: must be an http\(s\) origin/],
    [{ WARDGATE_BODY_LIMIT: 'lots' }, /^WARDGATE_BODY_LIMIT: must look like 64kb/],
    [{ WARDGATE_ADMIN_BODY_LIMIT: '10 MB' }, /^WARDGATE_ADMIN_BODY_LIMIT: must look like 64kb/],
    [{ WARDGATE_BOOTSTRAP_ADMIN_USER: 'root', WARDGATE_BOOTSTRAP_ADMIN_PASSWORD: 'short' }, /^WARDGATE_BOOTSTRAP_ADMIN_PASSWORD: must be at least 12/],
  ])('refuses %o naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      WARDGATE_ISSUER: 'https://login.hospital.example',
      WARDGATE_TRUST_PROXY: '10.1.2.3',
      WARDGATE_KEY_ENCRYPTION_KEY: kek,
      DATABASE_URL: 'postgres://wardgate@db/wardgate',
    });
    expect(config.demo).toBe(false);
    expect(config.env).toBe('production');
  });

  it('refuses an in-memory database in production, naming DATABASE_URL, and allows it elsewhere', () => {
    const production = { NODE_ENV: 'production', WARDGATE_ISSUER: 'https://login.hospital.example', WARDGATE_TRUST_PROXY: '10.1.2.3', WARDGATE_KEY_ENCRYPTION_KEY: kek };
    expect(() => loadConfig({ ...production, DATABASE_URL: 'sqlite::memory:' })).toThrow(/^DATABASE_URL: production cannot use an in-memory database/);
    expect(loadConfig({ ...production, DATABASE_URL: 'sqlite:/var/lib/wardgate/wardgate.db' }).database).toEqual({ client: 'sqlite', filename: '/var/lib/wardgate/wardgate.db' });
    expect(loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:' }).database).toEqual({ client: 'sqlite', filename: ':memory:' });
  });
});
