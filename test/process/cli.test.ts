/**
 * The `wardgate` command as IT would use it: one line and a non-zero exit on every failure, JSON
 * results on success, and key rotation that keeps earlier tokens verifiable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { runWardgate, spawnWardgate } from '../helpers/process.ts';
import { testEnv } from '../helpers/server.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';
import { trustedViaCli } from '../helpers/hospital.ts';
import * as oidc from 'openid-client';

describe('wardgate CLI', () => {
  let db: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    env = testEnv(db);
    const migrated = await runWardgate(['migrate'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('prints usage for --help and one line for an unknown command', async () => {
    const help = await runWardgate(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: wardgate');
    const unknown = await runWardgate(['frobnicate'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('wardgate: unknown command "frobnicate" (try wardgate --help)\n');
  });

  it('creates a user with the password from standard input, and refuses a duplicate by another spelling', async () => {
    const created = await runWardgate(
      ['users', 'create', '--username', 'Cristina.Yang', '--display-name', 'Dr Cristina Yang', '--roles', 'clinician,physician', '--email', 'c.yang@hospital.example', '--password-stdin'],
      env,
      'cardiothoracic passphrase\n',
    );
    expect(created.code, created.stderr).toBe(0);
    const user = JSON.parse(created.stdout) as Record<string, unknown>;
    expect(user).toMatchObject({ username: 'Cristina.Yang', displayName: 'Dr Cristina Yang', roles: ['clinician', 'physician'], disabled: false });
    expect(created.stdout).not.toContain('cardiothoracic');
    expect(created.stdout).not.toContain('argon2');

    const duplicate = await runWardgate(['users', 'create', '--username', 'ＣＲＩＳＴＩＮＡ.yang', '--display-name', 'Someone else', '--no-password'], env);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toBe('wardgate: username: "CRISTINA.yang" is already taken\n');
  });

  it('refuses bad user input naming the field', async () => {
    const noPassword = await runWardgate(['users', 'create', '--username', 'x.y', '--display-name', 'X'], env);
    expect(noPassword.stderr).toMatch(/^wardgate: users create: give --password-stdin/);
    const short = await runWardgate(['users', 'create', '--username', 'x.y', '--display-name', 'X', '--password-stdin'], env, 'short');
    expect(short.code).toBe(1);
    expect(short.stderr).toBe('wardgate: password: must be at least 12 characters\n');
    const unknownFlag = await runWardgate(['users', 'create', '--usernme', 'x'], env);
    expect(unknownFlag.code).toBe(1);
    expect(unknownFlag.stderr).toMatch(/^wardgate: Unknown option '--usernme'/);
  });

  it('registers a client and shows its secret once; bad metadata is refused naming the field', async () => {
    const created = await runWardgate(['clients', 'create', '--name', 'Pharmacy', '--redirect-uri', 'https://pharmacy.hospital.example/cb', '--sensitivity', 'high'], env);
    expect(created.code, created.stderr).toBe(0);
    const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
    expect(client.client_secret.length).toBeGreaterThanOrEqual(43);
    const listed = await runWardgate(['clients', 'list'], env);
    expect(listed.stdout).toContain(client.client_id);
    expect(listed.stdout).not.toContain(client.client_secret);

    const bad = await runWardgate(['clients', 'create', '--name', 'Broken', '--redirect-uri', 'not a url'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^wardgate: redirect_uris\.0: /);
    const noRedirect = await runWardgate(['clients', 'create', '--name', 'Broken'], env);
    expect(noRedirect.stderr).toBe('wardgate: redirect_uris: required for the authorization_code grant\n');
  });

  it('registers a client allowed offline_access only with --offline-access', async () => {
    const metadataOf = async (args: string[]) => {
      const created = await runWardgate(['clients', 'create', '--redirect-uri', 'https://rota.hospital.example/cb', ...args], env);
      expect(created.code, created.stderr).toBe(0);
      const { client_id: id } = JSON.parse(created.stdout) as { client_id: string };
      const listed = JSON.parse((await runWardgate(['clients', 'list'], env)).stdout) as Array<{ client_id: string; offline_access_allowed?: boolean }>;
      return listed.find((c) => c.client_id === id)!;
    };
    expect((await metadataOf(['--name', 'Night rota sync', '--offline-access'])).offline_access_allowed).toBe(true);
    expect((await metadataOf(['--name', 'Ward rounds'])).offline_access_allowed).toBe(false);
    const noRefresh = await runWardgate(['clients', 'create', '--name', 'Broken', '--redirect-uri', 'https://x.example/cb', '--grant-type', 'authorization_code', '--offline-access'], env);
    expect(noRefresh.stderr).toBe('wardgate: offline_access_allowed: offline access needs the refresh_token grant\n');
  });

  it('rotates keys: new tokens use the new key, tokens from before still verify', async () => {
    const client = JSON.parse((await runWardgate(['clients', 'create', '--name', 'Radiology', '--redirect-uri', 'https://rp.example.test/callback', '--first-party'], env)).stdout) as {
      client_id: string;
      client_secret: string;
    };
    let ward: TestBrowser | undefined;
    const issue = async (issuer: string) => {
      const config = await oidc.discovery(new URL(issuer), client.client_id, undefined, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: 'https://rp.example.test/callback', scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's',
      });
      const { callback } = await signIn(ward!, url.href, { username: 'cristina.yang', password: 'cardiothoracic passphrase' });
      const tokens = await oidc.authorizationCodeGrant(config, new URL(callback!), { pkceCodeVerifier: verifier, expectedState: 's' });
      return tokens.id_token!;
    };

    let running = await spawnWardgate({ ...env, PORT: '0' });
    const issuer = running.issuer;
    // A trusted sign-in: a ward terminal on the hospital's network, during a shift.
    ward = new TestBrowser(issuer);
    await trustedViaCli(env, ward, ['cristina.yang']);
    const oldToken = await issue(issuer);
    const oldKid = decodeProtectedHeader(oldToken).kid;
    expect(await running.stop()).toBe(0);

    const rotated = await runWardgate(['keys', 'rotate'], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect((JSON.parse(rotated.stdout) as { added: string[] }).added).toHaveLength(3);
    const listed = JSON.parse((await runWardgate(['keys', 'list'], env)).stdout) as { kid: string; retireAfter: string | null }[];
    expect(listed.find((k) => k.kid === oldKid)!.retireAfter).not.toBeNull();
    expect(JSON.stringify(listed)).not.toMatch(/"d"|material/);

    running = await spawnWardgate({ ...env, PORT: new URL(issuer).port });
    try {
      const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
      const published = ((await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      expect(published).toHaveLength(4);
      expect(published).toContain(oldKid);
      await jwtVerify(oldToken, jwks, { issuer });
      const newToken = await issue(issuer);
      const newKid = decodeProtectedHeader(newToken).kid;
      expect(newKid).not.toBe(oldKid);
      expect(newKid).toMatch(/^es256-/);
      await jwtVerify(newToken, jwks, { issuer });
    } finally {
      await running.stop();
    }
  });

  it('explains a decision to the service desk from the reference on a blocked or step-up page', async () => {
    const { createDb } = await import('../../src/store/db.ts');
    const knex = createDb({ client: 'sqlite', filename: db.url.slice('sqlite:'.length) });
    const row = (await knex('decisions').orderBy('at', 'desc').first('id')) as { id: string };
    await knex.destroy();
    const shown = await runWardgate(['decisions', 'show', '--id', row.id], env);
    expect(shown.code, shown.stderr).toBe(0);
    const out = JSON.parse(shown.stdout) as { outcome: string; username: string; explanation: string[] };
    expect(out).toMatchObject({ outcome: 'allow', username: 'Cristina.Yang' });
    expect(out.explanation[0]).toMatch(/^Allowed: score \d+/);
    expect(out.explanation.join('\n')).toContain('At the known terminal "Ward 3 workstation"');
    // The sentences name the person as the service desk knows them, and the site by its name.
    expect(out.explanation.join('\n')).toMatch(/On shift: Dr Cristina Yang at [^\n]*[A-Z]/);
    const missing = await runWardgate(['decisions', 'show', '--id', 'no-such-reference'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('wardgate: decisions show: no decision "no-such-reference"\n');
  });

  it('issues a one-time security-key enrollment link and resets a user\'s keys, both audited', async () => {
    const link = await runWardgate(['users', 'enroll-link', '--username', 'cristina.yang'], env);
    expect(link.code, link.stderr).toBe(0);
    const out = JSON.parse(link.stdout) as { url: string; expiresAt: string };
    expect(out.url).toMatch(/^http:\/\/localhost:\d+\/enroll\/[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(out.expiresAt) - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    const reset = await runWardgate(['users', 'reset-credentials', '--username', 'cristina.yang'], env);
    expect(reset.code, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ username: 'Cristina.Yang', removed: 0 });
    expect(JSON.parse(reset.stdout).sessionsEnded).toBeGreaterThan(0);
    const { createDb } = await import('../../src/store/db.ts');
    const knex = createDb({ client: 'sqlite', filename: db.url.slice('sqlite:'.length) });
    const types = (await knex('audit_log').select('type')).map((r: { type: string }) => r.type);
    const links = await knex('webauthn_enrollment_links').select('token_hash', 'used_at');
    await knex.destroy();
    expect(types).toEqual(expect.arrayContaining(['webauthn.enrollment_link', 'webauthn.reset']));
    // Only the link's hash is stored, never the link; and a reset voids any link still open.
    expect(JSON.stringify(links)).not.toContain(out.url.split('/').pop());
    expect(links.every((l: { used_at: number | null }) => l.used_at !== null)).toBe(true);
    const unknown = await runWardgate(['users', 'enroll-link', '--username', 'nobody'], env);
    expect(unknown.stderr).toBe('wardgate: users enroll-link: no user "nobody"\n');
  });
});
