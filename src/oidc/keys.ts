/**
 * Signing keys (ES256 first, RS256 for relying apps that need it) and cookie-signing keys, made on
 * first start and kept in the database sealed under the key-encryption key, so every process and
 * every restart signs and verifies with the same keys. Rotation adds a new key that signs from the
 * next start on, and keeps the old one published until everything it signed has expired.
 */
import crypto from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { KeyRow, KeyStore } from '../store/keys.ts';

export const SIGNING_ALGS = ['ES256', 'RS256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export interface LoadedKeys {
  /** Private JWKs, newest first per algorithm; oidc-provider publishes their public halves. */
  jwks: { keys: crypto.JsonWebKey[] };
  /** Cookie keys, newest first: the first signs, all verify. */
  cookieKeys: string[];
}

function generateSigningKey(alg: SigningAlg): { kid: string; jwk: crypto.JsonWebKey } {
  const { privateKey } =
    alg === 'ES256'
      ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const kid = `${alg.toLowerCase()}-${crypto.randomBytes(9).toString('base64url')}`;
  return { kid, jwk: { ...jwk, kid, alg, use: 'sig' } };
}

function purpose(row: Pick<KeyRow, 'kid' | 'use'>): string {
  return `wardgate:key:${row.use}:${row.kid}`;
}

async function addSigningKey(store: KeyStore, box: SecretBox, alg: SigningAlg, now: number): Promise<string> {
  const { kid, jwk } = generateSigningKey(alg);
  await store.insert({
    kid,
    use: 'sig',
    alg,
    material_encrypted: box.seal(JSON.stringify(jwk), purpose({ kid, use: 'sig' })),
    created_at: now,
    retire_after: null,
  });
  return kid;
}

async function addCookieKey(store: KeyStore, box: SecretBox, now: number): Promise<string> {
  const kid = `cookie-${crypto.randomBytes(9).toString('base64url')}`;
  const secret = crypto.randomBytes(32).toString('base64url');
  await store.insert({
    kid,
    use: 'cookie',
    alg: 'HS256',
    material_encrypted: box.seal(secret, purpose({ kid, use: 'cookie' })),
    created_at: now,
    retire_after: null,
  });
  return kid;
}

/** Creates whatever key is missing (first start). Run under the startup lock. */
export async function ensureKeys(store: KeyStore, box: SecretBox, now = Date.now()): Promise<string[]> {
  const created: string[] = [];
  const sig = await store.live('sig', now);
  for (const alg of SIGNING_ALGS) {
    if (!sig.some((k) => k.alg === alg && k.retire_after === null)) created.push(await addSigningKey(store, box, alg, now));
  }
  const cookies = await store.live('cookie', now);
  if (!cookies.some((k) => k.retire_after === null)) created.push(await addCookieKey(store, box, now));
  await store.deleteRetiredBefore(now);
  return created;
}

export async function loadKeys(store: KeyStore, box: SecretBox, now = Date.now()): Promise<LoadedKeys> {
  const sig = await store.live('sig', now);
  const cookie = await store.live('cookie', now);
  // Current keys first (newest first), retiring keys after them: the first of each algorithm signs.
  const current = (rows: KeyRow[]) => [...rows.filter((r) => r.retire_after === null), ...rows.filter((r) => r.retire_after !== null)];
  return {
    jwks: { keys: current(sig).map((row) => JSON.parse(box.open(row.material_encrypted, purpose(row))) as crypto.JsonWebKey) },
    cookieKeys: current(cookie).map((row) => box.open(row.material_encrypted, purpose(row))),
  };
}

/** How long retired keys stay usable, from the lifetimes of what they signed or protected. */
export function retirementAfterRotation(ttl: { idToken: number; accessToken: number; session: number }) {
  const margin = 300;
  return {
    // An ID token is presented back as id_token_hint at logout for as long as its session lasts,
    // and oidc-provider verifies that hint with today's keys: keep old keys that long.
    signedLifetimeSeconds: Math.max(ttl.idToken, ttl.accessToken, ttl.session) + margin,
    cookieLifetimeSeconds: ttl.session + margin,
  };
}

/**
 * Adds a new signing key per algorithm and a new cookie key. The previous signing keys stay
 * published for `signedLifetimeSeconds` and the previous cookie key keeps verifying for
 * `cookieLifetimeSeconds` (see retirementAfterRotation).
 */
export async function rotateKeys(
  store: KeyStore,
  box: SecretBox,
  options: { signedLifetimeSeconds: number; cookieLifetimeSeconds: number; now?: number },
): Promise<{ added: string[]; retireSigningAfter: Date }> {
  const now = options.now ?? Date.now();
  const retireSigningAfter = now + options.signedLifetimeSeconds * 1000;
  const added: string[] = [];
  for (const alg of SIGNING_ALGS) {
    await store.retireCurrent('sig', alg, retireSigningAfter);
    added.push(await addSigningKey(store, box, alg, now + 1));
  }
  await store.retireCurrent('cookie', 'HS256', now + options.cookieLifetimeSeconds * 1000);
  added.push(await addCookieKey(store, box, now + 1));
  return { added, retireSigningAfter: new Date(retireSigningAfter) };
}
