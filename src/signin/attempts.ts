/**
 * The audit entries of sign-in attempts. Every attempt (a password posted, a security key offered
 * for a step-up or a passkey sign-in, a password typed again to register a key) appends exactly one
 * `sign_in.*` entry, in the same transaction as what the attempt changed:
 *
 * | entry                 | when                                                                   |
 * |-----------------------|------------------------------------------------------------------------|
 * | `sign_in.decision`    | the context was judged: refused before the password, or a right password or verified passkey (assessor.ts) |
 * | `sign_in.failed`      | wrong password, unknown user, disabled account, unreadable form, refused security key |
 * | `sign_in.throttled`   | refused unchecked: too many attempts (429)                             |
 * | `sign_in.stepped_up`  | a step-up finished with a verified security key (acr phr)              |
 *
 * A security key's own events (`webauthn.asserted`, `webauthn.failed`, ...) are written by
 * webauthn/service.ts besides, about the key rather than the attempt.
 *
 * `typedUsername` is what the person typed, unverified: kept so that the service desk can answer
 * "why was I refused" by name. It may be a mistyped name or, rarely, a password typed in the wrong
 * field; the audit log is readable only by IT (docs/policy.md, "What the audit log keeps").
 */
import type { AuditEvent } from '../audit/log.ts';

/** Which step the attempt was. */
export type AttemptMethod = 'password' | 'passkey' | 'step_up' | 'enroll';

/** Why an attempt failed; a refused key says the key check's own reason after `webauthn:`. */
export type FailureReason = 'wrong_password' | 'unknown_user' | 'account_disabled' | 'invalid_input' | `webauthn:${string}`;

interface Attempt {
  method: AttemptMethod;
  /** The person, when known (a known username, the person waiting for a step-up). */
  userId: string | null;
  typedUsername: string | null;
  ip: string;
  /** The relying app the sign-in is for. */
  clientId: string;
  at: number;
}

/** The longest typed username kept (the form accepts no more). */
const MAX_TYPED = 256;

const common = (attempt: Attempt) => ({
  actor: attempt.userId,
  subject: attempt.clientId,
  at: attempt.at,
});

const typed = (name: string | null) => (name === null ? null : name.slice(0, MAX_TYPED));

export function attemptFailed(attempt: Attempt & { reason: FailureReason; credentialId?: string | null }): AuditEvent {
  return {
    type: 'sign_in.failed',
    ...common(attempt),
    data: { method: attempt.method, reason: attempt.reason, typedUsername: typed(attempt.typedUsername), ip: attempt.ip, ...(attempt.credentialId ? { credentialId: attempt.credentialId } : {}) },
  };
}

export function attemptThrottled(attempt: Attempt & { retryAfter: number }): AuditEvent {
  return {
    type: 'sign_in.throttled',
    ...common(attempt),
    data: { method: attempt.method, retryAfter: attempt.retryAfter, typedUsername: typed(attempt.typedUsername), ip: attempt.ip },
  };
}

export function steppedUp(attempt: Omit<Attempt, 'typedUsername'> & { userId: string; username: string; decisionId: string; acr: string; amr: readonly string[]; credentialId: string }): AuditEvent {
  return {
    type: 'sign_in.stepped_up',
    ...common({ ...attempt, typedUsername: null }),
    data: { method: attempt.method, decisionId: attempt.decisionId, acr: attempt.acr, amr: [...attempt.amr], credentialId: attempt.credentialId, username: attempt.username, ip: attempt.ip },
  };
}
