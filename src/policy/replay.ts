/**
 * Replay: how a draft policy would have decided the sign-ins already recorded in a window.
 *
 * Each recorded decision keeps its findings (with their details), its relying app and the acr
 * values it asked for; the risk engine's own `decide` (risk/engine.ts) judges those findings again
 * under the draft: weights, thresholds, rules (enforced and report-only) and each failed signal's
 * failure mode. The signals are not run again — the data they read then (rota, failed passwords,
 * sign-in history) has moved on — so draft settings that change what a signal finds (lists, shift
 * grace, travel speed, new-device days, velocity limits, budgets) are not re-judged; the answer
 * names them in `notReplayed` when the draft changes them. Reading only: nothing is written.
 */
import { decide } from '../risk/engine.ts';
import { SIGNAL_IDS, signalSettingsOf, type Policy, type VersionedPolicy } from '../risk/policy.ts';
import type { Decision, Finding, Outcome } from '../risk/types.ts';
import type { DecisionRow } from '../store/decisions.ts';

/** What a recorded decision holds that deciding again needs. */
export interface RecordedDecision {
  id: string;
  at: Date;
  phase: DecisionRow['phase'];
  username: string | null;
  clientId: string;
  clientSensitivity: 'standard' | 'high';
  requestedAcr: string[];
  outcome: Outcome;
  score: number;
  policyVersion: number;
  findings: Finding[];
}

export interface ReplayExample {
  decisionId: string;
  at: string;
  phase: DecisionRow['phase'];
  username: string | null;
  clientId: string;
  from: Outcome;
  to: Outcome;
  /** The score under the draft. */
  score: number;
  /** The score recorded. */
  previousScore: number;
  /** Why the draft decides `to`. */
  determiningRules: string[];
  /** The policy version that made the recorded decision. */
  policyVersion: number;
}

export interface ReplayResult {
  window: { from: string; to: string };
  total: number;
  changed: number;
  unchanged: number;
  /** Only changes: "allow→step_up" → how many. */
  transitions: Record<string, number>;
  examples: ReplayExample[];
  /** How many of the decisions each policy version made. */
  recordedUnder: Array<{ policyVersion: number; count: number }>;
  /** JSON pointers of draft settings that differ from the active policy and that replay cannot judge. */
  notReplayed: string[];
}

export const MAX_EXAMPLES = 20;

/** A stored row as a recorded decision. Rows from before the app's sensitivity and acr were kept are read from their findings. */
export function recordedDecision(row: DecisionRow): RecordedDecision {
  const findings = JSON.parse(row.findings) as Finding[];
  const phr = findings.find((f) => f.code === 'phr_requested')?.details.requestedAcr;
  const requestedAcr = row.requested_acr ? (JSON.parse(row.requested_acr) as string[]) : Array.isArray(phr) ? phr.filter((v): v is string => typeof v === 'string') : [];
  const clientSensitivity = row.client_sensitivity ?? (findings.some((f) => f.code === 'sensitive_app') ? 'high' : 'standard');
  return {
    id: row.id,
    at: new Date(row.at),
    phase: row.phase,
    username: row.username,
    clientId: row.client_id,
    clientSensitivity,
    requestedAcr,
    outcome: row.outcome as Outcome,
    score: row.score,
    policyVersion: row.policy_version,
    findings,
  };
}

/** The recorded findings decided again under `policy`, by the engine's own rules (their recorded points are not read). */
export function decideAgain(recorded: RecordedDecision, policy: VersionedPolicy): Decision {
  return decide(
    recorded.findings,
    { client: { id: recorded.clientId, sensitivity: recorded.clientSensitivity }, requestedAcr: recorded.requestedAcr, at: recorded.at },
    policy,
    recorded.id,
  );
}

/** Settings whose change replay cannot judge, as JSON pointers, where the draft differs from the active policy. */
export function notReplayed(draft: Policy, active: Policy): string[] {
  const paths: Array<[string, (p: Policy) => unknown]> = [
    ['/lists/allowedCountries', (p) => p.lists.allowedCountries],
    ['/lists/minimumBrowserVersions', (p) => p.lists.minimumBrowserVersions],
    ['/lists/unsupportedOs', (p) => p.lists.unsupportedOs],
    ['/shift/graceBeforeMinutes', (p) => p.shift.graceBeforeMinutes],
    ['/shift/graceAfterMinutes', (p) => p.shift.graceAfterMinutes],
    ['/travel/maxSpeedKmh', (p) => p.travel.maxSpeedKmh],
    ['/device/newDeviceDays', (p) => p.device.newDeviceDays],
    ['/velocity/windowMinutes', (p) => p.velocity.windowMinutes],
    ['/velocity/userFailures', (p) => p.velocity.userFailures],
    ['/velocity/ipFailures', (p) => p.velocity.ipFailures],
    ['/velocity/sprayingUsernames', (p) => p.velocity.sprayingUsernames],
    ...SIGNAL_IDS.map((id): [string, (p: Policy) => unknown] => [`/signals/${id}/budgetMs`, (p) => signalSettingsOf(p, id).budgetMs]),
  ];
  return paths.filter(([, read]) => JSON.stringify(read(draft)) !== JSON.stringify(read(active))).map(([path]) => path);
}

/** Counts outcome changes as recorded decisions are fed to it; `result()` at the end. */
export function createReplayTally(draft: VersionedPolicy, maxExamples = MAX_EXAMPLES) {
  let total = 0;
  let changed = 0;
  const transitions: Record<string, number> = {};
  const versions = new Map<number, number>();
  // Up to maxExamples per transition; the answer takes them in turn, so every kind of change shows.
  const examples = new Map<string, ReplayExample[]>();
  return {
    add(recorded: RecordedDecision): Decision {
      const decision = decideAgain(recorded, draft);
      total++;
      versions.set(recorded.policyVersion, (versions.get(recorded.policyVersion) ?? 0) + 1);
      if (decision.outcome !== recorded.outcome) {
        changed++;
        const key = `${recorded.outcome}→${decision.outcome}`;
        transitions[key] = (transitions[key] ?? 0) + 1;
        const list = examples.get(key) ?? [];
        examples.set(key, list);
        if (list.length < maxExamples) {
          list.push({
            decisionId: recorded.id,
            at: recorded.at.toISOString(),
            phase: recorded.phase,
            username: recorded.username,
            clientId: recorded.clientId,
            from: recorded.outcome,
            to: decision.outcome,
            score: decision.score,
            previousScore: recorded.score,
            determiningRules: decision.determiningRules,
            policyVersion: recorded.policyVersion,
          });
        }
      }
      return decision;
    },
    result(window: { from: Date; to: Date }, notReplayedPaths: string[]): ReplayResult {
      const picked: ReplayExample[] = [];
      const lists = [...examples.values()];
      for (let i = 0; picked.length < maxExamples && lists.some((l) => l.length > i); i++) {
        for (const list of lists) if (list[i] && picked.length < maxExamples) picked.push(list[i]!);
      }
      picked.sort((a, b) => a.at.localeCompare(b.at) || a.decisionId.localeCompare(b.decisionId));
      return {
        window: { from: window.from.toISOString(), to: window.to.toISOString() },
        total,
        changed,
        unchanged: total - changed,
        transitions,
        examples: picked,
        recordedUnder: [...versions.entries()].sort(([a], [b]) => a - b).map(([policyVersion, count]) => ({ policyVersion, count })),
        notReplayed: notReplayedPaths,
      };
    },
  };
}

/** Where recorded decisions come from: a page at a time, in (at, id) order (store/decisions.ts). */
export interface RecordedDecisions {
  pageForReplay(from: number, to: number, after: { at: number; id: string } | null, limit: number): Promise<DecisionRow[]>;
}

/** Replays every decision recorded in [from, to) under the draft, compared with what was decided. */
export async function replay(
  source: RecordedDecisions,
  draft: Policy,
  window: { from: Date; to: Date },
  options: { active: Policy; pageSize?: number; maxExamples?: number },
): Promise<ReplayResult> {
  const pageSize = options.pageSize ?? 1000;
  const tally = createReplayTally({ version: 0, document: draft }, options.maxExamples);
  let after: { at: number; id: string } | null = null;
  for (;;) {
    const rows = await source.pageForReplay(window.from.getTime(), window.to.getTime(), after, pageSize);
    for (const row of rows) tally.add(recordedDecision(row));
    if (rows.length < pageSize) break;
    const last = rows[rows.length - 1]!;
    after = { at: last.at, id: last.id };
  }
  return tally.result(window, notReplayed(draft, options.active));
}
