import { describe, expect, it } from 'vitest';
import { explain } from '../../../src/risk/explain.ts';
import type { Decision } from '../../../src/risk/types.ts';

const base: Decision = {
  decisionId: 'd1', outcome: 'deny', score: 140, requiredAcr: null, sessionLifetime: 0, policyVersion: 3,
  determiningRules: ['rule:deny-impossible-travel'], reportOnly: [{ rule: 'night-remote', wouldBe: 'deny' }],
  findings: [
    { code: 'impossible_travel', points: 100, details: { fromCountry: 'GB', toCountry: 'US', distanceKm: 5570, effectiveDistanceKm: 5400, hours: 0.1, speedKmh: 54000 } },
    { code: 'remote', points: 40, details: { ip: '8.8.8.8' } },
    { code: 'signal_error:shift', points: 0, details: { error: 'timeout', failureMode: 'step_up' } },
  ],
};

describe('explain', () => {
  it('tells the service desk the outcome, why, each finding in words, and report-only hits', () => {
    expect(explain(base)).toEqual([
      'Blocked: score 140 because of rule:deny-impossible-travel; policy version 3.',
      'Impossible travel: 5400 km from the last sign-in (GB to US) in 0.1 h, 54000 km/h. (+100)',
      'From outside the hospital\'s networks (8.8.8.8). (+40)',
      'The shift check failed (timeout), so its failure mode applied.',
      'Report-only rule night-remote would have decided deny.',
    ]);
  });

  it('explains an allowed trusted sign-in without points', () => {
    const lines = explain({ ...base, outcome: 'allow', score: 0, determiningRules: [], reportOnly: [], findings: [
      { code: 'on_shift', points: 0, details: { siteId: 'st-elsewhere', localStart: '2026-11-29 08:00 Europe/London', localEnd: '2026-11-29 20:00 Europe/London', kind: 'scheduled' } },
      { code: 'known_terminal', points: 0, details: { name: 'Ward 3 PC', unit: 'Ward 3', siteId: 'st-elsewhere' } },
    ] });
    expect(lines).toEqual([
      'Allowed: score 0; policy version 3.',
      'On shift at st-elsewhere (2026-11-29 08:00 Europe/London to 2026-11-29 20:00 Europe/London).',
      'At the known terminal "Ward 3 PC" on Ward 3 (st-elsewhere).',
    ]);
  });
});
