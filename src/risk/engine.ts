/**
 * The risk engine: signals → findings → policy (weights, thresholds, rules) → Decision.
 *
 * Pure given its inputs: the clock comes in the context, data through read-only ports, the id
 * generator and the budget clock as options. Every signal runs within its budget; a signal that
 * throws or overruns never yields allow: it records `signal_error:<id>` and its failure mode
 * applies. A budget catches a slow or hung dependency, not a busy process (risk/budget.ts): it is
 * charged only with time the event loop sat idle, judged only after ready I/O has had its turn,
 * and capped at HARD_CAP_FACTOR budgets of wall-clock time. Rules only make a decision stricter
 * (deny > step_up > allow); report_only rules are recorded, never applied.
 * `evaluate` runs the signals; `decide` turns what they said into the decision, so a recorded
 * decision's findings can be judged again under a draft policy (replay) by the same code.
 */
import { BudgetExceeded, withinBudget, type BudgetClock } from './budget.ts';
import type { Condition, Policy, SignalId, VersionedPolicy } from './policy.ts';
import { signalSettingsOf } from './policy.ts';
import type { RiskPorts } from './ports.ts';
import type { Signal } from './signals/signal.ts';
import { stricter, type Decision, type Finding, type Outcome, type RawFinding, type RiskContext } from './types.ts';

/** The acr a decision requires; the same values as oidc/acr.ts, which risk/ may not import. */
const ACR_1FA = 'urn:wardgate:acr:1fa';
const ACR_PHR = 'phr';

export interface EvaluateOptions {
  signals: readonly Signal[];
  /** Before the password is checked: only signals that need no user run. */
  phase?: 'pre_password' | 'full';
  newId?: () => string;
  /** What a signal's budget is charged with (risk/budget.ts); the event loop's idle time unless told. */
  budgetClock?: BudgetClock;
}

async function runSignal(signal: Signal, context: RiskContext, ports: RiskPorts, policy: Policy, clock: BudgetClock | undefined): Promise<{ findings: RawFinding[] } | { error: string }> {
  const { budgetMs } = signalSettingsOf(policy, signal.id);
  try {
    return { findings: await withinBudget(signal.evaluate(context, ports, policy), budgetMs, clock) };
  } catch (error) {
    return { error: error instanceof BudgetExceeded ? 'timeout' : (error as Error).message || String(error) };
  }
}

/** What the rules and the session lifetime read from a context besides the findings. */
export type DecisionContext = Pick<RiskContext, 'client' | 'requestedAcr' | 'at'>;

function matches(condition: Condition, state: { codes: Set<string>; score: number; context: DecisionContext }): boolean {
  if ('finding' in condition) return state.codes.has(condition.finding);
  if ('scoreAtLeast' in condition) return state.score >= condition.scoreAtLeast;
  if ('clientSensitivity' in condition) return state.context.client.sensitivity === condition.clientSensitivity;
  if ('clientId' in condition) return state.context.client.id === condition.clientId;
  if ('acrRequested' in condition) return state.context.requestedAcr.includes(condition.acrRequested);
  if ('all' in condition) return condition.all.every((c) => matches(c, state));
  if ('any' in condition) return condition.any.some((c) => matches(c, state));
  return !matches(condition.not, state);
}

function sessionLifetimeSeconds(findings: Finding[], policy: Policy, at: Date): number {
  const maxSeconds = Math.round(policy.sessionLifetimes.maxHours * 3600);
  const shift = findings.find((f) => f.code === 'on_shift' || f.code === 'near_shift_edge');
  const end = typeof shift?.details.shiftEnd === 'string' ? Date.parse(shift.details.shiftEnd) : NaN;
  if (!Number.isNaN(end)) {
    const untilEnd = Math.round((end + policy.shift.graceAfterMinutes * 60_000 - at.getTime()) / 1000);
    return Math.max(60, Math.min(maxSeconds, untilEnd));
  }
  return Math.min(maxSeconds, Math.round(policy.sessionLifetimes.defaultHours * 3600));
}

export async function evaluate(context: RiskContext, policy: VersionedPolicy, ports: RiskPorts, options: EvaluateOptions): Promise<Decision> {
  const phase = options.phase ?? 'full';
  const signals = options.signals.filter((s) => phase === 'full' || !s.needsUser);
  const results = await Promise.all(signals.map((signal) => runSignal(signal, context, ports, policy.document, options.budgetClock)));
  // A signal that failed is said as `signal_error:<id>`; decide() applies its failure mode.
  const said = results.flatMap((result, i): RawFinding[] =>
    'error' in result ? [{ code: `signal_error:${signals[i]!.id}`, details: { error: result.error } }] : result.findings,
  );
  return decide(said, context, policy, (options.newId ?? (() => globalThis.crypto.randomUUID()))());
}

/**
 * From what the signals said to a decision: points from the policy's weights, thresholds, rules
 * (enforced and report-only), each failed signal's failure mode, the acr and session lifetime.
 * Pure and synchronous; `evaluate` calls it after the signals, and replay (policy/replay.ts) calls
 * it with a recorded decision's findings to judge them under another policy.
 */
export function decide(said: readonly RawFinding[], context: DecisionContext, policy: VersionedPolicy, decisionId: string): Decision {
  const document = policy.document;
  const findings: Finding[] = [];
  // Every reason for an outcome other than allow, with the outcome it calls for.
  const reasons: { id: string; outcome: Outcome }[] = [];
  for (const raw of said) {
    if (raw.code.startsWith('signal_error:')) {
      const id = raw.code.slice('signal_error:'.length) as SignalId;
      const { failureMode } = signalSettingsOf(document, id);
      findings.push({ code: raw.code, points: 0, details: { error: raw.details.error, failureMode } });
      reasons.push({ id: `failure_mode:${id}`, outcome: failureMode });
      continue;
    }
    findings.push({ code: raw.code, points: document.weights[raw.code as keyof Policy['weights']] ?? 0, details: raw.details });
  }
  const score = findings.reduce((sum, f) => sum + f.points, 0);
  if (score >= document.thresholds.deny) reasons.push({ id: 'threshold:deny', outcome: 'deny' });
  else if (score >= document.thresholds.stepUp) reasons.push({ id: 'threshold:stepUp', outcome: 'step_up' });

  const state = { codes: new Set(findings.map((f) => f.code as string)), score, context };
  const matching = document.rules.filter((rule) => matches(rule.when, state));
  for (const rule of matching) if (rule.mode === 'enforce') reasons.push({ id: `rule:${rule.id}`, outcome: rule.outcome });
  const outcome = reasons.reduce<Outcome>((strictest, reason) => stricter(strictest, reason.outcome), 'allow');
  // Report-only rules are judged against the outcome every enforced rule produced, whatever their order.
  const reportOnly: Decision['reportOnly'] = matching
    .filter((r) => r.mode === 'report_only')
    .map((rule) => ({ rule: rule.id, wouldBe: stricter(outcome, rule.outcome) }));

  return {
    decisionId,
    outcome,
    score,
    findings,
    // Only what reached the final outcome determines it: a step-up threshold under a deny rule does not.
    determiningRules: reasons.filter((reason) => reason.outcome === outcome).map((reason) => reason.id),
    reportOnly,
    requiredAcr: outcome === 'allow' ? ACR_1FA : outcome === 'step_up' ? ACR_PHR : null,
    // allow and step_up can both end in a session (a step-up once the key is verified); deny cannot.
    sessionLifetime: outcome === 'deny' ? 0 : sessionLifetimeSeconds(findings, document, context.at),
    policyVersion: policy.version,
  };
}
