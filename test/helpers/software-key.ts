/**
 * A security key in software for HTTP integration tests: a P-256 key pair whose public key is
 * registered for a person directly in the database (as a COSE key, the way a real registration
 * stores it), and which signs real assertions over the server's own challenges (signAssertion).
 * The ceremony the server runs is the real one; only the authenticator is not a browser's.
 */
import crypto from 'node:crypto';
import type { Db } from '../../src/store/db.ts';
import type { TestBrowser } from './browser.ts';
import { signAssertion, type KeyCredential } from './security-key.ts';

/** CBOR of the COSE EC2 key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}. */
function coseKey(x: Buffer, y: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]), x, Buffer.from([0x22, 0x58, 0x20]), y]);
}

export interface SoftwareKey {
  credential: KeyCredential;
  /** Signs the step-up (or passkey) ceremony of an interaction: options, then the posted form. */
  assert(browser: TestBrowser, uid: string, ceremony: 'step-up' | 'passkey'): Promise<{ res: Response; url: string; leftTo?: string }>;
}

/** A key pair nobody registered: the server does not know it (an unknown key, a key from elsewhere). */
export function softwareKey(userId: string, origin: string): SoftwareKey & { coseKey: Buffer; id: Buffer } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const id = crypto.randomBytes(16);
  const credential: KeyCredential = {
    credentialId: id.toString('base64'),
    isResidentCredential: true,
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    userHandle: Buffer.from(userId).toString('base64'),
    signCount: 0,
  };
  let counter = 0;
  return {
    credential,
    id,
    coseKey: coseKey(Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')),
    async assert(browser, uid, ceremony) {
      const options = await browser.request(`${origin}/interaction/${uid}/webauthn/${ceremony}/options`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin', accept: 'application/json' },
        body: '{}',
      });
      if (options.status !== 200) throw new Error(`${ceremony} options answered ${options.status}: ${await options.text()}`);
      const { challenge } = (await options.json()) as { challenge: string };
      const response = signAssertion(credential, { challenge, origin, rpId: new URL(origin).hostname, counter: ++counter });
      // A passkey names its person in the user handle, as a resident credential does.
      const posted = ceremony === 'passkey' ? { ...response, response: { ...response.response, userHandle: Buffer.from(userId).toString('base64url') } } : response;
      return browser.postForm(`${origin}/interaction/${uid}/webauthn/${ceremony}`, { response: JSON.stringify(posted) });
    },
  };
}

/** A key registered for `userId`, as a real registration stores it. */
export async function registerSoftwareKey(db: Db, userId: string, origin: string): Promise<SoftwareKey> {
  const key = softwareKey(userId, origin);
  await db('webauthn_credentials').insert({
    id: key.id.toString('base64url'),
    user_id: userId,
    public_key: key.coseKey.toString('base64url'),
    counter: 0,
    transports: '["usb"]',
    aaguid: null,
    device_type: 'singleDevice',
    backed_up: false,
    nickname: 'Software key',
    created_at: Date.now(),
    last_used_at: null,
  });
  return key;
}
