import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../../src/crypto/secret-box.ts';
import { ensureKeys, loadKeys, retirementAfterRotation, rotateKeys } from '../../../src/oidc/keys.ts';
import { createDb, type Db } from '../../../src/store/db.ts';
import { createKeyStore } from '../../../src/store/keys.ts';
import { migrateLatest } from '../../../src/store/migrate.ts';

describe('signing and cookie keys', () => {
  let db: Db;
  const box = createSecretBox(crypto.randomBytes(32));

  beforeEach(async () => {
    db = createDb({ client: 'sqlite', filename: ':memory:' });
    await migrateLatest(db);
  });
  afterEach(() => db.destroy());

  it('keeps a retired signing key as long as an ID token may come back as a logout hint', () => {
    const { signedLifetimeSeconds, cookieLifetimeSeconds } = retirementAfterRotation({ idToken: 3600, accessToken: 3600, session: 43_200 });
    expect(signedLifetimeSeconds).toBeGreaterThan(43_200);
    expect(cookieLifetimeSeconds).toBeGreaterThan(43_200);
  });

  it('creates an ES256 key, an RS256 key and a cookie key once, sealed at rest', async () => {
    const store = createKeyStore(db);
    expect(await ensureKeys(store, box)).toHaveLength(3);
    expect(await ensureKeys(store, box)).toEqual([]);
    const rows = await store.all();
    for (const row of rows) expect(row.material_encrypted).toMatch(/^v1\./);
    const keys = await loadKeys(store, box);
    expect(keys.jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(keys.jwks.keys.every((k) => typeof k.d === 'string')).toBe(true);
    expect(keys.cookieKeys).toHaveLength(1);
  });

  it('after rotation signs with the new key first, publishes the old until it retires, then drops it', async () => {
    const store = createKeyStore(db);
    const t0 = Date.now();
    await ensureKeys(store, box, t0);
    const before = await loadKeys(store, box, t0);
    const { added } = await rotateKeys(store, box, { signedLifetimeSeconds: 3600, cookieLifetimeSeconds: 7200, now: t0 + 1000 });
    const during = await loadKeys(store, box, t0 + 2000);
    expect(during.jwks.keys).toHaveLength(4);
    const firstEs = during.jwks.keys.find((k) => k.alg === 'ES256')!;
    expect(added).toContain(firstEs.kid);
    expect(during.jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining(before.jwks.keys.map((k) => k.kid)));
    expect(during.cookieKeys).toHaveLength(2);
    expect(during.cookieKeys[1]).toBe(before.cookieKeys[0]);

    const after = await loadKeys(store, box, t0 + 1000 + 3600 * 1000 + 1);
    expect(after.jwks.keys.map((k) => k.kid).sort()).toEqual(added.filter((k) => !k.startsWith('cookie')).sort());
    await ensureKeys(store, box, t0 + 1000 + 7200 * 1000 + 1);
    expect((await store.all()).filter((r) => r.use === 'sig')).toHaveLength(2);
  });
});
