/**
 * A unit of work: a state change and its audit entry commit together or not at all.
 *
 * `createDb` hands out the knex instance through `scoped(root)`, and `inTransaction(db, work)` runs
 * `work` in one database transaction: every query that `work` makes through that instance, however
 * deep in the stores and services it is made, goes to the transaction (AsyncLocalStorage carries it
 * along the calls, the way a request context is carried). So a service keeps taking its stores as
 * it always did, and the caller decides what must commit together: the admin API around each
 * change, the CLI around each command that writes, the sign-in around a decision and its entry.
 *
 * Nested `inTransaction` calls join the outer one; a `db.transaction()` inside one becomes a
 * savepoint (knex's own nesting). Work that outlives its transaction (nothing should) falls back to
 * the root instance rather than failing on a finished transaction.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';

interface Unit {
  root: Knex;
  trx: Knex.Transaction;
}

const current = new AsyncLocalStorage<Unit>();
const roots = new WeakMap<object, Knex>();

/** The instance queries should go to now: the running unit's transaction on this database, else the root. */
function target(root: Knex): Knex {
  const unit = current.getStore();
  return unit && unit.root === root && !unit.trx.isCompleted() ? unit.trx : root;
}

/** The root instance wrapped so that inside `inTransaction` it speaks for the unit's transaction. */
export function scoped(root: Knex): Knex {
  const proxy = new Proxy(root, {
    apply(_root, thisArg, args: unknown[]) {
      return Reflect.apply(target(root) as unknown as (...a: unknown[]) => unknown, thisArg, args);
    },
    get(_root, property) {
      const instance = target(root);
      const value = Reflect.get(instance, property, instance) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(instance) : value;
    },
  });
  roots.set(proxy, root);
  return proxy;
}

/** Runs `work` in one transaction of `db` (joining one already running on it); commits when it resolves, rolls back when it throws. */
export async function inTransaction<T>(db: Knex, work: () => Promise<T>): Promise<T> {
  const root = roots.get(db) ?? db;
  const unit = current.getStore();
  if (unit && unit.root === root && !unit.trx.isCompleted()) return work();
  return root.transaction((trx) => current.run({ root, trx }, work));
}

/** Whether a unit of work is running on `db` here (the audit log asserts it where a change must be joined). */
export function inUnitOfWork(db: Knex): boolean {
  const unit = current.getStore();
  return unit !== undefined && unit.root === (roots.get(db) ?? db) && !unit.trx.isCompleted();
}
