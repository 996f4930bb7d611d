/**
 * kill -9 under sign-in load, again and again, on the embedded SQLite: no decision is ever left
 * without its audit entry, and the chain holds. (The PostgreSQL run is test/postgres/crash-decisions.test.ts.)
 */
import { describe, it } from 'vitest';
import { expectEveryDecisionAudited } from '../helpers/crash-loop.ts';

describe('kill -9 during sign-ins on SQLite', () => {
  it('leaves no decision without its audit entry', () => expectEveryDecisionAudited('sqlite'), 180_000);
});
