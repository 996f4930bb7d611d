/**
 * A security key for browser tests: the DevTools virtual authenticator (CTAP2 over USB, resident
 * keys, user verification) attached to one page, and an assertion signer that uses a credential's
 * private key outside the browser, so that what Chromium refuses to produce (no user verification,
 * another origin or RP ID) can still be put before the server.
 */
import crypto from 'node:crypto';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';

/** A credential as the virtual authenticator holds it (base64, with its private key). */
export interface KeyCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

export class SecurityKey {
  readonly cdp: CDPSession;
  readonly id: string;
  constructor(cdp: CDPSession, id: string) {
    this.cdp = cdp;
    this.id = id;
  }

  /** A new key in `page`, holding copies of `credentials` (the same key carried to another computer). */
  static async plugInto(context: BrowserContext, page: Page, credentials: KeyCredential[] = []): Promise<SecurityKey> {
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    const key = new SecurityKey(cdp, authenticatorId);
    for (const credential of credentials) await key.add(credential);
    return key;
  }

  async credentials(): Promise<KeyCredential[]> {
    return (await this.cdp.send('WebAuthn.getCredentials', { authenticatorId: this.id })).credentials;
  }

  async add(credential: KeyCredential): Promise<void> {
    await this.cdp.send('WebAuthn.addCredential', { authenticatorId: this.id, credential });
  }

  async remove(credentialId: string): Promise<void> {
    await this.cdp.send('WebAuthn.removeCredential', { authenticatorId: this.id, credentialId });
  }

  async setUserVerified(isUserVerified: boolean): Promise<void> {
    await this.cdp.send('WebAuthn.setUserVerified', { authenticatorId: this.id, isUserVerified });
  }
}

/** The id Wardgate stores for a credential (base64url of the raw id). */
export const storedIdOf = (credential: KeyCredential) => Buffer.from(credential.credentialId, 'base64').toString('base64url');

const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest();

/** An assertion by `credential` over `challenge`, as an authenticator at `origin` for `rpId` would make it. */
export function signAssertion(
  credential: KeyCredential,
  input: { challenge: string; origin: string; rpId: string; counter: number; userVerified?: boolean },
): AuthenticationResponseJSON {
  const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: input.challenge, origin: input.origin, crossOrigin: false }));
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(input.counter);
  // Flags: user present (0x01), user verified (0x04).
  const flags = 0x01 | (input.userVerified === false ? 0 : 0x04);
  const authenticatorData = Buffer.concat([sha256(input.rpId), Buffer.from([flags]), counter]);
  const privateKey = crypto.createPrivateKey({ key: Buffer.from(credential.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
  // ES256 signs a SHA-256 digest; Ed25519 and ML-DSA-44 (what Chromium's virtual key picks when
  // Wardgate offers it first) sign the message itself.
  const digest = privateKey.asymmetricKeyType === 'ec' ? 'sha256' : null;
  const signature = crypto.sign(digest, Buffer.concat([authenticatorData, sha256(clientDataJSON)]), privateKey);
  const id = storedIdOf(credential);
  return {
    id,
    rawId: id,
    type: 'public-key',
    clientExtensionResults: {},
    response: { clientDataJSON: clientDataJSON.toString('base64url'), authenticatorData: authenticatorData.toString('base64url'), signature: signature.toString('base64url') },
  };
}
