import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, policySchema } from '../../../src/risk/policy.ts';
import { jsonLength, MAX_CONDITION_DEPTH, policyLimitIssues } from '../../../src/risk/policy-limits.ts';

const deep = (levels: number) => {
  let when: Record<string, unknown> = { finding: 'remote' };
  for (let i = 1; i < levels; i++) when = { not: when };
  return when;
};
const withRule = (when: unknown) => ({ ...structuredClone(DEFAULT_POLICY), rules: [{ id: 'r', description: 'r', when, outcome: 'deny', mode: 'enforce' }] });

describe('policy size limits', () => {
  it('counts compact JSON length without recursion, as JSON.stringify does', () => {
    for (const value of [DEFAULT_POLICY, { a: [1, 'x"y', null, true, { b: {} }], 'k\n': -1.5e-7 }, [], 'é']) {
      expect(jsonLength(value)).toBe(JSON.stringify(value).length);
    }
    // Deeper than JSON.stringify itself can go.
    let array: unknown[] = [];
    for (let i = 0; i < 100_000; i++) array = [array];
    expect(jsonLength(array)).toBe(200_002);
  });

  it('names the first condition past the depth limit, before the recursive schema reads twenty thousand levels', () => {
    const issues = policyLimitIssues(withRule(deep(20_000)));
    expect(issues).toEqual([{ path: ['rules', 0, 'when', ...Array(MAX_CONDITION_DEPTH).fill('not')], message: 'conditions may nest at most 32 deep' }]);
    const parsed = policySchema.safeParse(withRule(deep(20_000)));
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.message)).toEqual(['conditions may nest at most 32 deep']);
  });

  it('finds nothing wrong with the default policy, or a condition exactly at the depth limit', () => {
    expect(policyLimitIssues(DEFAULT_POLICY)).toEqual([]);
    expect(policySchema.safeParse(withRule(deep(MAX_CONDITION_DEPTH))).success).toBe(true);
  });

  it('leaves what is not a document to the schema', () => {
    for (const value of [null, 7, 'policy', [], { rules: 'none' }, { rules: [null, { when: null }, { when: { all: 'x', not: 3 } }] }]) {
      expect(policyLimitIssues(value)).toEqual([]);
    }
  });
});
