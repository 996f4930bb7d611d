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
      'Impossible travel: 5400 km from the last sign-in (GB to US) in 0.1 h, 54000 km/h (+100)',
      'From outside the hospital\'s networks (8.8.8.8) (+40)',
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
      'On shift at st-elsewhere, 2026-11-29 08:00 to 20:00 Europe/London.',
      'At the known terminal "Ward 3 PC" on Ward 3 (st-elsewhere).',
    ]);
  });

  it('names the person and the site when told them, as the service desk says it', () => {
    const context = { person: 'Dr Grey', sites: { 'st-marys': "St Mary's" } };
    const lines = explain({ ...base, outcome: 'step_up', score: 80, determiningRules: ['threshold:stepUp'], reportOnly: [], findings: [
      { code: 'off_shift', points: 40, details: { nextShiftStart: '2026-11-30T06:00:00.000Z', nextShiftLocalStart: '2026-11-30 06:00 Europe/London', siteId: 'st-marys', timezone: 'Europe/London', localAt: '2026-11-29 18:40 Europe/London', lookaheadHours: 24 } },
      { code: 'new_device', points: 20, details: { summary: 'Chrome 142 on Windows 10' } },
      { code: 'known_terminal', points: 0, details: { name: 'Ward 3 PC', unit: 'Ward 3', siteId: 'st-marys' } },
      { code: 'near_shift_edge', points: 10, details: { edge: 'before_start', minutes: 25, siteId: 'st-marys', localStart: '2026-11-29 20:00 Europe/London', localEnd: '2026-11-30 08:00 Europe/London' } },
    ] }, context);
    expect(lines).toEqual([
      'Stepped up to a security key: score 80 because of threshold:stepUp; policy version 3.',
      "Off shift: no shift for Dr Grey between 18:40 and 06:00, when the next starts at St Mary's (2026-11-30 06:00 Europe/London) (+40)",
      'A device Dr Grey has not signed in from recently (Chrome 142 on Windows 10) (+20)',
      'At the known terminal "Ward 3 PC" on Ward 3 (St Mary\'s).',
      "Not on shift, but 25 minutes before Dr Grey's shift at St Mary's starts (2026-11-29 20:00 to 2026-11-30 08:00 Europe/London) (+10)",
    ]);
  });

  it('says when no next shift is in sight, names a revoked terminal, and labels a draft policy', () => {
    const lines = explain({ ...base, outcome: 'step_up', score: 80, determiningRules: ['threshold:stepUp'], reportOnly: [], findings: [
      { code: 'off_shift', points: 40, details: { nextShiftStart: null, lookaheadHours: 24 } },
      { code: 'unknown_device', points: 40, details: { reason: 'revoked', name: 'Ward 9 PC', siteId: 'st-marys' } },
    ] }, { policy: 'a draft policy' });
    expect(lines).toEqual([
      'Stepped up to a security key: score 80 because of threshold:stepUp; a draft policy.',
      'Off shift: no shift for this person from the sign-in until 24 hours after it (+40)',
      'Not at a known terminal (the terminal "Ward 9 PC" was revoked) (+40)',
    ]);
  });
});
