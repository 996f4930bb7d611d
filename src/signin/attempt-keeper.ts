/**
 * Keeping count of one sign-in attempt (a password or a security key to check), Koa-free:
 *
 *   begin   reserve the check with the throttle, atomically with the count it is judged against;
 *           refused unchecked (and audited as `sign_in.throttled`) when the bucket is full
 *   fail    the check failed: the reservation stays as a failure (or is given back when the
 *           attempt was no guess, e.g. a disabled account) and `sign_in.failed` is appended, in
 *           one transaction
 *   succeed the check passed: the reservation is given back in one transaction with whatever
 *           else the success writes (the decision and its entry, history, the count's reset)
 *   abandon in a `finally`: a reservation neither failed nor succeeded (an error on the way) is
 *           given back, so an error is never counted as a guess
 */
import type { AuditLog } from '../audit/log.ts';
import type { Logger } from '../log.ts';
import { attemptFailed, attemptThrottled, type AttemptMethod, type FailureReason } from './attempts.ts';
import type { AttemptInput, Reservation, Throttle } from './throttle.ts';

export interface AttemptKeeperDeps {
  throttle: Throttle;
  audit: AuditLog;
  unit<T>(work: () => Promise<T>): Promise<T>;
  now(): Date;
  log: Logger;
}

/** Who and what an attempt is, for its throttle bucket and its audit entry. */
export interface AttemptFacts extends AttemptInput {
  method: AttemptMethod;
  typedUsername: string | null;
  clientId: string;
}

/** An attempt whose check may run: settled once it failed or succeeded. */
export interface HeldAttempt {
  facts: AttemptFacts;
  reservation: Reservation;
  settled: boolean;
}

export function createAttemptKeeper(deps: AttemptKeeperDeps) {
  return {
    async begin(facts: AttemptFacts): Promise<HeldAttempt | { retryAfter: number }> {
      const reservation = await deps.throttle.reserve(facts);
      if ('retryAfter' in reservation) {
        await deps.audit.append(attemptThrottled({ ...facts, at: facts.now, retryAfter: reservation.retryAfter }));
        return reservation;
      }
      return { facts, reservation, settled: false };
    },

    /** `countsAsGuess`: false when the attempt failed for another reason than a wrong secret. */
    async fail(held: HeldAttempt, failure: { reason: FailureReason; userId: string | null; countsAsGuess: boolean; credentialId?: string | null }): Promise<void> {
      await deps.unit(async () => {
        if (failure.countsAsGuess) await deps.throttle.failed(held.reservation, failure.userId);
        else await deps.throttle.released(held.reservation);
        await deps.audit.append(attemptFailed({ ...held.facts, ...failure, at: deps.now().getTime() }));
      });
      held.settled = true;
    },

    async succeed(held: HeldAttempt, work: () => Promise<void>): Promise<void> {
      await deps.unit(async () => {
        await deps.throttle.released(held.reservation);
        await work();
      });
      held.settled = true;
    },

    async abandon(held: HeldAttempt): Promise<void> {
      if (held.settled) return;
      held.settled = true;
      await deps.throttle.released(held.reservation).catch((error: unknown) => deps.log.warn({ err: error, reservation: held.reservation.id }, 'could not give back a sign-in attempt reservation'));
    },
  };
}

export type AttemptKeeper = ReturnType<typeof createAttemptKeeper>;
