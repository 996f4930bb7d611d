/**
 * Which policy a decision is made with. With per-decision ports that report the active policy
 * version (PostgreSQL), the assessor decides with the policy it last read and decides again with a
 * fresh one when the data came with another version, or when nothing was read to tell; without them
 * (SQLite) it reads the active policy for every decision. And the policy cache itself, on an
 * in-memory database: another instance's activation shows only when read again; the cached
 * policy is frozen, `active()` is not.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/log.ts';
import { createPolicies, type Policies } from '../../../src/policy/policies.ts';
import { DEFAULT_POLICY, policySchema, type VersionedPolicy } from '../../../src/risk/policy.ts';
import type { RiskPorts } from '../../../src/risk/ports.ts';
import type { Signal } from '../../../src/risk/signals/signal.ts';
import { createAssessor, type AssessorDeps, type DecisionPorts } from '../../../src/signin/assessor.ts';
import { createDb, type Db } from '../../../src/store/db.ts';
import { migrateLatest } from '../../../src/store/migrate.ts';
import { contextWith } from '../risk/signals/fake-ports.ts';

const context = contextWith({ ip: '10.20.1.5' });

/** Version n steps up at n points; the one signal finds 2 points' worth, so versions 1 and 2 step up and 3 allows. */
const version = (n: number): VersionedPolicy => ({
  version: n,
  document: policySchema.parse({ ...DEFAULT_POLICY, weights: { ...DEFAULT_POLICY.weights, remote: 2 }, thresholds: { stepUp: n, deny: 1000 } }),
});

/** The "database": which version is active, and how many statements were sent. */
function world(active: number, options: { reads?: boolean; activateOnEachRead?: boolean } = {}) {
  const state = { active, statements: 0 };
  const policies = {
    cached: vi.fn(async () => version(1)),
    refresh: vi.fn(async () => version(state.active)),
    active: vi.fn(async () => version(state.active)),
  };
  const decisionPorts = vi.fn((): DecisionPorts => {
    const seen: number[] = [];
    const ports = {
      sites: {
        containing: async () => {
          state.statements++;
          if (options.activateOnEachRead) state.active++;
          seen.push(state.active);
          return null;
        },
      },
    } as unknown as RiskPorts;
    return { ports, policyVersions: () => seen };
  });
  const signal: Signal = {
    id: 'network',
    needsUser: false,
    async evaluate(_context, ports) {
      if (options.reads !== false) await ports.sites.containing('10.20.1.5');
      return [{ code: 'remote', details: {} }];
    },
  };
  const decided = vi.fn();
  const deps = {
    ports: {} as RiskPorts,
    decisionPorts,
    signals: [signal],
    policies: policies as unknown as Policies,
    decisions: {} as AssessorDeps['decisions'],
    audit: {} as AssessorDeps['audit'],
    unit: (work) => work(),
    observer: { decided },
    log: createLogger('silent'),
  } satisfies AssessorDeps;
  return { state, policies, decisionPorts, decided, deps };
}

describe('the policy a decision is made with', () => {
  it('is the cached one while the data comes with its version: no policy read', async () => {
    const w = world(1);
    const decision = await createAssessor(w.deps).evaluate(context, 'password');
    expect(decision).toMatchObject({ policyVersion: 1, outcome: 'step_up' });
    expect(w.policies.refresh).not.toHaveBeenCalled();
    expect(w.policies.active).not.toHaveBeenCalled();
    expect(w.state.statements).toBe(1);
    expect(w.decided).toHaveBeenCalledTimes(1);
  });

  it('is read again when the data came with another version, and the decision made again with it', async () => {
    const w = world(3);
    const decision = await createAssessor(w.deps).evaluate(context, 'password');
    expect(decision).toMatchObject({ policyVersion: 3, outcome: 'allow' });
    expect(w.policies.refresh).toHaveBeenCalledTimes(1);
    expect(w.decisionPorts).toHaveBeenCalledTimes(2);
    expect(w.decided).toHaveBeenCalledTimes(1);
    expect(w.decided.mock.calls[0]![0]).toBe(decision);
  });

  it('is read when the decision read nothing that tells the version, and kept when still active', async () => {
    const w = world(1, { reads: false });
    expect(await createAssessor(w.deps).evaluate(context, 'password')).toMatchObject({ policyVersion: 1 });
    expect(w.policies.refresh).toHaveBeenCalledTimes(1);
    expect(w.decisionPorts).toHaveBeenCalledTimes(1);

    const changed = world(3, { reads: false });
    expect(await createAssessor(changed.deps).evaluate(context, 'password')).toMatchObject({ policyVersion: 3, outcome: 'allow' });
  });

  it('stops deciding again after a few rounds when versions keep being activated, with the last policy read', async () => {
    const w = world(1, { activateOnEachRead: true });
    const decision = await createAssessor(w.deps).evaluate(context, 'password');
    expect(w.decisionPorts.mock.calls.length).toBeLessThanOrEqual(4);
    expect(decision.policyVersion).toBe(w.policies.refresh.mock.results.length + 1);
  });

  it('is read for every decision without per-decision ports (SQLite)', async () => {
    const w = world(2);
    const { decisionPorts: _unused, ...deps } = w.deps;
    const assessor = createAssessor({ ...deps, ports: w.decisionPorts().ports });
    expect(await assessor.evaluate(context, 'password')).toMatchObject({ policyVersion: 2 });
    expect(await assessor.evaluate(context, 'password')).toMatchObject({ policyVersion: 2 });
    expect(w.policies.active).toHaveBeenCalledTimes(2);
    expect(w.policies.cached).not.toHaveBeenCalled();
  });
});

describe('the policy cache', () => {
  let db: Db;
  beforeEach(async () => {
    db = createDb({ client: 'sqlite', filename: ':memory:' });
    await migrateLatest(db);
  });
  afterEach(() => db.destroy());

  it('keeps what it read until refreshed; active() always reads', async () => {
    const here = createPolicies(db);
    const elsewhere = createPolicies(db);
    await here.ensureDefault();
    expect((await here.cached()).version).toBe(1);
    const saved = await elsewhere.save({ ...DEFAULT_POLICY, thresholds: { stepUp: 50, deny: 300 } }, 'it', { activate: true });
    expect((await here.cached()).version).toBe(1);
    expect((await here.active()).version).toBe(saved.version);
    expect((await here.refresh()).version).toBe(saved.version);
    expect((await here.cached()).document.thresholds).toEqual({ stepUp: 50, deny: 300 });
  });

  it('shares a frozen policy, and gives active() callers their own', async () => {
    const policies = createPolicies(db);
    await policies.ensureDefault();
    const cached = await policies.cached();
    expect(Object.isFrozen(cached.document.thresholds)).toBe(true);
    expect(Object.isFrozen(cached.document.rules[0]!.when)).toBe(true);
    const own = await policies.active();
    own.document.thresholds.stepUp = 1;
    expect((await policies.cached()).document.thresholds.stepUp).toBe(DEFAULT_POLICY.thresholds.stepUp);
  });

  it('reads again after a failed read', async () => {
    const policies = createPolicies(db);
    await expect(policies.cached()).rejects.toThrow('no active policy');
    await policies.ensureDefault();
    expect((await policies.cached()).version).toBe(1);
  });
});
