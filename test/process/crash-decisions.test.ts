/**
 * kill -9 under sign-in load, again and again, on the embedded SQLite: no decision is ever left
 * without its audit entry, and the chain holds. (The PostgreSQL run is test/postgres/crash-decisions.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.ts';
import { crashLoop } from '../helpers/crash-loop.ts';

describe('kill -9 during sign-ins on SQLite', () => {
  it('leaves no decision without its audit entry', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const result = await crashLoop(db, { kills: 5, concurrency: 16, answersBeforeKill: 40 });
      expect(result.decisions).toBeGreaterThan(5 * 40 * 0.5);
      expect(result.withoutEntry).toEqual([]);
      expect(result.chain.valid).toBe(true);
    } finally {
      await db.drop();
    }
  }, 180_000);
});
