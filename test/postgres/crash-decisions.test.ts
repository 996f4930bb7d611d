/**
 * kill -9 under sign-in load, again and again, on PostgreSQL: no decision is ever left without its
 * audit entry, and the chain holds. (The SQLite run is test/process/crash-decisions.test.ts.)
 */
import { describe, it } from 'vitest';
import { databaseUnavailable } from '../helpers/database.ts';
import { expectEveryDecisionAudited } from '../helpers/crash-loop.ts';

describe.skipIf(databaseUnavailable())('kill -9 during sign-ins on PostgreSQL', () => {
  it('leaves no decision without its audit entry', () => expectEveryDecisionAudited('postgres'), 180_000);
});
