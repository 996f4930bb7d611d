/**
 * Replay without a database: a recorded decision judged again under the policy that made it is the
 * same decision; under a draft, weights, thresholds, rules on the app and acr, and failure modes
 * apply; rows from before the app's sensitivity and acr were kept are read from their findings;
 * the tally counts transitions and shows every kind of change among its examples.
 */
import { describe, expect, it } from 'vitest';
import { createReplayTally, decideAgain, notReplayed, recordedDecision, replay } from '../../../src/policy/replay.ts';
import { evaluate } from '../../../src/risk/engine.ts';
import { DEFAULT_POLICY, type SignalId } from '../../../src/risk/policy.ts';
import type { RiskPorts } from '../../../src/risk/ports.ts';
import type { Signal } from '../../../src/risk/signals/signal.ts';
import type { Decision, RawFinding, RiskContext } from '../../../src/risk/types.ts';
import { decisionRow } from '../../../src/signin/assessor.ts';
import type { DecisionRow } from '../../../src/store/decisions.ts';
import { AT, contextWith, fakePorts, policyWith as draft } from '../risk/signals/fake-ports.ts';

const context = contextWith({ ip: '10.20.1.5' });
const signal = (id: SignalId, findings: RawFinding[] | (() => Promise<RawFinding[]>)): Signal => ({ id, needsUser: false, evaluate: typeof findings === 'function' ? findings : async () => findings });

/** A decision as the assessor stores it. */
const row = (decision: Decision, ctx: RiskContext, extra: Partial<DecisionRow> = {}): DecisionRow => ({ ...decisionRow(decision, ctx, 'password', fakePorts()), ...extra });

const SCENARIOS: Array<{ name: string; signals: Signal[]; ctx?: Partial<RiskContext> }> = [
  { name: 'trusted', signals: [signal('shift', [{ code: 'on_shift', details: { shiftEnd: '2026-11-29T17:00:00.000Z' } }]), signal('terminal', [{ code: 'known_terminal', details: {} }])] },
  { name: 'off shift', signals: [signal('shift', [{ code: 'off_shift', details: {} }]), signal('posture', [{ code: 'new_device', details: {} }])] },
  { name: 'a blocked country', signals: [signal('geo', [{ code: 'country_not_allowed', details: { country: 'KP' } }])] },
  { name: 'a signal that failed', signals: [signal('shift', async () => { throw new Error('rota down'); })] },
  { name: 'a sensitive app asking for phr', signals: [signal('app', [{ code: 'sensitive_app', details: {} }, { code: 'phr_requested', details: { requestedAcr: ['phr'] } }])], ctx: { client: { id: 'pharmacy', sensitivity: 'high' }, requestedAcr: ['phr'] } },
];

describe('replay', () => {
  it('judging a recorded decision again under the policy that made it gives the same decision', async () => {
    const policy = { version: 3, document: DEFAULT_POLICY };
    for (const scenario of SCENARIOS) {
      const ctx = { ...context, ...scenario.ctx };
      const decision = await evaluate(ctx, policy, {} as RiskPorts, { signals: scenario.signals, newId: () => `d-${scenario.name}` });
      expect(decideAgain(recordedDecision(row(decision, ctx)), policy), scenario.name).toEqual(decision);
    }
  });

  it('applies a draft\'s weights, thresholds, rules on the app and acr, and failure modes', async () => {
    const recorded = async (signals: Signal[], ctx = context) => recordedDecision(row(await evaluate(ctx, { version: 1, document: DEFAULT_POLICY }, {} as RiskPorts, { signals, newId: () => 'd' }), ctx));
    const offShift = await recorded(SCENARIOS[1]!.signals);
    expect(offShift.outcome).toBe('step_up');
    expect(decideAgain(offShift, { version: 0, document: draft({ thresholds: { stepUp: 40, deny: 60 } }) })).toMatchObject({ outcome: 'deny', score: 60, determiningRules: ['threshold:deny'] });
    expect(decideAgain(offShift, { version: 0, document: draft({ weights: { ...DEFAULT_POLICY.weights, off_shift: 0, new_device: 0 } }) }).outcome).toBe('allow');

    const ehr = await recorded(SCENARIOS[0]!.signals, { ...context, requestedAcr: ['urn:wardgate:acr:1fa'] });
    const rules = (when: object) => draft({ rules: [{ id: 'r', description: 'r', when: when as never, outcome: 'deny', mode: 'enforce' }] });
    expect(decideAgain(ehr, { version: 0, document: rules({ clientId: 'ehr' }) }).outcome).toBe('deny');
    expect(decideAgain(ehr, { version: 0, document: rules({ clientSensitivity: 'high' }) }).outcome).toBe('allow');
    expect(decideAgain(ehr, { version: 0, document: rules({ acrRequested: 'urn:wardgate:acr:1fa' }) }).outcome).toBe('deny');

    const failed = await recorded(SCENARIOS[3]!.signals);
    expect(failed).toMatchObject({ outcome: 'step_up', findings: [{ code: 'signal_error:shift', details: { error: 'rota down', failureMode: 'step_up' } }] });
    const strict = decideAgain(failed, { version: 0, document: draft({ signals: { shift: { failureMode: 'deny', budgetMs: 50 } } }) });
    expect(strict).toMatchObject({ outcome: 'deny', determiningRules: ['failure_mode:shift'], findings: [{ details: { error: 'rota down', failureMode: 'deny' } }] });
  });

  it('reads the app\'s sensitivity and the acr asked for from the findings of rows that did not keep them', async () => {
    const ctx = { ...context, client: { id: 'pharmacy', sensitivity: 'high' as const }, requestedAcr: ['phr'] };
    const decision = await evaluate(ctx, { version: 1, document: DEFAULT_POLICY }, {} as RiskPorts, { signals: SCENARIOS[4]!.signals, newId: () => 'd' });
    const old = recordedDecision(row(decision, ctx, { client_sensitivity: null, requested_acr: null }));
    expect(old).toMatchObject({ clientSensitivity: 'high', requestedAcr: ['phr'] });
    expect(recordedDecision(row(decision, context, { client_sensitivity: null, requested_acr: null, findings: '[]' }))).toMatchObject({ clientSensitivity: 'standard', requestedAcr: [] });
  });

  it('counts transitions, keeps examples of every kind of change, and names the settings it cannot judge', async () => {
    const policy = { version: 1, document: DEFAULT_POLICY };
    const rows: DecisionRow[] = [];
    for (let i = 0; i < 30; i++) {
      const scenario = SCENARIOS[i % 3]!;
      const ctx = { ...context, at: new Date(AT.getTime() + i * 60_000) };
      rows.push(row(await evaluate(ctx, policy, {} as RiskPorts, { signals: scenario.signals, newId: () => `d-${String(i).padStart(2, '0')}` }), ctx));
    }
    // Stricter: on shift at a terminal still allowed, off shift denied, a blocked country still denied.
    const stricter = draft({ thresholds: { stepUp: 40, deny: 60 } });
    const pages: number[] = [];
    const source = { async pageForReplay(from: number, to: number, after: { at: number; id: string } | null, limit: number) {
      const page = rows.filter((r) => r.at >= from && r.at < to && (!after || r.at > after.at || (r.at === after.at && r.id > after.id))).slice(0, limit);
      pages.push(page.length);
      return page;
    } };
    const window = { from: AT, to: new Date(AT.getTime() + 3600_000) };
    const same = await replay(source, DEFAULT_POLICY, window, { active: DEFAULT_POLICY, pageSize: 7 });
    expect(same).toMatchObject({ total: 30, changed: 0, unchanged: 30, transitions: {}, examples: [], notReplayed: [], recordedUnder: [{ policyVersion: 1, count: 30 }] });
    expect(pages).toEqual([7, 7, 7, 7, 2]);

    const result = await replay(source, stricter, window, { active: DEFAULT_POLICY });
    expect(result).toMatchObject({ total: 30, changed: 10, unchanged: 20, transitions: { 'step_up→deny': 10 } });
    expect(result.examples).toHaveLength(10);
    expect(result.examples[0]).toEqual({ decisionId: 'd-01', at: '2026-11-29T09:01:00.000Z', phase: 'password', username: 'm.grey', clientId: 'ehr', from: 'step_up', to: 'deny', score: 60, previousScore: 60, determiningRules: ['threshold:deny'], policyVersion: 1 });

    const tally = createReplayTally({ version: 0, document: draft({ thresholds: { stepUp: 1, deny: 60 } }) }, 4);
    for (const r of rows) tally.add(recordedDecision(r));
    const mixed = tally.result(window, []);
    expect(mixed.transitions).toEqual({ 'step_up→deny': 10 });
    const both = createReplayTally({ version: 0, document: draft({ weights: { ...DEFAULT_POLICY.weights, on_shift: 40, country_not_allowed: 0 }, rules: [] }) }, 4);
    for (const r of rows) both.add(recordedDecision(r));
    const kinds = both.result(window, []);
    expect(kinds.transitions).toEqual({ 'allow→step_up': 10, 'deny→allow': 10 });
    expect(new Set(kinds.examples.map((e) => `${e.from}→${e.to}`))).toEqual(new Set(['allow→step_up', 'deny→allow']));
    expect(kinds.examples).toHaveLength(4);

    expect(notReplayed(draft({ lists: { ...DEFAULT_POLICY.lists, allowedCountries: ['GB'] }, velocity: { ...DEFAULT_POLICY.velocity, userFailures: 3 }, signals: { geo: { failureMode: 'deny', budgetMs: 80 } } }), DEFAULT_POLICY))
      .toEqual(['/lists/allowedCountries', '/velocity/userFailures', '/signals/geo/budgetMs']);
  });
});
