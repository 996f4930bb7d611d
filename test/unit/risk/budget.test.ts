/**
 * Signal budgets catch a slow or hung dependency, not a busy process (src/risk/budget.ts): a port
 * that answered while the event loop was blocked is not a timeout; a port that hangs still ends in
 * its signal's failure mode, at the budget on an idle process and at the hard cap on a process
 * that is never idle; a port that fails takes the failure mode as before. Time is injected (a
 * BudgetClock over vitest's fake timers), except where the test is the event loop itself.
 */
import fs from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HARD_CAP_FACTOR, type BudgetClock } from '../../../src/risk/budget.ts';
import { evaluate } from '../../../src/risk/engine.ts';
import type { PolicyInput, SignalId, VersionedPolicy } from '../../../src/risk/policy.ts';
import type { RiskPorts } from '../../../src/risk/ports.ts';
import { shiftSignal } from '../../../src/risk/signals/shift.ts';
import type { Signal } from '../../../src/risk/signals/signal.ts';
import type { Decision, RawFinding } from '../../../src/risk/types.ts';
import { contextWith, fakePorts, outage, policyWith } from './signals/fake-ports.ts';

const BUDGET_MS = 50;
const ON_PREMISES: RawFinding[] = [{ code: 'on_premises', details: {} }];

const policy = (changes: Partial<PolicyInput> = {}): VersionedPolicy => ({
  version: 1,
  document: policyWith({ signals: { shift: { failureMode: 'step_up', budgetMs: BUDGET_MS } }, ...changes }),
});

/** A signal that asks one port and says what it answered. */
const asking = (id: SignalId, port: () => Promise<RawFinding[]>): Signal => ({ id, needsUser: false, evaluate: () => port() });

const never = () => new Promise<never>(() => {});

/** Fake time, and a process that is idle (every millisecond charged) or busy (no idle time at all). */
function fakeTime(process: 'idle' | 'busy'): BudgetClock {
  // Timers and the date only: setImmediate stays real, as the event loop's turn after a timer.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const start = Date.now();
  return { now: () => Date.now(), charged: () => (process === 'idle' ? Date.now() - start : 0) };
}

/** Moves fake time on by `ms`, then lets the event loop take its turn (the engine's setImmediate). */
async function advance(ms: number) {
  await vi.advanceTimersByTimeAsync(ms);
  await new Promise((resolve) => setImmediate(resolve));
}

/** Starts an evaluation and reports whether it has decided yet. */
function start(signals: Signal[], budgetClock?: BudgetClock, p = policy(), ports = {} as RiskPorts) {
  let decision: Decision | undefined;
  const pending = evaluate(contextWith({ ip: '10.20.1.5' }), p, ports, { signals, newId: () => 'd-1', budgetClock }).then((d) => (decision = d));
  return { pending, decided: () => decision };
}

/** Keeps the event loop busy, synchronously, for `ms` of wall-clock time (another request's work). */
function blockEventLoop(ms: number) {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

const timedOut = (d: Decision | undefined, id: SignalId) => d?.findings.find((f) => f.code === `signal_error:${id}`)?.details;

afterEach(() => {
  vi.useRealTimers();
});

describe('signal budgets on a busy process', () => {
  it('does not judge a signal timed out when its port answered while the event loop was blocked past the budget', async () => {
    // Real time and the real event loop: the port's I/O completes while the loop is blocked for
    // three budgets, so the budget's timer is overdue and runs before the I/O callback that carries
    // the answer. A wall-clock race called this a timeout.
    const { pending } = start([asking('shift', async () => (await fs.stat(import.meta.filename), ON_PREMISES))], undefined, policy({ signals: { shift: { failureMode: 'step_up', budgetMs: 10 } } }));
    blockEventLoop(30);
    const d = await pending;
    expect(d.findings.map((f) => f.code)).toEqual(['on_premises']);
    expect(d.outcome).toBe('allow');
  });

  it('does not judge a signal timed out when its answer came after the budget in wall-clock time but the process was never idle', async () => {
    const clock = fakeTime('busy');
    const port = () => new Promise<RawFinding[]>((resolve) => setTimeout(() => resolve(ON_PREMISES), 3 * BUDGET_MS));
    const { pending, decided } = start([asking('shift', port)], clock);
    await advance(3 * BUDGET_MS);
    await pending;
    expect(decided()).toMatchObject({ outcome: 'allow', findings: [{ code: 'on_premises' }] });
  });
});

describe('signal budgets against a port that hangs', () => {
  /** A port that never answers, on a process that is idle or busy: undecided 1 ms before `ms`, stepped up at `ms`. */
  async function expectHangEndsAt(process: 'idle' | 'busy', ms: number) {
    const { pending, decided } = start([asking('shift', never), asking('network', async () => ON_PREMISES)], fakeTime(process));
    await advance(ms - 1);
    expect(decided()).toBeUndefined();
    await advance(1);
    await pending;
    expect(decided()).toMatchObject({ outcome: 'step_up', determiningRules: ['failure_mode:shift'] });
    expect(timedOut(decided(), 'shift')).toEqual({ error: 'timeout', failureMode: 'step_up' });
  }

  it('ends a port that never answers at its budget on an idle process: signal_error and the failure mode (step_up)', async () => {
    await expectHangEndsAt('idle', BUDGET_MS);
  });

  it('ends a port that never answers at the hard cap when the process is never idle, not before', async () => {
    await expectHangEndsAt('busy', HARD_CAP_FACTOR * BUDGET_MS);
  });

  it('ends a port that answers long after the hard cap in its failure mode, and ignores the late rejection', async () => {
    const clock = fakeTime('busy');
    const late = () => new Promise<RawFinding[]>((_, reject) => setTimeout(() => reject(new Error('answered an hour late')), 3_600_000));
    const p = policy({ signals: { terminal: { failureMode: 'deny', budgetMs: BUDGET_MS } } });
    const { pending, decided } = start([asking('terminal', late)], clock, p);
    await advance(HARD_CAP_FACTOR * BUDGET_MS);
    await pending;
    expect(decided()).toMatchObject({ outcome: 'deny', determiningRules: ['failure_mode:terminal'] });
    expect(timedOut(decided(), 'terminal')).toEqual({ error: 'timeout', failureMode: 'deny' });
    await advance(3_600_000);
    expect(timedOut(decided(), 'terminal')).toEqual({ error: 'timeout', failureMode: 'deny' });
  });

  it('ends a port that never answers within the hard cap on the real event loop and clock', async () => {
    const p = policy({ signals: { shift: { failureMode: 'step_up', budgetMs: 5 } } });
    const d = await start([asking('shift', never)], undefined, p).pending;
    expect(d).toMatchObject({ outcome: 'step_up', determiningRules: ['failure_mode:shift'] });
    expect(timedOut(d, 'shift')).toEqual({ error: 'timeout', failureMode: 'step_up' });
  });
});

describe('signal budgets and failing ports', () => {
  it('takes the failure mode at once when a port fails, whatever the budget', async () => {
    const clock = fakeTime('busy');
    const ports = fakePorts();
    ports.shifts.overlapping.mockImplementation(outage);
    const { pending, decided } = start([shiftSignal], clock, policy(), ports);
    await advance(0);
    await pending;
    expect(decided()).toMatchObject({ outcome: 'step_up', determiningRules: ['failure_mode:shift'] });
    expect(timedOut(decided(), 'shift')).toEqual({ error: 'database unreachable', failureMode: 'step_up' });
  });

  it('takes the failure mode when a signal throws before it returns a promise', async () => {
    const throwing: Signal = { id: 'geo', needsUser: false, evaluate: () => { throw new Error('geo database unreadable'); } };
    const d = await start([throwing]).pending;
    expect(d).toMatchObject({ outcome: 'step_up', determiningRules: ['failure_mode:geo'] });
    expect(timedOut(d, 'geo')).toEqual({ error: 'geo database unreadable', failureMode: 'step_up' });
  });
});
