/**
 * The `wardgate` command leaves an audit trail as the admin API does: every command that changes
 * something appends exactly one `admin.<resource>.<action>` entry with the actor cli:<OS account>,
 * in the transaction of the change (a refused command leaves none), and never a secret. `wardgate
 * audit verify` answers what GET /admin/api/v1/audit/verify answers, and exits 1 on a broken chain.
 *
 * On SQLite always; on PostgreSQL too when WARDGATE_TEST_PG_URL names a server.
 */
import os from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/log.ts';
import { createDb, type Db } from '../../src/store/db.ts';
import { auditEntriesAfter, lastAuditId } from '../helpers/audit.ts';
import { createTestDatabase, type TestDatabase, type TestDbKind } from '../helpers/database.ts';
import { runWardgate } from '../helpers/process.ts';
import { testEnv } from '../helpers/server.ts';

const ACTOR = `cli:${os.userInfo().username}`;
const KINDS: TestDbKind[] = ['sqlite', ...(process.env.WARDGATE_TEST_PG_URL ? (['postgres'] as const) : [])];
const SITE = ['--id', 'st-elsewhere', '--name', 'St Elsewhere', '--timezone', 'Europe/London', '--country', 'GB'];

describe.each(KINDS)('wardgate CLI audit trail (%s)', (kind) => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let db: Db;

  const run = async (args: string[], stdin?: string) => {
    const result = await runWardgate(args, env, stdin);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Record<string, any>;
  };
  /** Runs a command and answers its output with the audit entries it left. */
  const audited = async (args: string[], stdin?: string) => {
    const last = await lastAuditId(db);
    const output = await run(args, stdin);
    return { output, entries: await auditEntriesAfter(db, last) };
  };

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    env = testEnv(database);
    await run(['migrate']);
    db = createDb(kind === 'postgres' ? { client: 'pg', url: database.url } : { client: 'sqlite', filename: database.url.slice('sqlite:'.length) });
  });

  afterEach(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('users create leaves one admin.user.create entry by the OS account, without the password', async () => {
    const { output: user, entries } = await audited(['users', 'create', '--username', 'c.yang', '--display-name', 'Dr Cristina Yang', '--password-stdin'], 'cardiothoracic passphrase\n');
    expect(entries).toEqual([
      {
        type: 'admin.user.create',
        actor: ACTOR,
        subject: `user/${user.id}`,
        data: expect.objectContaining({
          resource: 'user', action: 'create', id: user.id, actor: { kind: 'cli', name: os.userInfo().username }, ip: null, before: null,
          after: expect.objectContaining({ username: 'c.yang', hasPassword: true, securityKeys: 0, disabled: false }),
        }),
      },
    ]);
    expect(JSON.stringify(entries)).not.toMatch(/cardiothoracic|argon2/);
  });

  it('clients create leaves one admin.client.create entry, without the secret', async () => {
    const { output: client, entries } = await audited(['clients', 'create', '--name', 'Pharmacy', '--redirect-uri', 'https://pharmacy.hospital.example/cb']);
    expect(entries.map((e) => [e.type, e.actor, e.subject])).toEqual([['admin.client.create', ACTOR, `client/${client.client_id}`]]);
    expect(entries[0]!.data.after).toMatchObject({ client_id: client.client_id, client_name: 'Pharmacy' });
    expect(JSON.stringify(entries)).not.toContain(client.client_secret);
  });

  it('terminals create, reissue and revoke each leave one entry, never the enrollment link', async () => {
    await run(['sites', 'create', ...SITE]);
    const created = await audited(['terminals', 'create', '--name', 'Ward 3 PC 1', '--site', 'st-elsewhere']);
    const id = created.output.id as string;
    expect(created.entries.map((e) => [e.type, e.actor, e.subject])).toEqual([['admin.terminal.create', ACTOR, `terminal/${id}`]]);
    expect(created.entries[0]!.data.after).toMatchObject({ id, status: 'pending' });

    const reissued = await audited(['terminals', 'reissue', '--id', id]);
    expect(reissued.entries.map((e) => [e.type, e.actor, e.subject])).toEqual([['admin.terminal.enrollment_link', ACTOR, `terminal/${id}`]]);

    const revoked = await audited(['terminals', 'revoke', '--id', id]);
    expect(revoked.entries.map((e) => [e.type, e.subject])).toEqual([['admin.terminal.revoke', `terminal/${id}`]]);
    expect(revoked.entries[0]!.data).toMatchObject({ before: { status: 'pending' }, after: { status: 'revoked' } });

    const links = [created.output.enrollmentUrl, reissued.output.enrollmentUrl].map((url: string) => url.split('/').pop()!);
    for (const token of links) expect(JSON.stringify([...created.entries, ...reissued.entries, ...revoked.entries])).not.toContain(token);
  });

  it.each([
    { command: 'sites create', args: ['sites', 'create', ...SITE], type: 'admin.site.create' },
    { command: 'users disable', args: ['users', 'disable', '--username', 'm.grey'], type: 'admin.user.disable' },
    { command: 'users enroll-link', args: ['users', 'enroll-link', '--username', 'm.grey'], type: 'admin.user.enrollment_link' },
    { command: 'users reset-credentials', args: ['users', 'reset-credentials', '--username', 'm.grey'], type: 'admin.user.reset_credentials' },
    { command: 'keys rotate', args: ['keys', 'rotate'], type: 'admin.keys.rotate' },
  ])('$command leaves one $type entry by the OS account', async ({ args, type }) => {
    await run(['users', 'create', '--username', 'm.grey', '--display-name', 'Dr Meredith Grey', '--no-password']);
    const { entries } = await audited(args);
    // The security-key service keeps its own entry beside IT's, as it does for the admin API.
    expect(entries.filter((e) => !e.type.startsWith('webauthn.')).map((e) => [e.type, e.actor])).toEqual([[type, ACTOR]]);
  });

  it('shifts add leaves one admin.shift.create entry, one admin.shift.update for a changed shift, none for an unchanged one', async () => {
    await run(['sites', 'create', ...SITE]);
    await run(['users', 'create', '--username', 'm.grey', '--display-name', 'Dr Meredith Grey', '--no-password']);
    const shift = ['shifts', 'add', '--username', 'm.grey', '--site', 'st-elsewhere', '--start', '2026-04-01T08:00', '--external-id', 'r-1'];
    expect((await audited([...shift, '--end', '2026-04-01T20:00'])).entries.map((e) => e.type)).toEqual(['admin.shift.create']);
    expect((await audited([...shift, '--end', '2026-04-01T20:00'])).entries).toEqual([]);
    expect((await audited([...shift, '--end', '2026-04-01T21:00'])).entries.map((e) => e.type)).toEqual(['admin.shift.update']);
  });

  it('a refused command writes nothing and leaves no entry', async () => {
    await run(['users', 'create', '--username', 'm.grey', '--display-name', 'Dr Meredith Grey', '--no-password']);
    const last = await lastAuditId(db);
    const refused = await runWardgate(['users', 'create', '--username', 'M.Grey', '--display-name', 'Someone else', '--no-password'], env);
    expect(refused.code).toBe(1);
    expect(await auditEntriesAfter(db, last)).toEqual([]);
  });

  it('audit verify prints valid:true for an intact chain, as the admin API does', async () => {
    await run(['sites', 'create', ...SITE]);
    await run(['users', 'create', '--username', 'm.grey', '--display-name', 'Dr Meredith Grey', '--no-password']);
    const verified = await runWardgate(['audit', 'verify'], env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toEqual({ valid: true, checked: 2 });
    expect(JSON.parse(verified.stdout)).toEqual(await createAuditLog(db).verify());
  });

  it('audit verify exits 1 with firstBrokenId after an entry is edited in the database', async () => {
    await run(['sites', 'create', ...SITE]);
    await run(['users', 'create', '--username', 'm.grey', '--display-name', 'Dr Meredith Grey', '--no-password']);
    await run(['users', 'disable', '--username', 'm.grey']);
    const [, tampered] = (await db('audit_log').orderBy('id').select('id')) as Array<{ id: number }>;
    await db('audit_log').where({ id: tampered!.id }).update({ actor: 'cli:someone-else' });

    const verified = await runWardgate(['audit', 'verify'], env);
    expect(verified.code).toBe(1);
    expect(JSON.parse(verified.stdout)).toEqual({ valid: false, checked: 1, firstBrokenId: Number(tampered!.id) });
    expect(JSON.parse(verified.stdout)).toEqual(await createAuditLog(db).verify());
    expect(verified.stderr).toBe(`wardgate: the audit log's hash chain is broken at entry ${tampered!.id} (checked: 1)\n`);
  });
});
