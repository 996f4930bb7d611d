/**
 * The password POST's rate limit, on a real (in-memory) database: it slows, never locks; remote
 * failures never slow a sign-in from the hospital's own networks; old failures age out.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createThrottle, THROTTLE } from '../../../src/signin/throttle.ts';
import { createDb, type Db } from '../../../src/store/db.ts';
import { createFailedAttemptStore } from '../../../src/store/failed-attempts.ts';
import { migrateLatest } from '../../../src/store/migrate.ts';

describe('sign-in throttle', () => {
  let db: Db;
  let throttle: ReturnType<typeof createThrottle>;
  const t0 = 1_800_000_000_000;

  beforeEach(async () => {
    db = createDb({ client: 'sqlite', filename: ':memory:' });
    await migrateLatest(db);
    throttle = createThrottle(createFailedAttemptStore(db));
  });
  afterEach(() => db.destroy());

  const fail = async (n: number, at: number, zone: 'remote' | 'on_premises' = 'remote', ip = '203.0.113.9') => {
    for (let i = 0; i < n; i++) await throttle.recordFailure({ usernameKey: 'm.grey', userId: 'u1', ip, zone, now: at });
  };

  it('lets the first failures through without waiting', async () => {
    await fail(THROTTLE.username.free - 1, t0);
    expect(await throttle.retryAfter({ usernameKey: 'm.grey', ip: '203.0.113.9', zone: 'remote', now: t0 + 1 })).toBe(0);
  });

  it('then doubles the wait after each further failure, never beyond 60 seconds', async () => {
    await fail(THROTTLE.username.free, t0, 'remote', '198.51.100.1');
    expect(await throttle.retryAfter({ usernameKey: 'm.grey', ip: '192.0.2.1', zone: 'remote', now: t0 })).toBe(1);
    await fail(3, t0, 'remote', '198.51.100.2');
    expect(await throttle.retryAfter({ usernameKey: 'm.grey', ip: '192.0.2.1', zone: 'remote', now: t0 })).toBe(8);
    await fail(20, t0, 'remote', '198.51.100.3');
    expect(await throttle.retryAfter({ usernameKey: 'm.grey', ip: '192.0.2.1', zone: 'remote', now: t0 })).toBe(60);
    // Waiting out the delay is enough: the account is slowed, not locked.
    expect(await throttle.retryAfter({ usernameKey: 'm.grey', ip: '192.0.2.1', zone: 'remote', now: t0 + 60_000 })).toBe(0);
  });

  it('does not slow a sign-in from the hospital network because of failures from outside', async () => {
    await fail(50, t0, 'remote', '198.51.100.7');
    expect(await throttle.retryAfter({ usernameKey: 'm.grey', ip: '10.20.1.5', zone: 'on_premises', now: t0 + 1 })).toBe(0);
  });

  it('slows one address that fails against many accounts', async () => {
    for (let i = 0; i < THROTTLE.ip.free + 2; i++) {
      await throttle.recordFailure({ usernameKey: `user.${i}`, userId: null, ip: '198.51.100.66', zone: 'remote', now: t0 });
    }
    expect(await throttle.retryAfter({ usernameKey: 'someone.new', ip: '198.51.100.66', zone: 'remote', now: t0 })).toBe(4);
  });

  it('forgets failures older than the window, and prunes records older than a day', async () => {
    await fail(40, t0);
    expect(await throttle.retryAfter({ usernameKey: 'm.grey', ip: '203.0.113.9', zone: 'remote', now: t0 + THROTTLE.windowMs + 1 })).toBe(0);
    expect(await throttle.prune(t0 + 24 * 3600_000 + 1)).toBe(40);
  });
});
