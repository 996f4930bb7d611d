/**
 * Assessing a sign-in: evaluate the context with the active policy, then record the decision (with
 * its findings, rules, policy version and context), append it to the audit log and count it.
 * `simulate` runs the same evaluation and records nothing.
 */
import type { AuditLog } from '../audit/log.ts';
import type { Policies } from '../policy/policies.ts';
import { evaluate } from '../risk/engine.ts';
import type { VersionedPolicy } from '../risk/policy.ts';
import type { RiskPorts } from '../risk/ports.ts';
import type { Signal } from '../risk/signals/signal.ts';
import type { Decision, RiskContext } from '../risk/types.ts';
import type { DecisionStore } from '../store/decisions.ts';
import type { Logger } from '../log.ts';
import { isSpecialUse } from '../risk/ip.ts';

export type Phase = 'pre_password' | 'password' | 'session';

export interface DecisionObserver {
  decided(decision: Decision, phase: Phase, seconds: number): void;
}

export interface AssessorDeps {
  ports: RiskPorts;
  signals: readonly Signal[];
  policies: Policies;
  decisions: DecisionStore;
  audit: AuditLog;
  observer: DecisionObserver;
  log: Logger;
}

function contextFacts(decision: Decision, context: RiskContext, ports: RiskPorts) {
  const terminal = decision.findings.find((f) => f.code === 'known_terminal' || f.code === 'unknown_device')?.details.terminalId;
  return {
    country: isSpecialUse(context.ip) ? null : (ports.geo.lookup(context.ip)?.country ?? null),
    terminalId: typeof terminal === 'string' ? terminal : null,
  };
}

export function createAssessor(deps: AssessorDeps) {
  return {
    /** Evaluates with the active policy and counts the decision; records nothing. */
    async evaluate(context: RiskContext, phase: Phase): Promise<Decision> {
      const started = process.hrtime.bigint();
      const policy = await deps.policies.active();
      const decision = await evaluate(context, policy, deps.ports, { signals: deps.signals, phase: phase === 'pre_password' ? 'pre_password' : 'full' });
      deps.observer.decided(decision, phase, Number(process.hrtime.bigint() - started) / 1e9);
      return decision;
    },

    /** Stores the decision with its context and appends it to the audit log. */
    async record(decision: Decision, context: RiskContext, phase: Phase): Promise<void> {
      const facts = contextFacts(decision, context, deps.ports);
      const device = deps.ports.devices.describe(context.userAgent, context.clientHints);
      await deps.decisions.insert({
        id: decision.decisionId,
        at: context.at.getTime(),
        phase,
        user_id: context.user?.id ?? null,
        username: context.user?.username ?? null,
        client_id: context.client.id,
        outcome: decision.outcome,
        score: decision.score,
        findings: JSON.stringify(decision.findings),
        determining_rules: JSON.stringify(decision.determiningRules),
        report_only: JSON.stringify(decision.reportOnly),
        required_acr: decision.requiredAcr,
        session_lifetime: decision.sessionLifetime,
        policy_version: decision.policyVersion,
        ip: context.ip,
        country: facts.country,
        terminal_id: facts.terminalId,
        user_agent: device.summary.slice(0, 255),
      });
      await deps.audit.append({
        type: 'sign_in.decision',
        actor: context.user?.id ?? null,
        subject: context.client.id,
        at: context.at.getTime(),
        data: {
          decisionId: decision.decisionId,
          phase,
          outcome: decision.outcome,
          score: decision.score,
          findings: decision.findings.map((f) => f.code),
          determiningRules: decision.determiningRules,
          reportOnly: decision.reportOnly,
          policyVersion: decision.policyVersion,
          ip: context.ip,
          username: context.user?.username ?? null,
        },
      });
      deps.log.info(
        { event: 'decision', decisionId: decision.decisionId, phase, outcome: decision.outcome, score: decision.score, findings: decision.findings.map((f) => f.code), rules: decision.determiningRules, client: context.client.id, sub: context.user?.id },
        'sign-in decision',
      );
    },

    async assess(context: RiskContext, phase: Phase): Promise<Decision> {
      const decision = await this.evaluate(context, phase);
      await this.record(decision, context, phase);
      return decision;
    },

    /** A recorded decision's outcome and session lifetime, by its id. */
    async decision(id: string): Promise<{ outcome: string; sessionLifetime: number } | undefined> {
      const row = await deps.decisions.find(id);
      return row && { outcome: row.outcome, sessionLifetime: row.session_lifetime ?? 0 };
    },

    /** The same evaluation with nothing written: for the simulator and for testing drafts. */
    async simulate(context: RiskContext, policy?: VersionedPolicy): Promise<Decision> {
      return evaluate(context, policy ?? (await deps.policies.active()), deps.ports, { signals: deps.signals });
    },
  };
}

export type Assessor = ReturnType<typeof createAssessor>;
