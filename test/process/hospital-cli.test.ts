/**
 * `wardgate sites|terminals|shifts` as IT would use them: JSON on success, one line and exit 1 on
 * every refusal, naming what was wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { runWardgate } from '../helpers/process.ts';
import { testEnv } from '../helpers/server.ts';

describe('wardgate hospital commands', () => {
  let db: TestDatabase;
  let env: Record<string, string>;

  const ok = async (args: string[]) => {
    const result = await runWardgate(args, env);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as unknown;
  };
  const refused = async (args: string[]) => {
    const result = await runWardgate(args, env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toHaveLength(2);
    return result.stderr;
  };

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    env = testEnv(db, { PORT: '8443', WARDGATE_ISSUER: 'https://login.st-elsewhere.example' });
    await ok(['migrate']);
    await ok(['users', 'create', '--username', 'm.grey', '--display-name', 'Dr Meredith Grey', '--no-password']);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('lists the new commands in --help', async () => {
    const help = await runWardgate(['--help'], env);
    for (const line of ['sites create --id ID', 'sites list', 'terminals create --name N --site ID', 'terminals list', 'terminals revoke --id ID', 'shifts add --username U', 'shifts list']) {
      expect(help.stdout).toContain(line);
    }
  });

  it('creates and lists sites with canonical networks; refuses a bad network naming it', async () => {
    const site = await ok([
      'sites', 'create', '--id', 'st-elsewhere', '--name', 'St Elsewhere General Hospital', '--timezone', 'Europe/London', '--country', 'GB',
      '--lat', '51.5246', '--lon', '-0.134', '--network', '10.20.0.0/16', '--network', '2001:DB8:20::/48',
    ]);
    expect(site).toEqual({
      id: 'st-elsewhere', name: 'St Elsewhere General Hospital', timezone: 'Europe/London', country: 'GB',
      latitude: 51.5246, longitude: -0.134, networks: ['10.20.0.0/16', '2001:db8:20::/48'],
    });
    expect(await ok(['sites', 'list'])).toEqual([site]);

    const base = ['sites', 'create', '--id', 'annex', '--name', 'Annex', '--timezone', 'Europe/London', '--country', 'GB'];
    expect(await refused([...base, '--network', '10.30.1.5/16'])).toBe('wardgate: networks.0: "10.30.1.5/16" has host bits set: the network is 10.30.0.0/16\n');
    expect(await refused([...base, '--network', '10.30.0.0/16', '--network', '10.0.0.0/33'])).toBe('wardgate: networks.1: "10.0.0.0/33" is not a CIDR range (the prefix length must be 0 to 32)\n');
    expect(await refused(['sites', 'create', '--id', 'annex', '--name', 'Annex', '--timezone', 'Mars/Olympus', '--country', 'GB'])).toBe('wardgate: timezone: "Mars/Olympus" is not an IANA timezone (such as Europe/London)\n');
    expect(await refused([...base, '--lat', 'north', '--lon', '0'])).toBe('wardgate: --lat: "north" is not a number\n');
    expect(await refused([...base, '--lat', '51'])).toBe('wardgate: sites create: give --lat and --lon together\n');
    expect(await refused(['sites', 'create', '--name', 'Annex'])).toBe('wardgate: sites create: --id is required\n');
    expect(await refused(['sites', 'create', '--id', 'st-elsewhere', '--name', 'Again', '--timezone', 'UTC', '--country', 'GB'])).toBe('wardgate: id: site "st-elsewhere" already exists\n');
    expect(await refused(['sites', 'frobnicate'])).toBe('wardgate: sites: expected "create" or "list" (got "frobnicate")\n');
    expect(await ok(['sites', 'list'])).toHaveLength(1);
  });

  it('creates a terminal with an enrollment link at the issuer, lists and revokes it; refuses an unknown site', async () => {
    const created = (await ok(['terminals', 'create', '--name', 'Ward 4 PC 2', '--site', 'st-elsewhere', '--unit', 'Cardiology'])) as Record<string, string>;
    expect(created).toMatchObject({ name: 'Ward 4 PC 2', siteId: 'st-elsewhere', unit: 'Cardiology', status: 'pending' });
    expect(created.enrollmentUrl).toMatch(/^https:\/\/login\.st-elsewhere\.example\/terminals\/enroll\/[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(created.enrollmentExpiresAt!) - Date.now()).toBeGreaterThan(23 * 3600_000);

    const listed = (await ok(['terminals', 'list', '--site', 'st-elsewhere'])) as Record<string, unknown>[];
    expect(listed).toEqual([expect.objectContaining({ id: created.id, status: 'pending', enrolledAt: null })]);
    expect(JSON.stringify(listed)).not.toContain(created.enrollmentUrl!.split('/').pop());

    const reissued = (await ok(['terminals', 'reissue', '--id', created.id!])) as Record<string, string>;
    expect(reissued.enrollmentUrl).not.toBe(created.enrollmentUrl);
    expect(await ok(['terminals', 'revoke', '--id', created.id!])).toMatchObject({ id: created.id, status: 'revoked' });
    expect(await ok(['terminals', 'list'])).toEqual([expect.objectContaining({ id: created.id, status: 'revoked' })]);

    expect(await refused(['terminals', 'create', '--name', 'PC', '--site', 'nowhere'])).toBe('wardgate: siteId: no site "nowhere"\n');
    expect(await refused(['terminals', 'create', '--name', 'PC'])).toBe('wardgate: terminals create: --site is required\n');
    expect(await refused(['terminals', 'revoke', '--id', 'no-such-terminal'])).toBe('wardgate: id: no terminal "no-such-terminal"\n');
    expect(await refused(['terminals', 'reissue', '--id', created.id!])).toBe(`wardgate: id: terminal "${created.id}" is revoked; register a new terminal instead\n`);
  });

  it('adds shifts by local time, idempotently by external id, and lists them; refuses bad input naming the field', async () => {
    const add = ['shifts', 'add', '--username', 'm.grey', '--site', 'st-elsewhere', '--start', '2026-03-28T22:00', '--end', '2026-03-29T07:00', '--external-id', 'rota-1'];
    const first = (await ok(add)) as Record<string, string>;
    expect(first).toMatchObject({
      status: 'created', username: 'm.grey', siteId: 'st-elsewhere', kind: 'scheduled', externalId: 'rota-1',
      start: '2026-03-28T22:00:00.000Z', end: '2026-03-29T06:00:00.000Z', startLocal: '2026-03-28T22:00:00+00:00', endLocal: '2026-03-29T07:00:00+01:00',
    });
    expect(await ok(add)).toMatchObject({ status: 'unchanged', id: first.id });
    expect(await ok([...add.slice(0, -2), '--kind', 'on_call', '--external-id', 'rota-1'])).toMatchObject({ status: 'updated', id: first.id, kind: 'on_call' });
    expect(await ok(['shifts', 'list', '--username', 'm.grey'])).toEqual([expect.objectContaining({ id: first.id, kind: 'on_call' })]);
    expect(await ok(['shifts', 'list', '--site', 'st-elsewhere'])).toHaveLength(1);

    const shift = ['shifts', 'add', '--username', 'm.grey', '--site', 'st-elsewhere'];
    expect(await refused([...shift, '--start', '2026-04-01T20:00', '--end', '2026-04-01T08:00'])).toBe('wardgate: end: must be after start\n');
    expect(await refused([...shift, '--start', '2026-03-29T01:30', '--end', '2026-03-29T09:00'])).toBe('wardgate: start: "2026-03-29T01:30" does not exist in Europe/London: the clocks skip that hour\n');
    expect(await refused(['shifts', 'add', '--username', 'nobody', '--site', 'st-elsewhere', '--start', '2026-04-01T08:00', '--end', '2026-04-01T20:00'])).toBe('wardgate: username: no user "nobody"\n');
    expect(await refused(['shifts', 'add', '--username', 'm.grey', '--site', 'nowhere', '--start', '2026-04-01T08:00', '--end', '2026-04-01T20:00'])).toBe('wardgate: siteId: no site "nowhere"\n');
    expect(await refused([...shift, '--start', '2026-04-01T08:00', '--end', '2026-04-01T20:00', '--kind', 'overtime'])).toMatch(/^wardgate: kind: /);
    expect(await refused([...shift, '--start', '2026-04-01T08:00'])).toBe('wardgate: shifts add: --end is required\n');
    expect(await refused(['shifts', 'list', '--site', 'nowhere'])).toBe('wardgate: siteId: no site "nowhere"\n');
  });
});
