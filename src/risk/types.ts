/**
 * The vocabulary of the risk engine: what a sign-in looks like (RiskContext), what a signal says
 * about it (Finding), and what the engine decides (Decision). Plain data, no framework.
 */
import type { WeightedCode } from './policy.ts';

export type Outcome = 'allow' | 'step_up' | 'deny';

/** Stable finding codes (the weighted ones are listed in policy.ts). Points come from the policy's weights, never from the signal. */
export type FindingCode = WeightedCode | `signal_error:${string}`;

export interface Finding {
  code: FindingCode;
  /** Filled in by the engine from the policy's weights. */
  points: number;
  /** Facts that explain the finding to the service desk (times in ISO 8601 UTC). */
  details: Record<string, unknown>;
}

/** What a signal returns: findings without points. */
export type RawFinding = Omit<Finding, 'points'>;

/** The client hints a browser sent (Sec-CH-UA*), lower-cased header names. */
export type ClientHints = Record<string, string>;

export interface RiskContext {
  /** Who is signing in; absent before the password is checked (pre-password evaluation). */
  user?: { id: string; username: string };
  /** The client IP as computed at the edge (trusted proxies only). */
  ip: string;
  userAgent: string;
  clientHints: ClientHints;
  /** The raw terminal credential from its cookie, if the browser sent one. */
  terminalCredential?: string;
  /** The relying app. */
  client: { id: string; sensitivity: 'standard' | 'high' };
  /** acr values the relying app asked for (acr_values or an essential acr claim). */
  requestedAcr: string[];
  /** When the sign-in happens; the engine never reads a clock of its own. */
  at: Date;
}

export interface Decision {
  decisionId: string;
  outcome: Outcome;
  score: number;
  findings: Finding[];
  /** Why the outcome is what it is: `threshold:stepUp`, `threshold:deny`, `rule:<id>`, `failure_mode:<signal>`. */
  determiningRules: string[];
  /** report_only rules that matched, with what they would have decided. */
  reportOnly: { rule: string; wouldBe: Outcome }[];
  /** The acr a session must reach: urn:wardgate:acr:1fa on allow, phr on step_up, none on deny. */
  requiredAcr: string | null;
  /** Seconds the session may last once the sign-in completes (allow, or step_up after the key); 0 on deny. */
  sessionLifetime: number;
  policyVersion: number;
}

const OUTCOME_RANK: Record<Outcome, number> = { allow: 0, step_up: 1, deny: 2 };

export function stricter(a: Outcome, b: Outcome): Outcome {
  return OUTCOME_RANK[a] >= OUTCOME_RANK[b] ? a : b;
}
