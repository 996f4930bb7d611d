/**
 * The rate limit of password and key checks, on a real (in-memory) database: it slows, never locks;
 * remote failures never slow a sign-in from the hospital's own networks; old failures age out; a
 * check is reserved before it runs, so reservations in flight count; a success resets the name.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createThrottle, THROTTLE } from '../../../src/signin/throttle.ts';
import { createDb, type Db } from '../../../src/store/db.ts';
import { createFailedAttemptStore, PENDING_TTL_MS } from '../../../src/store/failed-attempts.ts';
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

  const failure = (at: number, ip: string, zone: 'remote' | 'on_premises', usernameKey = 'm.grey', kind: 'password' | 'webauthn' = 'password') =>
    ({ at, ip, username_key: usernameKey, user_id: usernameKey === 'm.grey' ? 'u1' : null, zone, kind, pending: false, cleared_at: null });
  const fail = async (n: number, at: number, zone: 'remote' | 'on_premises' = 'remote', ip = '203.0.113.9') => {
    await db('failed_attempts').insert(Array.from({ length: n }, () => failure(at, ip, zone)));
  };
  const attempt = (over: Partial<Parameters<typeof throttle.reserve>[0]> = {}) =>
    ({ kind: 'password', usernameKey: 'm.grey', userId: null, ip: '203.0.113.9', zone: 'remote', now: t0, ...over }) as const;
  const wait = (over: Partial<Parameters<typeof throttle.reserve>[0]> = {}) => throttle.retryAfter(attempt(over));

  it('lets the first failures through without waiting', async () => {
    await fail(THROTTLE.username.free - 1, t0);
    expect(await wait({ usernameKey: 'm.grey', ip: '203.0.113.9', zone: 'remote', now: t0 + 1 })).toBe(0);
  });

  it('then doubles the wait after each further failure, never beyond 60 seconds', async () => {
    await fail(THROTTLE.username.free, t0, 'remote', '198.51.100.1');
    expect(await wait({ usernameKey: 'm.grey', ip: '192.0.2.1', zone: 'remote', now: t0 })).toBe(1);
    await fail(3, t0, 'remote', '198.51.100.2');
    expect(await wait({ usernameKey: 'm.grey', ip: '192.0.2.1', zone: 'remote', now: t0 })).toBe(8);
    await fail(20, t0, 'remote', '198.51.100.3');
    expect(await wait({ usernameKey: 'm.grey', ip: '192.0.2.1', zone: 'remote', now: t0 })).toBe(60);
    // Waiting out the delay is enough: the account is slowed, not locked.
    expect(await wait({ usernameKey: 'm.grey', ip: '192.0.2.1', zone: 'remote', now: t0 + 60_000 })).toBe(0);
  });

  it('does not slow a sign-in from the hospital network because of failures from outside', async () => {
    await fail(50, t0, 'remote', '198.51.100.7');
    expect(await wait({ usernameKey: 'm.grey', ip: '10.20.1.5', zone: 'on_premises', now: t0 + 1 })).toBe(0);
  });

  it('slows one address that fails against many accounts', async () => {
    await db('failed_attempts').insert(Array.from({ length: THROTTLE.ip.free + 2 }, (_, i) => failure(t0, '198.51.100.66', 'remote', `user.${i}`)));
    expect(await wait({ usernameKey: 'someone.new', ip: '198.51.100.66', zone: 'remote', now: t0 })).toBe(4);
  });

  it('forgets failures older than the window, and prunes records older than a day', async () => {
    await fail(40, t0);
    expect(await wait({ usernameKey: 'm.grey', ip: '203.0.113.9', zone: 'remote', now: t0 + THROTTLE.windowMs + 1 })).toBe(0);
    expect(await throttle.prune(t0 + 24 * 3600_000 + 1)).toBe(40);
  });

  it('counts checks in flight: no more reservations start than the limit lets through', async () => {
    const granted = [];
    for (let i = 0; i < THROTTLE.username.free; i++) granted.push(await throttle.reserve(attempt({ ip: `198.51.100.${i}` })));
    expect(granted.every((r) => 'id' in r)).toBe(true);
    // Nothing was judged yet, and the next one already waits (at least a second, never 0).
    expect(await throttle.reserve(attempt({ ip: '198.51.100.99' }))).toEqual({ retryAfter: 1 });
  });

  it('gives back a released reservation, and keeps a failed one as a failure', async () => {
    const first = await throttle.reserve(attempt());
    const second = await throttle.reserve(attempt());
    if (!('id' in first) || !('id' in second)) throw new Error('expected reservations');
    await throttle.released(first);
    await throttle.failed(second, 'u1');
    const rows = await db('failed_attempts').select('pending', 'user_id');
    expect(rows).toEqual([{ pending: 0, user_id: 'u1' }]);
  });

  it('a success resets the name in its zone, not the address', async () => {
    await fail(THROTTLE.username.free, t0, 'remote', '198.51.100.1');
    expect(await wait({ ip: '192.0.2.1' })).toBe(1);
    expect(await throttle.clear({ userId: 'u1', usernameKey: 'm.grey', zone: 'on_premises', now: t0 })).toBe(0);
    expect(await throttle.clear({ userId: 'u1', usernameKey: 'm.grey', zone: 'remote', now: t0 })).toBe(THROTTLE.username.free);
    expect(await wait({ ip: '192.0.2.1' })).toBe(0);
    // The address those failures came from is still counted against.
    await fail(THROTTLE.ip.free - THROTTLE.username.free, t0, 'remote', '198.51.100.1');
    expect(await wait({ usernameKey: 'someone.else', ip: '198.51.100.1' })).toBe(1);
  });

  it('counts refused security keys apart from passwords', async () => {
    await db('failed_attempts').insert(Array.from({ length: THROTTLE.ip.free + 5 }, (_, i) => failure(t0, '198.51.100.8', 'remote', `user.${i}`, 'webauthn')));
    expect(await wait({ ip: '198.51.100.8' })).toBe(0);
    expect(await wait({ kind: 'webauthn', usernameKey: 'anyone', ip: '198.51.100.8' })).toBe(32);
  });

  it('stops holding anyone back with a reservation its process left when it died', async () => {
    for (let i = 0; i < THROTTLE.username.free; i++) expect('id' in (await throttle.reserve(attempt({ ip: `198.51.100.${i}` })))).toBe(true);
    expect(await wait({ ip: '192.0.2.1' })).toBe(1);
    // Never settled (kill -9 during the check): past PENDING_TTL_MS it counts no more.
    expect(await wait({ ip: '192.0.2.1', now: t0 + PENDING_TTL_MS + 1 })).toBe(0);
  });
});

