/**
 * The cost of one security-key assertion check: webauthn.verifyAuthentication as the step-up runs
 * it (challenge consumed, credential read, signature, origin, RP ID, flags, counter, counter update,
 * audit append), and SimpleWebAuthn's signature check alone, for an ES256 key (what hardware keys
 * and passkeys use). Bounded: a fixed number of assertions on a temporary database.
 *
 *   node bench/webauthn.ts [n]            (embedded SQLite)
 *   DATABASE_URL=postgres://… node bench/webauthn.ts [n]
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';
import { createAccounts } from '../src/accounts/accounts.ts';
import { createAuditLog } from '../src/audit/log.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { prepareDatabase } from '../src/main.ts';
import { createPayloadStore } from '../src/store/oidc-payloads.ts';
import { createUserStore } from '../src/store/users.ts';
import { createWebAuthnStore } from '../src/store/webauthn.ts';
import { createWebAuthn } from '../src/webauthn/service.ts';
import { createTestDatabase } from '../test/helpers/database.ts';
import { signAssertion, type KeyCredential } from '../test/helpers/security-key.ts';
import { testEnv } from '../test/helpers/server.ts';
import { quantile } from './measure.ts';

const N = Number(process.argv[2] ?? 300);
const WARMUP = 20;
const target = await createTestDatabase('sqlite');
const config = loadConfig(testEnv(target, { WARDGATE_LOG_LEVEL: 'warn', DATABASE_URL: process.env.DATABASE_URL ?? target.url }));
const { db } = await prepareDatabase(config, createLogger('warn'));

try {
  const { user } = await createAccounts(createUserStore(db), createPayloadStore(db)).create({ username: `bench.${Date.now()}`, displayName: 'Bench', password: 'bench passphrase long enough' });
  const rp = { rpId: 'localhost', rpName: 'Wardgate', origin: 'http://localhost:3000' };
  const store = createWebAuthnStore(db);
  const webauthn = createWebAuthn({ db, store, audit: createAuditLog(db), rp });

  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  const publicKeyCose = isoCBOR.encode(new Map<number, number | Uint8Array>([[1, 2], [3, -7], [-1, 1], [-2, isoBase64URL.toBuffer(jwk.x)], [-3, isoBase64URL.toBuffer(jwk.y)]]));
  const rawId = crypto.randomBytes(32);
  const id = rawId.toString('base64url');
  await store.insertCredential({ id, user_id: user.id, public_key: isoBase64URL.fromBuffer(publicKeyCose), counter: 0, transports: '["usb"]', aaguid: null, device_type: 'singleDevice', backed_up: false, nickname: 'bench', created_at: Date.now(), last_used_at: null });
  const key: KeyCredential = { credentialId: rawId.toString('base64'), isResidentCredential: true, privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'), signCount: 0 };

  const whole: number[] = [];
  const signatureOnly: number[] = [];
  for (let i = 1; i <= N + WARMUP; i++) {
    const binding = `bench-${i}`;
    const options = await webauthn.authenticationOptions('step_up', binding, user.id);
    const response = signAssertion(key, { challenge: options.challenge, origin: rp.origin, rpId: rp.rpId, counter: 2 * i });
    let t = performance.now();
    await verifyAuthenticationResponse({ response, expectedChallenge: options.challenge, expectedOrigin: rp.origin, expectedRPID: rp.rpId, requireUserVerification: true, credential: { id, publicKey: publicKeyCose, counter: 2 * i - 1 } });
    const lib = performance.now() - t;
    t = performance.now();
    const proof = await webauthn.verifyAuthentication({ response, ceremony: 'step_up', binding, expectedUserId: user.id });
    const all = performance.now() - t;
    if (proof.userId !== user.id) throw new Error('assertion not verified');
    if (i > WARMUP) {
      whole.push(all);
      signatureOnly.push(lib);
    }
  }
  console.log(`WebAuthn assertion check: ${config.database.client}, Node ${process.version}, ${os.cpus().length} cores, ES256, n=${N}, ${new Date().toISOString()}`);
  console.log(`webauthn.verifyAuthentication (whole)       p50 ${quantile(whole, 0.5).toFixed(2)} ms  p99 ${quantile(whole, 0.99).toFixed(2)} ms`);
  console.log(`verifyAuthenticationResponse (signature)    p50 ${quantile(signatureOnly, 0.5).toFixed(2)} ms  p99 ${quantile(signatureOnly, 0.99).toFixed(2)} ms`);
} finally {
  await db.destroy();
  await target.drop();
}
