/**
 * Assessing a sign-in: evaluate the context with the active policy, then record the decision (with
 * its findings, rules, policy version and context), append it to the audit log and count it.
 * `simulate` runs the same evaluation and records nothing.
 *
 * Which policy is active: without `decisionPorts` (SQLite) it is read for every decision. With them
 * (PostgreSQL, where a decision's reads are one statement that also returns the active version),
 * the decision is made with the policy this process last read, and kept only if every read
 * reported that version; otherwise the policy is read again and the decision made again with it.
 * So a version activated by any process applies from the next decision on, at no extra round trip.
 */
import type { AuditEvent, AuditLog } from '../audit/log.ts';
import type { Policies } from '../policy/policies.ts';
import { evaluate } from '../risk/engine.ts';
import type { VersionedPolicy } from '../risk/policy.ts';
import type { RiskPorts } from '../risk/ports.ts';
import type { Signal } from '../risk/signals/signal.ts';
import type { Decision, RiskContext } from '../risk/types.ts';
import type { DecisionRow, DecisionStore } from '../store/decisions.ts';
import type { Logger } from '../log.ts';

export type Phase = 'pre_password' | 'password' | 'session';

export interface DecisionObserver {
  decided(decision: Decision, phase: Phase, seconds: number): void;
}

/** Ports for one decision that also tell which policy version was active when they read. */
export interface DecisionPorts {
  ports: RiskPorts;
  /** The active policy version each database read of this decision saw; empty when none read. */
  policyVersions(): readonly (number | null)[];
}

/** How many times one decision is made again because the active policy changed meanwhile (then the last stands). */
const MAX_REEVALUATIONS = 3;

export interface AssessorDeps {
  ports: RiskPorts;
  /** New ports for each decision (see above); without them the active policy is read per decision. */
  decisionPorts?: () => DecisionPorts;
  signals: readonly Signal[];
  policies: Policies;
  decisions: DecisionStore;
  audit: AuditLog;
  /** Runs work in one transaction (store/unit-of-work.ts): a decision and its audit entry commit together. */
  unit<T>(work: () => Promise<T>): Promise<T>;
  observer: DecisionObserver;
  log: Logger;
}

const parseOr = <T>(json: string, fallback: T): T => {
  try {
    return JSON.parse(json) as T;
  } catch {
    return fallback;
  }
};

/** A stored decision row as the engine's Decision again (what risk/explain.ts explains). */
export function decisionOf(row: DecisionRow): Decision {
  return {
    decisionId: row.id,
    outcome: row.outcome as Decision['outcome'],
    score: Number(row.score),
    findings: parseOr<Decision['findings']>(row.findings, []),
    determiningRules: parseOr<string[]>(row.determining_rules, []),
    reportOnly: parseOr<Decision['reportOnly']>(row.report_only, []),
    requiredAcr: row.required_acr,
    sessionLifetime: Number(row.session_lifetime ?? 0),
    policyVersion: Number(row.policy_version),
  };
}

/**
 * What a recorded decision's attempt came to besides the verdict: the assurance it reached when it
 * finished a sign-in (a password allowed: urn:wardgate:acr:1fa; a passkey: phr), and the username
 * typed when the person is not known yet (refused before the password).
 */
export interface AttemptNote {
  acr?: string;
  amr?: readonly string[];
  typedUsername?: string;
}

/** The audit log's `sign_in.decision` entry of a decision. */
export function decisionAuditEvent(decision: Decision, context: RiskContext, phase: Phase, note: AttemptNote = {}): Required<AuditEvent> {
  return {
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
      ...(note.acr ? { acr: note.acr, amr: [...(note.amr ?? [])] } : {}),
      ...(!context.user && note.typedUsername !== undefined ? { typedUsername: note.typedUsername.slice(0, 256) } : {}),
    },
  };
}

/** The `decisions` row of a decision: its verdict, findings and the facts of its context. */
export function decisionRow(decision: Decision, context: RiskContext, phase: Phase, ports: Pick<RiskPorts, 'geo' | 'devices'>): DecisionRow {
  const terminal = decision.findings.find((f) => f.code === 'known_terminal' || f.code === 'unknown_device')?.details.terminalId;
  return {
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
    country: ports.geo.lookup(context.ip)?.country ?? null,
    terminal_id: typeof terminal === 'string' ? terminal : null,
    user_agent: ports.devices.describe(context.userAgent, context.clientHints).summary.slice(0, 255),
    client_sensitivity: context.client.sensitivity,
    requested_acr: JSON.stringify(context.requestedAcr),
  };
}

export function createAssessor(deps: AssessorDeps) {
  return {
    /** Evaluates with the active policy and counts the decision; records nothing. */
    async evaluate(context: RiskContext, phase: Phase): Promise<Decision> {
      const started = process.hrtime.bigint();
      const options = { signals: deps.signals, phase: phase === 'pre_password' ? ('pre_password' as const) : ('full' as const) };
      let decision: Decision;
      if (!deps.decisionPorts) {
        decision = await evaluate(context, await deps.policies.active(), deps.ports, options);
      } else {
        let policy = await deps.policies.cached();
        let scope = deps.decisionPorts();
        decision = await evaluate(context, policy, scope.ports, options);
        const confirmed = (versions: readonly (number | null)[]) => versions.length > 0 && versions.every((version) => version === policy.version);
        for (let remade = 0; !confirmed(scope.policyVersions()) && remade < MAX_REEVALUATIONS; remade++) {
          // Another version was active when the data was read, or nothing was read to tell: read the policy.
          const active = await deps.policies.refresh();
          if (active.version === policy.version) break;
          policy = active;
          scope = deps.decisionPorts();
          decision = await evaluate(context, policy, scope.ports, options);
        }
      }
      deps.observer.decided(decision, phase, Number(process.hrtime.bigint() - started) / 1e9);
      return decision;
    },

    /**
     * Stores the decision with its context and appends it to the audit log, in one transaction
     * (joining the caller's, when the caller records more of the same attempt with it).
     */
    async record(decision: Decision, context: RiskContext, phase: Phase, note: AttemptNote = {}): Promise<void> {
      await deps.unit(async () => {
        await deps.decisions.insert(decisionRow(decision, context, phase, deps.ports));
        await deps.audit.append(decisionAuditEvent(decision, context, phase, note));
      });
      deps.log.info(
        { event: 'decision', decisionId: decision.decisionId, phase, outcome: decision.outcome, score: decision.score, findings: decision.findings.map((f) => f.code), rules: decision.determiningRules, client: context.client.id, sub: context.user?.id },
        'sign-in decision',
      );
    },

    async assess(context: RiskContext, phase: Phase, note: AttemptNote = {}): Promise<Decision> {
      const decision = await this.evaluate(context, phase);
      await this.record(decision, context, phase, note);
      return decision;
    },

    /** A recorded decision's outcome and session lifetime, by its id. */
    async decision(id: string): Promise<{ outcome: string; sessionLifetime: number } | undefined> {
      const row = await deps.decisions.find(id);
      return row && { outcome: row.outcome, sessionLifetime: row.session_lifetime ?? 0 };
    },

    /**
     * The same evaluation with nothing written: for the simulator and for testing drafts. `ports`
     * replaces some read-only ports (the simulator names a terminal by id, not by its credential);
     * `phase` as for a real sign-in (full unless told).
     */
    async simulate(context: RiskContext, policy?: VersionedPolicy, options: { ports?: Partial<RiskPorts>; phase?: 'pre_password' | 'full' } = {}): Promise<Decision> {
      return evaluate(context, policy ?? (await deps.policies.active()), { ...deps.ports, ...options.ports }, { signals: deps.signals, phase: options.phase ?? 'full' });
    },
  };
}

export type Assessor = ReturnType<typeof createAssessor>;
