/**
 * WebAuthn ceremonies with @simplewebauthn/server, written as a checklist. Challenges are random,
 * single-use, bound to one interaction (or enrollment link) and one ceremony type, and live two
 * minutes. An assertion must come from a credential of the expected user, with user verification,
 * for this origin and RP ID; a counter that goes backwards is refused and audited (one that stays
 * 0, as synced passkeys do, is allowed). Failures are counted per interaction and audited.
 *
 * Every change to a key, a link or a challenge's outcome commits in one unit of work with the audit
 * entry that records it (store/unit-of-work.ts): the store and the audit log must be on `db`.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import type { AuditLog } from '../audit/log.ts';
import { AppError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { inTransaction } from '../store/unit-of-work.ts';
import type { ChallengeRow, CredentialRow, WebAuthnStore } from '../store/webauthn.ts';
import { hashToken, newToken } from '../crypto/tokens.ts';

export const CHALLENGE_TTL_MS = 2 * 60_000;
export const MAX_FAILURES_PER_INTERACTION = 5;
export const ENROLLMENT_LINK_TTL_MS = 24 * 3600_000;
/** COSE algorithm ids: ES256, EdDSA, RS256. */
export const SUPPORTED_ALGORITHMS = [-7, -8, -257];

export type Ceremony = ChallengeRow['ceremony'];

export interface RelyingParty {
  rpId: string;
  rpName: string;
  origin: string;
}

export function relyingPartyOf(issuer: string): RelyingParty {
  const url = new URL(issuer);
  return { rpId: url.hostname, rpName: 'Wardgate', origin: url.origin };
}

export interface Credential {
  id: string;
  nickname: string;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  transports: string[];
  aaguid: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

function toCredential(row: CredentialRow): Credential {
  return {
    id: row.id,
    nickname: row.nickname,
    deviceType: row.device_type,
    backedUp: Boolean(row.backed_up),
    transports: JSON.parse(row.transports) as string[],
    aaguid: row.aaguid,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
  };
}

/** RFC 8176: a device-bound key is hardware (hwk); a synced passkey is software (swk). */
export function amrMethodOf(deviceType: 'singleDevice' | 'multiDevice'): 'hwk' | 'swk' {
  return deviceType === 'multiDevice' ? 'swk' : 'hwk';
}

function challengeOf(response: { response: { clientDataJSON: string } }): string {
  try {
    const clientData = JSON.parse(isoBase64URL.toUTF8String(response.response.clientDataJSON)) as { challenge?: unknown };
    if (typeof clientData.challenge === 'string' && clientData.challenge.length <= 128) return clientData.challenge;
  } catch {
    // fall through
  }
  throw new AppError('webauthn_failed', 'The security key response could not be read.', { details: { reason: 'malformed_response' } });
}

export function createWebAuthn(deps: { db: Db; store: WebAuthnStore; audit: AuditLog; rp: RelyingParty; now?: () => number }) {
  const { store, audit, rp } = deps;
  const now = deps.now ?? Date.now;
  /** A change and the entry that records it, committed together. */
  const together = <T>(work: () => Promise<T>) => inTransaction(deps.db, work);

  const fail = async (reason: string, message: string, context: { binding: string; userId?: string | null; challenge?: string; credentialId?: string }) => {
    await together(async () => {
      if (context.challenge) await store.setChallengeOutcome(context.challenge, 'failure');
      await audit.append({ type: 'webauthn.failed', actor: context.userId ?? null, subject: context.binding, data: { reason, credentialId: context.credentialId ?? null } });
    });
    return new AppError('webauthn_failed', message, { details: { reason, credentialId: context.credentialId ?? null, userId: context.userId ?? null } });
  };

  const issueChallenge = async (challenge: string, ceremony: Ceremony, binding: string, userId: string | null) => {
    await store.insertChallenge({ challenge, ceremony, binding, user_id: userId, expires_at: now() + CHALLENGE_TTL_MS, consumed_at: null, outcome: null });
  };

  return {
    async credentialsOf(userId: string): Promise<Credential[]> {
      return (await store.credentialsOf(userId)).map(toCredential);
    },

    async hasCredential(userId: string): Promise<boolean> {
      return (await store.countCredentials(userId)) > 0;
    },

    async registrationOptions(user: { id: string; username: string; displayName: string }, ceremony: 'register' | 'enroll_link', binding: string) {
      const existing = await store.credentialsOf(user.id);
      const options = await generateRegistrationOptions({
        rpName: rp.rpName,
        rpID: rp.rpId,
        userName: user.username,
        userDisplayName: user.displayName,
        userID: isoBase64URL.toBuffer(isoBase64URL.fromUTF8String(user.id)),
        timeout: CHALLENGE_TTL_MS,
        attestationType: 'none',
        excludeCredentials: existing.map((c) => ({ id: c.id, transports: JSON.parse(c.transports) as AuthenticatorTransport[] })),
        // At a ward workstation only a roaming security key will do: a platform passkey would stay on
        // the shared PC (behind its shared PIN) for whoever sits down next.
        authenticatorSelection: ceremony === 'register'
          ? { residentKey: 'preferred', userVerification: 'required', authenticatorAttachment: 'cross-platform' }
          : { residentKey: 'preferred', userVerification: 'required' },
        ...(ceremony === 'register' ? { preferredAuthenticatorType: 'securityKey' as const } : {}),
        // ES256 (security keys, passkeys), EdDSA, RS256 (Windows Hello): widely supported, and verified
        // with stable Node crypto (no experimental post-quantum algorithms).
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      });
      await issueChallenge(options.challenge, ceremony, binding, user.id);
      return options;
    },

    /**
     * Verifies a registration and keeps the key. `claim` (an enrollment link's) is called only once
     * the attestation has verified, just before the key is kept: a failed attempt does not use the
     * link up, and of two attempts with the same link only the one that claims it keeps its key.
     */
    async verifyRegistration(input: { response: RegistrationResponseJSON; ceremony: 'register' | 'enroll_link'; binding: string; userId: string; nickname?: string; claim?: () => Promise<boolean> }): Promise<Credential> {
      // 1. The challenge is ours, live, unused, for this ceremony and this interaction or link.
      const challenge = challengeOf(input.response);
      const issued = await store.consumeChallenge(challenge, input.ceremony, input.binding, now());
      if (!issued || issued.user_id !== input.userId) throw await fail('challenge_invalid', 'This security key request has expired or was already used. Start again.', { binding: input.binding, userId: input.userId });
      // 2. The attestation verifies for our origin and RP ID, with user verification.
      let verified;
      try {
        verified = await verifyRegistrationResponse({ response: input.response, expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rp.rpId, requireUserVerification: true });
      } catch (error) {
        throw await fail('verification_failed', 'The security key could not be registered.', { binding: input.binding, userId: input.userId, challenge });
      }
      if (!verified.verified || !verified.registrationInfo) throw await fail('verification_failed', 'The security key could not be registered.', { binding: input.binding, userId: input.userId, challenge });
      // At a ward workstation: a roaming, device-bound security key only (never a passkey kept on the shared PC).
      if (input.ceremony === 'register' && (input.response.authenticatorAttachment === 'platform' || verified.registrationInfo.credentialDeviceType === 'multiDevice')) {
        throw await fail('platform_authenticator', 'At a shared workstation, register a security key that you carry (USB or NFC), not a passkey saved on this computer.', { binding: input.binding, userId: input.userId, challenge });
      }
      const info = verified.registrationInfo;
      // 3 and 4 commit together with their audit entry: the link is used if and only if the key is kept.
      const kept = await together(async () => {
        // 3. What allowed this registration (an enrollment link) is used now, once.
        if (input.claim && !(await input.claim())) return undefined;
        // 4. Keep the public key, never more.
        const count = await store.countCredentials(input.userId);
        const row: CredentialRow = {
          id: info.credential.id,
          user_id: input.userId,
          public_key: isoBase64URL.fromBuffer(info.credential.publicKey),
          counter: info.credential.counter,
          transports: JSON.stringify(input.response.response.transports ?? []),
          aaguid: info.aaguid ?? null,
          device_type: info.credentialDeviceType,
          backed_up: info.credentialBackedUp,
          nickname: (input.nickname?.trim() || `Security key ${count + 1}`).slice(0, 100),
          created_at: now(),
          last_used_at: null,
        };
        await store.insertCredential(row);
        await store.setChallengeOutcome(challenge, 'success');
        await audit.append({ type: 'webauthn.registered', actor: input.userId, subject: input.userId, data: { credentialId: row.id, deviceType: row.device_type, ceremony: input.ceremony } });
        return row;
      });
      if (!kept) throw await fail('link_used', 'This registration link has already been used.', { binding: input.binding, userId: input.userId, challenge });
      return toCredential(kept);
    },

    async authenticationOptions(ceremony: 'step_up' | 'passkey', binding: string, userId: string | null) {
      const allow = userId ? await store.credentialsOf(userId) : [];
      const options = await generateAuthenticationOptions({
        rpID: rp.rpId,
        timeout: CHALLENGE_TTL_MS,
        userVerification: 'required',
        allowCredentials: allow.map((c) => ({ id: c.id, transports: JSON.parse(c.transports) as AuthenticatorTransport[] })),
      });
      await issueChallenge(options.challenge, ceremony, binding, userId);
      return options;
    },

    /**
     * Verifies an assertion. For a step-up, `expectedUserId` is the person whose password was
     * checked; for passkey sign-in it is null and the credential names the person.
     */
    async verifyAuthentication(input: { response: AuthenticationResponseJSON; ceremony: 'step_up' | 'passkey'; binding: string; expectedUserId: string | null }): Promise<{ userId: string; credentialId: string; method: 'hwk' | 'swk' }> {
      const ctx = { binding: input.binding, userId: input.expectedUserId };
      // 1. Not after too many failures in this interaction.
      if ((await store.failuresFor(input.binding)) >= MAX_FAILURES_PER_INTERACTION) {
        throw await fail('too_many_failures', 'Too many attempts with a security key. Start the sign-in again.', ctx);
      }
      // 2. A live, unused challenge of this ceremony, issued for this interaction.
      const challenge = challengeOf(input.response);
      const issued = await store.consumeChallenge(challenge, input.ceremony, input.binding, now());
      if (!issued) throw await fail('challenge_invalid', 'This security key request has expired or was already used. Try again.', ctx);
      const withChallenge = { ...ctx, challenge };
      // 3. A credential we know, belonging to the person signing in.
      const credential = await store.findCredential(input.response.id);
      if (credential?.suspended_at) throw await fail('credential_suspended', 'This security key is suspended. Call the service desk.', { ...withChallenge, credentialId: credential.id });
      if (!credential) throw await fail('unknown_credential', 'This security key is not registered with Wardgate.', { ...withChallenge, credentialId: input.response.id });
      if (input.expectedUserId && credential.user_id !== input.expectedUserId) {
        throw await fail('credential_of_other_user', 'This security key belongs to someone else.', { ...withChallenge, credentialId: credential.id });
      }
      const userHandle = input.response.response.userHandle;
      if (userHandle && isoBase64URL.toUTF8String(userHandle) !== credential.user_id) {
        throw await fail('user_handle_mismatch', 'This security key response does not match its owner.', { ...withChallenge, credentialId: credential.id });
      }
      // 4. Signature, origin, RP ID, user presence and user verification. The library is given a
      //    counter of 0 so that it judges the signature alone; the counter is judged next, and only
      //    for a response whose signature holds (a forged response cannot raise a cloning alarm).
      const stored = Number(credential.counter);
      let verified;
      try {
        verified = await verifyAuthenticationResponse({
          response: input.response,
          expectedChallenge: challenge,
          expectedOrigin: rp.origin,
          expectedRPID: rp.rpId,
          requireUserVerification: true,
          credential: { id: credential.id, publicKey: isoBase64URL.toBuffer(credential.public_key), counter: 0, transports: JSON.parse(credential.transports) as AuthenticatorTransport[] },
        });
      } catch (error) {
        throw await fail((error as Error).message.includes('verif') ? 'user_not_verified' : 'verification_failed', 'The security key could not be verified.', { ...withChallenge, userId: credential.user_id, credentialId: credential.id });
      }
      if (!verified.verified) throw await fail('verification_failed', 'The security key could not be verified.', { ...withChallenge, credentialId: credential.id });
      // 5. The counter must not go backwards (0 staying 0 is a synced passkey): a clone, refused and audited.
      const reported = verified.authenticationInfo.newCounter;
      if ((reported > 0 || stored > 0) && reported <= stored) {
        // A clone: the key is suspended until IT has looked (reset-credentials clears it).
        await together(async () => {
          await store.suspendCredential(credential.id, now());
          await audit.append({ type: 'webauthn.counter_regression', actor: credential.user_id, subject: credential.id, data: { stored, reported, binding: input.binding, suspended: true } });
        });
        throw await fail('counter_regression', 'This security key may have been cloned. Call the service desk.', { ...withChallenge, userId: credential.user_id, credentialId: credential.id });
      }
      // 6. Record the new counter atomically: a parallel replay of the same assertion loses here.
      const advanced = await together(async () => {
        if (!(await store.advanceCounter(credential.id, stored, verified.authenticationInfo.newCounter, now()))) return false;
        await store.setChallengeOutcome(challenge, 'success');
        await audit.append({ type: 'webauthn.asserted', actor: credential.user_id, subject: credential.id, data: { ceremony: input.ceremony, binding: input.binding } });
        return true;
      });
      if (!advanced) throw await fail('replay', 'This security key response was already used.', { ...withChallenge, credentialId: credential.id });
      return { userId: credential.user_id, credentialId: credential.id, method: amrMethodOf(credential.device_type) };
    },

    async rename(userId: string, credentialId: string, nickname: string): Promise<void> {
      const clean = nickname.trim();
      if (!clean || clean.length > 100) throw new AppError('invalid_input', 'nickname: must be 1-100 characters');
      await together(async () => {
        if (!(await store.renameCredential(credentialId, userId, clean))) throw new AppError('not_found', 'No such security key.');
        await audit.append({ type: 'webauthn.renamed', actor: userId, subject: credentialId, data: { nickname: clean } });
      });
    },

    /** Removes one credential; the last one cannot be removed without IT (reset). Atomic per user. */
    async remove(userId: string, credentialId: string): Promise<void> {
      await together(async () => {
        const outcome = await store.removeUnlessLast(userId, credentialId);
        if (outcome === 'last') throw new AppError('conflict', 'This is your last security key. Ask IT to remove it, so that you are never left without one.');
        if (outcome === 'not_found') throw new AppError('not_found', 'No such security key.');
        await audit.append({ type: 'webauthn.removed', actor: userId, subject: credentialId, data: {} });
      });
    },

    /** IT: clears every credential of a user. */
    async reset(userId: string, by: string): Promise<number> {
      return together(async () => {
        const removed = await store.deleteCredentialsOf(userId);
        // Whatever let someone register a key for this person before is void too.
        await store.revokeLinksOf(userId, now());
        await audit.append({ type: 'webauthn.reset', actor: by, subject: userId, data: { removed } });
        return removed;
      });
    },

    /** IT: a one-time link (24 h) with which a user without a key enrolls one. */
    async createEnrollmentLink(userId: string, by: string, issuer: string): Promise<{ url: string; expiresAt: string }> {
      const token = newToken();
      const expiresAt = now() + ENROLLMENT_LINK_TTL_MS;
      await together(async () => {
        // One live link per person: a new one voids the others.
        await store.revokeLinksOf(userId, now());
        await store.insertLink({ token_hash: hashToken(token), user_id: userId, created_by: by, created_at: now(), expires_at: expiresAt, used_at: null });
        await audit.append({ type: 'webauthn.enrollment_link', actor: by, subject: userId, data: { expiresAt } });
      });
      return { url: `${issuer}/enroll/${token}`, expiresAt: new Date(expiresAt).toISOString() };
    },

    async liveLink(token: string) {
      return store.findLiveLink(hashToken(token), now());
    },

    async useLink(token: string): Promise<boolean> {
      return store.useLink(hashToken(token), now());
    },
  };
}

export type WebAuthn = ReturnType<typeof createWebAuthn>;
