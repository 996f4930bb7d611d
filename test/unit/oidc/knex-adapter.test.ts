import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../../src/crypto/secret-box.ts';
import { createClientRegistry } from '../../../src/oidc/clients.ts';
import { createAdapterFactory } from '../../../src/oidc/knex-adapter.ts';
import { createClientStore } from '../../../src/store/clients.ts';
import { createDb, type Db } from '../../../src/store/db.ts';
import { migrateLatest } from '../../../src/store/migrate.ts';
import { createPayloadStore } from '../../../src/store/oidc-payloads.ts';

describe('knex adapter', () => {
  let db: Db;
  let now = 1_800_000_000_000;
  let Adapter: ReturnType<typeof createAdapterFactory>;

  beforeEach(async () => {
    db = createDb({ client: 'sqlite', filename: ':memory:' });
    await migrateLatest(db);
    const clients = createClientRegistry(createClientStore(db), createSecretBox(crypto.randomBytes(32)));
    Adapter = createAdapterFactory(createPayloadStore(db), clients, () => now);
  });
  afterEach(() => db.destroy());

  it('finds an artifact by id, uid and user code until it expires, then the cleanup removes it', async () => {
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'acc', kind: 'Session' }, 60);
    expect(await sessions.find('s1')).toMatchObject({ accountId: 'acc' });
    expect(await sessions.findByUid('u1')).toMatchObject({ accountId: 'acc' });
    now += 61_000;
    expect(await sessions.find('s1')).toBeUndefined();
    expect(await createPayloadStore(db).deleteExpired(now)).toBe(1);
    expect(await db('oidc_payloads').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('lets exactly one of many parallel consumers win and revokes the grant for the rest', async () => {
    const codes = new Adapter('AuthorizationCode');
    const tokens = new Adapter('AccessToken');
    await codes.upsert('c1', { grantId: 'g1', kind: 'AuthorizationCode' }, 60);
    const grants = new Adapter('Grant');
    await grants.upsert('g1', { accountId: 'acc', clientId: 'c', kind: 'Grant' }, 3600);
    await tokens.upsert('t1', { grantId: 'g1', kind: 'AccessToken' }, 3600);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => codes.consume('c1')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected[0]!.reason).toMatchObject({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    expect(await tokens.find('t1')).toBeUndefined();
    expect(await grants.find('g1')).toBeUndefined();
  });

  it('marks a consumed artifact so oidc-provider can detect reuse', async () => {
    const refresh = new Adapter('RefreshToken');
    await refresh.upsert('r1', { grantId: 'g2', kind: 'RefreshToken' }, 3600);
    await refresh.consume('r1');
    expect((await refresh.find('r1'))?.consumed).toBeTypeOf('number');
  });

  it('reads clients from the registry and refuses dynamic registration writes', async () => {
    const clients = new Adapter('Client');
    expect(await clients.find('nope')).toBeUndefined();
    await expect(clients.upsert('x', {}, 0)).rejects.toThrow(/registered through Wardgate/);
  });
});
