/** The policy diff: every added, removed and changed value named by a JSON pointer into the documents. */
import { describe, expect, it } from 'vitest';
import { diffPolicies, jsonPointer } from '../../../src/policy/diff.ts';
import { DEFAULT_POLICY } from '../../../src/risk/policy.ts';

const copy = () => structuredClone(DEFAULT_POLICY) as typeof DEFAULT_POLICY & Record<string, any>;

describe('diffPolicies', () => {
  it('finds nothing between equal documents', () => {
    expect(diffPolicies(DEFAULT_POLICY, copy())).toEqual([]);
  });

  it('names a changed threshold, an added weight and a removed one', () => {
    const next = copy();
    next.thresholds.deny = 150;
    delete next.weights.near_shift_edge;
    (next.weights as Record<string, number>).phr_requested = 5;
    expect(diffPolicies(DEFAULT_POLICY, next)).toEqual(
      expect.arrayContaining([
        { pointer: '/thresholds/deny', change: 'changed', from: 200, to: 150 },
        { pointer: '/weights/near_shift_edge', change: 'removed', from: 10 },
        { pointer: '/weights/phr_requested', change: 'changed', from: 0, to: 5 },
      ]),
    );
    expect(diffPolicies(DEFAULT_POLICY, next)).toHaveLength(3);
  });

  it('reports list items by position, an appended rule as added and a dropped one as removed', () => {
    const next = copy();
    next.rules.push({ id: 'deny-spraying', description: 'Spraying is blocked.', when: { finding: 'password_spraying' }, outcome: 'deny', mode: 'report_only' });
    next.rules[0]!.mode = 'report_only';
    const changes = diffPolicies(DEFAULT_POLICY, next);
    expect(changes).toContainEqual({ pointer: '/rules/0/mode', change: 'changed', from: 'enforce', to: 'report_only' });
    expect(changes).toContainEqual({ pointer: '/rules/4', change: 'added', to: next.rules[4] });
    expect(diffPolicies(next, DEFAULT_POLICY)).toContainEqual({ pointer: '/rules/4', change: 'removed', from: next.rules[4] });
  });

  it('reports a value that changes kind (null to a list) as one change', () => {
    const next = copy();
    next.lists.allowedCountries = ['GB', 'IE'];
    expect(diffPolicies(DEFAULT_POLICY, next)).toEqual([{ pointer: '/lists/allowedCountries', change: 'changed', from: null, to: ['GB', 'IE'] }]);
  });

  it('escapes "/" and "~" in keys as RFC 6901 says', () => {
    const before = { lists: { minimumBrowserVersions: { 'Mobile Safari': 16 } } };
    const after = { lists: { minimumBrowserVersions: { 'Mobile Safari': 16, 'a/b~c': 1 } } };
    expect(diffPolicies(before, after)).toEqual([{ pointer: '/lists/minimumBrowserVersions/a~1b~0c', change: 'added', to: 1 }]);
    expect(jsonPointer(['rules', 0, 'id'])).toBe('/rules/0/id');
  });

  it('compares values that are not documents as a whole', () => {
    expect(diffPolicies(null, { a: 1 })).toEqual([{ pointer: '', change: 'changed', from: null, to: { a: 1 } }]);
    expect(diffPolicies(3, 3)).toEqual([]);
    expect(diffPolicies([1], { 0: 1 })).toEqual([{ pointer: '', change: 'changed', from: [1], to: { 0: 1 } }]);
  });
});
