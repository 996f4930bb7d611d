/**
 * A decision in plain words, for the service desk ("why was Dr Grey blocked?"). Never shown to the
 * person being judged: the blocked page carries only the decision id.
 *
 * Findings carry ids (sites) and local times; the caller may pass what the record does not hold —
 * the person's display name, the sites' names — so that a sentence reads "Off shift: no shift for
 * Dr Grey between 18:40 and 06:00, when the next starts at St Mary's (2026-11-30 06:00
 * Europe/London) (+40)". Without them the sentences name ids and "this person".
 */
import type { SignalId } from './policy.ts';
import type { Decision, Finding } from './types.ts';

export interface ExplainContext {
  /** The person signing in, as the service desk knows them ("Dr Grey"). */
  person?: string;
  /** Site names by site id. */
  sites?: Readonly<Record<string, string>>;
  /** Instead of "policy version N" (a draft being tested): e.g. "a draft policy". */
  policy?: string;
}

/** Which signal says each finding code (signal_error:<id> names its own). */
const SIGNAL_OF: Record<string, SignalId> = {
  on_shift: 'shift',
  off_shift: 'shift',
  near_shift_edge: 'shift',
  known_terminal: 'terminal',
  unknown_device: 'terminal',
  on_premises: 'network',
  remote: 'network',
  country_not_allowed: 'geo',
  impossible_travel: 'geo',
  location_unknown: 'geo',
  outdated_browser: 'posture',
  unsupported_os: 'posture',
  automation_client: 'posture',
  new_device: 'posture',
  repeated_failures: 'velocity',
  ip_failures: 'velocity',
  password_spraying: 'velocity',
  sensitive_app: 'app',
  phr_requested: 'app',
};

export function signalOf(code: string): string | null {
  if (code.startsWith('signal_error:')) return code.slice('signal_error:'.length);
  return SIGNAL_OF[code] ?? null;
}

const str = (v: unknown) => (v === undefined || v === null ? '?' : String(v));

/** "2026-11-29 08:00 Europe/London" → its parts, or null for anything else. */
function parseLocal(v: unknown): { date: string; time: string; zone: string } | null {
  const m = typeof v === 'string' ? /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}) (\S+)$/.exec(v) : null;
  return m ? { date: m[1]!, time: m[2]!, zone: m[3]! } : null;
}

/** Two local times as one span: "2026-11-29 08:00 to 20:00 Europe/London" (the date once when it is the same). */
function span(from: unknown, to: unknown): string {
  const a = parseLocal(from);
  const b = parseLocal(to);
  if (!a || !b || a.zone !== b.zone) return `${str(from)} to ${str(to)}`;
  return a.date === b.date ? `${a.date} ${a.time} to ${b.time} ${a.zone}` : `${a.date} ${a.time} to ${b.date} ${b.time} ${a.zone}`;
}

/** The time of day of a local time ("18:40"), or the whole value when it is not one. */
const clock = (v: unknown) => parseLocal(v)?.time ?? str(v);

type Sentence = (d: Record<string, unknown>, c: ExplainContext) => string;

const SENTENCES: Record<string, Sentence> = {
  on_shift: (d, c) => `On shift${c.person ? `: ${c.person}` : ''} at ${site(d, c)}, ${span(d.localStart, d.localEnd)}${d.kind === 'on_call' ? ', on call' : ''}.`,
  near_shift_edge: (d, c) => {
    const before = d.edge === 'before_start';
    return `Not on shift, but ${str(d.minutes)} minutes ${before ? 'before' : 'after'} ${c.person ? `${c.person}'s` : 'a'} shift at ${site(d, c)} ${before ? 'starts' : 'ended'} (${span(d.localStart, d.localEnd)}).`;
  },
  off_shift: (d, c) => {
    const who = c.person ?? 'this person';
    if (!d.nextShiftStart) return `Off shift: no shift for ${who} from the sign-in until ${str(d.lookaheadHours ?? 24)} hours after it.`;
    return `Off shift: no shift for ${who} between ${clock(d.localAt)} and ${clock(d.nextShiftLocalStart)}, when the next starts at ${site(d, c)} (${str(d.nextShiftLocalStart ?? d.nextShiftStart)}).`;
  },
  known_terminal: (d, c) => `At the known terminal "${str(d.name)}"${d.unit ? ` on ${str(d.unit)}` : ''} (${site(d, c)}).`,
  unknown_device: (d) =>
    `Not at a known terminal (${d.reason === 'revoked' ? `the terminal${d.name ? ` "${str(d.name)}"` : ''} was revoked` : d.reason === 'unknown_credential' ? 'the terminal credential is not recognised' : 'the browser is not an enrolled terminal'}).`,
  on_premises: (d, c) => `On the hospital's network (${str(d.siteName ?? site(d, c))}), from ${str(d.ip)}.`,
  remote: (d) => `From outside the hospital's networks${d.ip ? ` (${str(d.ip)})` : ''}.`,
  country_not_allowed: (d) => `From ${str(d.country)}, which is not an allowed country (${Array.isArray(d.allowed) ? d.allowed.join(', ') : '?'}).`,
  impossible_travel: (d) => `Impossible travel: ${str(d.effectiveDistanceKm ?? d.distanceKm)} km from the last sign-in (${str(d.fromCountry)} to ${str(d.toCountry)}) in ${str(d.hours)} h, ${str(d.speedKmh)} km/h.`,
  location_unknown: () => 'The address could not be placed on the map.',
  outdated_browser: (d) => `The browser is ${str(d.browser)} ${str(d.major)}, older than the minimum ${str(d.minimum)}.`,
  unsupported_os: (d) => `The operating system (${str(d.os)} ${str(d.version)}) is no longer supported.`,
  automation_client: (d) => `The client looks automated (${str(d.reason)}), not a person's browser.`,
  new_device: (d, c) => `A device ${c.person ?? 'this person'} has not signed in from recently (${str(d.summary)}).`,
  repeated_failures: (d, c) => `${str(d.count)} wrong passwords for ${c.person ?? 'this person'} in the last ${str(d.windowMinutes)} minutes.`,
  ip_failures: (d) => `${str(d.count)} wrong passwords from this address in the last ${str(d.windowMinutes)} minutes.`,
  password_spraying: (d) => `This address tried ${str(d.distinctUsernames ?? d.count)} different usernames recently (password spraying).`,
  sensitive_app: () => 'The application is marked high sensitivity.',
  phr_requested: () => 'The application asked for phishing-resistant proof (phr).',
};

function site(d: Record<string, unknown>, c: ExplainContext): string {
  const id = d.siteId;
  return typeof id === 'string' && c.sites?.[id] ? c.sites[id] : str(id);
}

/** One finding as a sentence; with points, they follow it: "… (+40)". */
export function explainFinding(finding: Finding, context: ExplainContext = {}): string {
  if (finding.code.startsWith('signal_error:')) {
    return `The ${finding.code.slice('signal_error:'.length)} check failed (${str(finding.details.error)}), so its failure mode applied.`;
  }
  const sentence = SENTENCES[finding.code]?.(finding.details, context) ?? finding.code;
  return finding.points ? `${sentence.replace(/\.$/, '')} (+${finding.points})` : sentence;
}

/** An outcome in words, as the first sentence of an explanation starts. */
export const VERDICTS: Readonly<Record<Decision['outcome'], string>> = { allow: 'Allowed', step_up: 'Stepped up to a security key', deny: 'Blocked' };

export function explain(decision: Decision, context: ExplainContext = {}): string[] {
  const verdict = VERDICTS[decision.outcome];
  const because = decision.determiningRules.length ? ` because of ${decision.determiningRules.join(', ')}` : '';
  return [
    `${verdict}: score ${decision.score}${because}; ${context.policy ?? `policy version ${decision.policyVersion}`}.`,
    ...decision.findings.map((f) => explainFinding(f, context)),
    ...decision.reportOnly.map((r) => `Report-only rule ${r.rule} would have decided ${r.wouldBe}.`),
  ];
}
