/**
 * The engine with dummy signals: scoring, thresholds, monotonic rules, report-only rules, failure
 * modes and budgets, the pre-password phase and session lifetimes. No database, a fixed clock.
 */
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/risk/engine.ts';
import { DEFAULT_POLICY, policySchema, type PolicyInput, type SignalId, type VersionedPolicy } from '../../../src/risk/policy.ts';
import type { RiskPorts } from '../../../src/risk/ports.ts';
import type { Signal } from '../../../src/risk/signals/signal.ts';
import type { RawFinding } from '../../../src/risk/types.ts';
import { AT, contextWith, policyWith } from './signals/fake-ports.ts';

const context = contextWith({ ip: '10.20.1.5' });
const ports = {} as RiskPorts;

function signal(id: SignalId, findings: RawFinding[] | (() => Promise<RawFinding[]>), needsUser = false): Signal {
  return { id, needsUser, evaluate: typeof findings === 'function' ? findings : async () => findings };
}

const policy = (changes: Partial<PolicyInput> = {}): VersionedPolicy => ({ version: 7, document: policyWith(changes) });

const run = (signals: Signal[], p = policy(), ctx = context, phase?: 'pre_password' | 'full') =>
  evaluate(ctx, p, ports, { signals, phase, newId: () => 'd-1' });

describe('risk engine', () => {
  it('allows a context with no doubts, with acr 1fa and the policy version', async () => {
    const d = await run([signal('terminal', [{ code: 'known_terminal', details: {} }]), signal('network', [{ code: 'on_premises', details: {} }])]);
    expect(d).toMatchObject({ decisionId: 'd-1', outcome: 'allow', score: 0, requiredAcr: 'urn:wardgate:acr:1fa', policyVersion: 7, determiningRules: [] });
    expect(d.findings.map((f) => f.code)).toEqual(['known_terminal', 'on_premises']);
  });

  it('takes points from the policy weights and steps up at the stepUp threshold', async () => {
    const d = await run([signal('terminal', [{ code: 'unknown_device', details: { reason: 'no_credential' } }])]);
    expect(d.findings[0]).toEqual({ code: 'unknown_device', points: 40, details: { reason: 'no_credential' } });
    expect(d).toMatchObject({ outcome: 'step_up', score: 40, requiredAcr: 'phr', determiningRules: ['threshold:stepUp'], sessionLifetime: 8 * 3600 });
  });

  it('denies at the deny threshold', async () => {
    const p = policy({ thresholds: { stepUp: 40, deny: 80 } });
    const d = await run([signal('terminal', [{ code: 'unknown_device', details: {} }]), signal('network', [{ code: 'remote', details: {} }])], p);
    expect(d).toMatchObject({ outcome: 'deny', score: 80, determiningRules: ['threshold:deny'], requiredAcr: null });
  });

  it('lets rules only make a decision stricter, naming the rule that determined it', async () => {
    const d = await run([signal('geo', [{ code: 'country_not_allowed', details: { country: 'KP' } }, { code: 'remote' as never, details: {} }])]);
    expect(d.outcome).toBe('deny');
    expect(d.determiningRules).toEqual(['rule:deny-country-not-allowed']);
    // A step_up rule matching a denied context leaves it denied.
    const p = policy({ rules: [...DEFAULT_POLICY.rules, { id: 'remote-step-up', description: 'Remote needs a key.', when: { finding: 'remote' }, outcome: 'step_up', mode: 'enforce' }] });
    const again = await run([signal('geo', [{ code: 'country_not_allowed', details: {} }]), signal('network', [{ code: 'remote', details: {} }])], p);
    expect(again.outcome).toBe('deny');
    expect(again.determiningRules).toEqual(['rule:deny-country-not-allowed']);
  });

  it('records a report_only rule as what it would have decided, and changes nothing', async () => {
    const p = policy({ rules: [{ id: 'night-deny', description: 'Trial: deny remote sign-ins.', when: { all: [{ finding: 'remote' }, { not: { finding: 'known_terminal' } }] }, outcome: 'deny', mode: 'report_only' }] });
    const d = await run([signal('network', [{ code: 'remote', details: {} }])], p);
    expect(d.outcome).toBe('step_up');
    expect(d.reportOnly).toEqual([{ rule: 'night-deny', wouldBe: 'deny' }]);
    expect(d.determiningRules).toEqual(['threshold:stepUp']);
  });

  it('judges a report_only rule against the final outcome, whatever the rule order', async () => {
    const p = policy({ rules: [
      { id: 'trial-step-up', description: 'Trial.', when: { finding: 'remote' }, outcome: 'step_up', mode: 'report_only' },
      { id: 'block-remote', description: 'Enforced.', when: { finding: 'remote' }, outcome: 'deny', mode: 'enforce' },
    ] });
    const d = await run([signal('network', [{ code: 'remote', details: {} }])], p);
    expect(d.outcome).toBe('deny');
    expect(d.reportOnly).toEqual([{ rule: 'trial-step-up', wouldBe: 'deny' }]);
  });

  it('matches rules on score, client and requested acr', async () => {
    const p = policy({
      weights: { ...DEFAULT_POLICY.weights, remote: 10 },
      rules: [
        { id: 'score', description: 's', when: { scoreAtLeast: 10 }, outcome: 'step_up', mode: 'report_only' },
        { id: 'pharmacy', description: 'p', when: { clientId: 'pharmacy' }, outcome: 'step_up', mode: 'report_only' },
        { id: 'high', description: 'h', when: { clientSensitivity: 'high' }, outcome: 'step_up', mode: 'report_only' },
        { id: 'phr', description: 'a', when: { acrRequested: 'phr' }, outcome: 'step_up', mode: 'report_only' },
      ],
    });
    const d = await run([signal('network', [{ code: 'remote', details: {} }])], p, { ...context, client: { id: 'pharmacy', sensitivity: 'high' }, requestedAcr: ['phr'] });
    expect(d.reportOnly.map((r) => r.rule)).toEqual(['score', 'pharmacy', 'high', 'phr']);
  });

  it('never allows when a signal throws: signal_error and the failure mode (step_up by default)', async () => {
    const d = await run([signal('geo', async () => { throw new Error('geo database unreadable'); })]);
    expect(d.outcome).toBe('step_up');
    expect(d.findings).toEqual([{ code: 'signal_error:geo', points: 0, details: { error: 'geo database unreadable', failureMode: 'step_up' } }]);
    expect(d.determiningRules).toEqual(['failure_mode:geo']);
  });

  it('applies a deny failure mode when the policy says so', async () => {
    const p = policy({ signals: { terminal: { failureMode: 'deny', budgetMs: 50 } } });
    const d = await run([signal('terminal', async () => { throw new Error('store down'); })], p);
    expect(d.outcome).toBe('deny');
    expect(d.determiningRules).toEqual(['failure_mode:terminal']);
  });

  it('treats a signal that overruns its budget as failed', async () => {
    const p = policy({ signals: { shift: { failureMode: 'step_up', budgetMs: 20 } } });
    const slow = signal('shift', () => new Promise<RawFinding[]>((resolve) => setTimeout(() => resolve([]), 500)));
    const d = await run([slow, signal('network', [{ code: 'on_premises', details: {} }])], p);
    expect(d.outcome).toBe('step_up');
    expect(d.findings.find((f) => f.code === 'signal_error:shift')?.details).toMatchObject({ error: 'timeout' });
  });

  it('runs only the signals that need no user before the password is checked', async () => {
    const needsUser = signal('shift', async () => { throw new Error('must not run'); }, true);
    const d = await run([needsUser, signal('posture', [{ code: 'automation_client', details: { reason: 'curl' } }])], policy(), { ...context, user: undefined }, 'pre_password');
    expect(d.outcome).toBe('deny');
    expect(d.findings.map((f) => f.code)).toEqual(['automation_client']);
  });

  it('is deterministic for its inputs', async () => {
    const signals = [signal('network', [{ code: 'remote', details: { ip: '81.2.69.142' } }]), signal('app', [{ code: 'sensitive_app', details: {} }])];
    expect(await run(signals)).toEqual(await run(signals));
  });

  it('lets a trusted on-shift session last until the shift ends plus grace, at most the policy maximum', async () => {
    const shiftEnd = new Date(AT.getTime() + 3 * 3600_000).toISOString();
    const d = await run([signal('shift', [{ code: 'on_shift', details: { shiftEnd } }])]);
    expect(d.sessionLifetime).toBe(3 * 3600 + 60 * 60);
    const long = await run([signal('shift', [{ code: 'on_shift', details: { shiftEnd: new Date(AT.getTime() + 30 * 3600_000).toISOString() } }])]);
    expect(long.sessionLifetime).toBe(12 * 3600);
    const none = await run([signal('network', [{ code: 'on_premises', details: {} }])]);
    expect(none.sessionLifetime).toBe(8 * 3600);
  });
});

describe('policy document', () => {
  it('accepts the default policy', () => {
    expect(policySchema.safeParse(DEFAULT_POLICY).success).toBe(true);
  });

  it.each([
    [{ thresholds: { stepUp: 50, deny: 50 } }, 'thresholds.deny', 'deny must be above stepUp'],
    [{ weights: { remote: -1 } }, 'weights.remote', ''],
    [{ weights: { teleported: 10 } }, 'weights', 'teleported'],
    [{ rules: [{ id: 'a', description: 'x', when: { finding: 'teleported' }, outcome: 'deny', mode: 'enforce' }] }, 'rules.0.when', ''],
    [{ rules: [{ id: 'a', description: 'x', when: { finding: 'remote' }, outcome: 'allow', mode: 'enforce' }] }, 'rules.0.outcome', ''],
    [{ rules: [DEFAULT_POLICY.rules[0], DEFAULT_POLICY.rules[0]] }, 'rules.1.id', 'duplicate rule id'],
    [{ lists: { ...DEFAULT_POLICY.lists, allowedCountries: ['uk'] } }, 'lists.allowedCountries.0', 'ISO 3166-1'],
    [{ surprise: true }, '', 'surprise'],
  ])('refuses %j at %s', (change, path, message) => {
    const result = policySchema.safeParse({ ...DEFAULT_POLICY, ...change });
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path.join('.') === path) ?? result.error!.issues[0]!;
    expect(issue.path.join('.')).toBe(path);
    expect(JSON.stringify(issue)).toContain(message);
  });
});
