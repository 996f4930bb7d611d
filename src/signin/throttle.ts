/**
 * Rate limiting of password and security-key checks, independent of scoring. Counters live in the
 * database (failed_attempts) so they survive restarts and every process sees them.
 *
 * An attempt is reserved before its password (argon2) or key is checked, in one atomic step with
 * the count it is judged against (store/failed-attempts.ts `reserve`), and confirmed as a failure
 * or released once checked. So however many guesses arrive at the same moment, on however many
 * processes sharing one PostgreSQL, no more checks start than the limit lets through; every other
 * one is answered 429 with Retry-After.
 *
 * - Per name (a username, or for keys the person), per zone (on premises / remote), per kind
 *   (passwords and keys count apart): after 10 in 15 minutes each further attempt waits
 *   2^(n-10) seconds after the last, capped at 60 seconds. The cap means a flood of wrong guesses
 *   only slows an account, never locks it; and because remote failures do not count against
 *   attempts from the hospital's own networks, an attacker outside cannot slow a clinician at a
 *   ward terminal at all. A successful sign-in resets the name's count (see `clear`).
 * - Per address, per kind: after 30 in 15 minutes, waits grow the same way, capped at 15 minutes.
 */
import type { AttemptKind, BucketState, FailedAttemptStore, Zone } from '../store/failed-attempts.ts';

export const THROTTLE = {
  windowMs: 15 * 60_000,
  username: { free: 10, capMs: 60_000 },
  ip: { free: 30, capMs: 15 * 60_000 },
} as const;

export interface AttemptInput {
  kind: AttemptKind;
  /** The username key typed, or for a security key the person (`webauthn` kind). */
  usernameKey: string;
  userId: string | null;
  ip: string;
  zone: Zone;
  now: number;
}

/** A reserved attempt: its check may run; then `failed` or `succeeded` (or `released` when it was never judged). */
export interface Reservation {
  id: number;
}

function waitMs(count: number, free: number, capMs: number): number {
  if (count < free) return 0;
  return Math.min(capMs, 1000 * 2 ** Math.min(30, count - free));
}

/** Milliseconds until the next attempt of this bucket may start (0: now). */
function remainingMs(state: { username: BucketState; ip: BucketState }, now: number): number {
  const remaining = (bucket: BucketState, free: number, capMs: number) => (bucket.last === null ? 0 : Math.max(0, bucket.last + waitMs(bucket.count, free, capMs) - now));
  return Math.max(remaining(state.username, THROTTLE.username.free, THROTTLE.username.capMs), remaining(state.ip, THROTTLE.ip.free, THROTTLE.ip.capMs));
}

const bucketOf = (input: Omit<AttemptInput, 'userId'>) => ({ kind: input.kind, usernameKey: input.usernameKey, zone: input.zone, ip: input.ip, since: input.now - THROTTLE.windowMs, at: input.now });

export function createThrottle(store: FailedAttemptStore) {
  return {
    /** Seconds to wait before another attempt of this kind is accepted, or 0 (reserves nothing). */
    async retryAfter(input: Omit<AttemptInput, 'userId'>): Promise<number> {
      return Math.ceil(remainingMs(await store.recent(bucketOf(input)), input.now) / 1000);
    },

    /** Reserves the right to check one password or key, or says how many seconds to wait first. */
    async reserve(input: AttemptInput): Promise<Reservation | { retryAfter: number }> {
      const result = await store.reserve({ ...bucketOf(input), userId: input.userId }, (state) => remainingMs(state, input.now));
      return 'id' in result ? { id: result.id } : { retryAfter: Math.max(1, Math.ceil(result.waitMs / 1000)) };
    },

    /** The checked password or key was wrong: the reservation stays, as a failure. */
    failed(reservation: Reservation, userId: string | null): Promise<void> {
      return store.confirm(reservation.id, userId);
    },

    /** The check passed, or was never made: the reservation is given back. */
    released(reservation: Reservation): Promise<void> {
      return store.release(reservation.id);
    },

    /**
     * NIST SP 800-63B: a successful sign-in resets the failure count. One that met the required
     * proof resets the person's password failures in the zone it happened in; a verified security
     * key resets every failure of the person, everywhere. Addresses keep their counts.
     */
    clear(input: { userId: string; usernameKey: string; zone: Zone | 'everywhere'; now: number }): Promise<number> {
      return store.clear({ userId: input.userId, usernameKey: input.usernameKey, zone: input.zone, at: input.now });
    },

    async prune(now: number): Promise<number> {
      // Counters are only read within the window; keep a day for the velocity signal and support.
      return store.deleteBefore(now - 24 * 3600_000);
    },
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
