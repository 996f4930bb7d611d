/**
 * A decision in plain words, for the service desk ("why was Dr Grey blocked?"). Never shown to the
 * person being judged: the blocked page carries only the decision id.
 */
import type { Decision, Finding } from './types.ts';

const str = (v: unknown) => (v === undefined || v === null ? '?' : String(v));

const SENTENCES: Record<string, (d: Record<string, unknown>) => string> = {
  on_shift: (d) => `On shift at ${str(d.siteId)} (${str(d.localStart)} to ${str(d.localEnd)}${d.kind === 'on_call' ? ', on call' : ''}).`,
  near_shift_edge: (d) => `Not on shift, but ${str(d.minutes)} minutes ${d.edge === 'before_start' ? 'before a shift starts' : 'after a shift ended'} (${str(d.localStart)} to ${str(d.localEnd)}).`,
  off_shift: (d) => `Off shift${d.nextShiftStart ? `; the next shift starts ${str(d.nextShiftLocalStart ?? d.nextShiftStart)}` : '; no shift in the next day'}.`,
  known_terminal: (d) => `At the known terminal "${str(d.name)}"${d.unit ? ` on ${str(d.unit)}` : ''} (${str(d.siteId)}).`,
  unknown_device: (d) => `Not at a known terminal (${d.reason === 'revoked' ? 'its terminal was revoked' : d.reason === 'unknown_credential' ? 'the terminal credential is not recognised' : 'the browser is not an enrolled terminal'}).`,
  on_premises: (d) => `On the hospital's network (${str(d.siteName ?? d.siteId)}), from ${str(d.ip)}.`,
  remote: (d) => `From outside the hospital's networks${d.ip ? ` (${str(d.ip)})` : ''}.`,
  country_not_allowed: (d) => `From ${str(d.country)}, which is not an allowed country (${Array.isArray(d.allowed) ? d.allowed.join(', ') : '?'}).`,
  impossible_travel: (d) => `Impossible travel: ${str(d.effectiveDistanceKm ?? d.distanceKm)} km from the last sign-in (${str(d.fromCountry)} to ${str(d.toCountry)}) in ${str(d.hours)} h, ${str(d.speedKmh)} km/h.`,
  location_unknown: () => 'The address could not be placed on the map.',
  outdated_browser: (d) => `The browser is ${str(d.browser)} ${str(d.major)}, older than the minimum ${str(d.minimum)}.`,
  unsupported_os: (d) => `The operating system (${str(d.os)} ${str(d.version)}) is no longer supported.`,
  automation_client: (d) => `The client looks automated (${str(d.reason)}), not a person's browser.`,
  new_device: (d) => `A device this person has not signed in from recently (${str(d.summary)}).`,
  repeated_failures: (d) => `${str(d.count)} wrong passwords for this person in the last ${str(d.windowMinutes)} minutes.`,
  ip_failures: (d) => `${str(d.count)} wrong passwords from this address in the last ${str(d.windowMinutes)} minutes.`,
  password_spraying: (d) => `This address tried ${str(d.distinctUsernames ?? d.count)} different usernames recently (password spraying).`,
  sensitive_app: () => 'The application is marked high sensitivity.',
  phr_requested: () => 'The application asked for phishing-resistant proof (phr).',
};

export function explainFinding(finding: Finding): string {
  if (finding.code.startsWith('signal_error:')) {
    return `The ${finding.code.slice('signal_error:'.length)} check failed (${str(finding.details.error)}), so its failure mode applied.`;
  }
  return (SENTENCES[finding.code]?.(finding.details) ?? finding.code) + (finding.points ? ` (+${finding.points})` : '');
}

export function explain(decision: Decision): string[] {
  const verdict = { allow: 'Allowed', step_up: 'Stepped up to a security key', deny: 'Blocked' }[decision.outcome];
  const because = decision.determiningRules.length ? ` because of ${decision.determiningRules.join(', ')}` : '';
  return [
    `${verdict}: score ${decision.score}${because}; policy version ${decision.policyVersion}.`,
    ...decision.findings.map(explainFinding),
    ...decision.reportOnly.map((r) => `Report-only rule ${r.rule} would have decided ${r.wouldBe}.`),
  ];
}
