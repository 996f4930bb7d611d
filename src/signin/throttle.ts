/**
 * Rate limiting of the password POST, independent of scoring. Counters live in the database
 * (failed_attempts) so they survive restarts and every process sees them.
 *
 * - Per username, per zone (on premises / remote): after 10 failures in 15 minutes each further
 *   attempt waits 2^(n-10) seconds after the last failure, capped at 60 seconds. The cap means a
 *   flood of wrong guesses only slows an account, never locks it; and because remote failures do
 *   not count against sign-ins from the hospital's own networks, an attacker outside cannot slow a
 *   clinician at a ward terminal at all.
 * - Per IP: after 30 failures in 15 minutes, waits grow the same way, capped at 15 minutes.
 */
import type { FailedAttemptStore, Zone } from '../store/failed-attempts.ts';

export const THROTTLE = {
  windowMs: 15 * 60_000,
  username: { free: 10, capMs: 60_000 },
  ip: { free: 30, capMs: 15 * 60_000 },
} as const;

function waitMs(count: number, free: number, capMs: number): number {
  if (count < free) return 0;
  return Math.min(capMs, 1000 * 2 ** Math.min(30, count - free));
}

export function createThrottle(store: FailedAttemptStore) {
  return {
    /** Seconds to wait before another password attempt is accepted, or 0. */
    async retryAfter(input: { usernameKey: string; ip: string; zone: Zone; now: number }): Promise<number> {
      const recent = await store.recent({ usernameKey: input.usernameKey, zone: input.zone, ip: input.ip, since: input.now - THROTTLE.windowMs });
      const remaining = (state: { count: number; last: number | null }, free: number, capMs: number) =>
        state.last === null ? 0 : Math.max(0, state.last + waitMs(state.count, free, capMs) - input.now);
      const ms = Math.max(remaining(recent.username, THROTTLE.username.free, THROTTLE.username.capMs), remaining(recent.ip, THROTTLE.ip.free, THROTTLE.ip.capMs));
      return Math.ceil(ms / 1000);
    },
    async recordFailure(input: { usernameKey: string; userId: string | null; ip: string; zone: Zone; now: number }): Promise<void> {
      await store.insert({ at: input.now, ip: input.ip, username_key: input.usernameKey, user_id: input.userId, zone: input.zone });
    },
    async prune(now: number): Promise<number> {
      // Counters are only read within the window; keep a day for the velocity signal and support.
      return store.deleteBefore(now - 24 * 3600_000);
    },
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
