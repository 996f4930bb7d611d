/**
 * How large a policy document may be, on every endpoint that reads one (PUT /policy,
 * /policy/validate, /simulate, /policy/replay): conditions nested past 32 levels, more conditions or
 * rules than allowed, or too many bytes are refused naming the path of what broke the limit, never
 * answered 500; a document exactly at the limits is accepted.
 */
import { describe, expect, it } from 'vitest';
import { databaseUnavailable } from '../../helpers/database.ts';
import { serverForThisFile } from '../../helpers/server-per-file.ts';
import { adminClient, type AdminClient } from '../../helpers/admin.ts';
import { WARD_UA } from '../../helpers/browser.ts';
import { DEFAULT_POLICY } from '../../../src/risk/policy.ts';
import { MAX_CONDITION_DEPTH, MAX_CONDITIONS, MAX_DOCUMENT_BYTES, MAX_RULES } from '../../../src/risk/policy-limits.ts';

type Condition = Record<string, unknown>;

/** A condition `levels` deep (the finding at the bottom counts as one), cycling all, any and not. */
function nested(levels: number): { when: Condition; pointerAt(level: number): string } {
  const keys: Array<'all' | 'any' | 'not'> = [];
  let when: Condition = { finding: 'remote' };
  for (let level = levels - 1; level >= 1; level--) {
    const key = (['all', 'any', 'not'] as const)[level % 3]!;
    keys.unshift(key);
    when = key === 'not' ? { not: when } : { [key]: [when] };
  }
  return {
    when,
    pointerAt: (level) => `/rules/0/when${keys.slice(0, level - 1).map((key) => (key === 'not' ? '/not' : `/${key}/0`)).join('')}`,
  };
}

function policyWith(rules: unknown[], extra: Record<string, unknown> = {}) {
  return { ...structuredClone(DEFAULT_POLICY), rules, ...extra };
}

const rule = (id: string, when: Condition) => ({ id, description: 'A test rule.', when, outcome: 'step_up', mode: 'report_only' });

describe.skipIf(databaseUnavailable())('admin API: policy size limits', () => {
  const wardgate = serverForThisFile();

  /** The four endpoints that read a document, each with how it answers one that breaks a limit. */
  async function endpoints(api: AdminClient) {
    const username = `limits.${crypto.randomUUID().slice(0, 8)}`;
    await wardgate().accounts.create({ username, password: 'policy limits passphrase', displayName: 'Policy Limits' });
    const now = Date.now();
    return {
      put: (document: unknown) => api.put('/policy', { document }),
      validate: (document: unknown) => api.post('/policy/validate', { document }),
      simulate: (document: unknown) => api.post('/simulate', { username, ip: '10.20.1.5', userAgent: WARD_UA, policy: document }),
      replay: (document: unknown) => api.post('/policy/replay', { policy: document, from: new Date(now - 86_400_000).toISOString(), to: new Date(now).toISOString() }),
    };
  }

  const versionCount = async () => Number((await wardgate().db('policy_versions').count({ n: '*' }).first())!.n);

  it.each([
    ['put', '/document'],
    ['simulate', '/policy'],
    ['replay', '/policy'],
  ] as const)('refuses a condition nested 1,000 deep on %s with 422 naming the first condition past 32 levels', async (endpoint, prefix) => {
    const api = await adminClient(wardgate());
    const deep = nested(1000);
    const before = await versionCount();
    const response = await (await endpoints(api))[endpoint](policyWith([rule('deep', deep.when)]));
    expect(response.status).toBe(422);
    const pointer = `${prefix}${deep.pointerAt(MAX_CONDITION_DEPTH + 1)}`;
    expect(response.body.errors).toEqual([{ pointer, message: `conditions may nest at most ${MAX_CONDITION_DEPTH} deep` }]);
    expect(response.body.error_description).toContain(`${pointer}: conditions may nest at most 32 deep`);
    expect(await versionCount()).toBe(before);
  });

  it('answers validate for a condition nested 1,000 deep as an invalid document naming the first condition past 32 levels', async () => {
    const api = await adminClient(wardgate());
    const deep = nested(1000);
    const response = await (await endpoints(api)).validate(policyWith([rule('deep', deep.when)]));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ valid: false, errors: [{ pointer: deep.pointerAt(MAX_CONDITION_DEPTH + 1), message: `conditions may nest at most ${MAX_CONDITION_DEPTH} deep` }] });
  });

  it('accepts conditions nested exactly 32 deep on all four endpoints', async () => {
    const api = await adminClient(wardgate());
    const call = await endpoints(api);
    const document = policyWith([...DEFAULT_POLICY.rules, rule('deep', nested(MAX_CONDITION_DEPTH).when)]);
    expect((await call.validate(document)).body).toEqual({ valid: true, errors: [] });
    const simulated = await call.simulate(document);
    expect(simulated.status).toBe(200);
    expect(simulated.body.policyVersion).toBe('draft');
    expect((await call.replay(document)).status).toBe(200);
    const saved = await call.put(document);
    expect(saved.status).toBe(201);
    expect(saved.body.document.rules.at(-1).when).toEqual(nested(MAX_CONDITION_DEPTH).when);
  });

  it('refuses one condition more than a policy may hold, naming it, and accepts exactly as many', async () => {
    const api = await adminClient(wardgate());
    const call = await endpoints(api);
    const leaves = (n: number) => Array.from({ length: n }, () => ({ finding: 'remote' }));
    // Each rule's `any` is one condition and holds the rest.
    const atLimit = policyWith([rule('wide-a', { any: leaves(499) }), rule('wide-b', { any: leaves(MAX_CONDITIONS - 501) })]);
    expect((await call.validate(atLimit)).body).toEqual({ valid: true, errors: [] });
    const over = policyWith([rule('wide-a', { any: leaves(499) }), rule('wide-b', { any: leaves(MAX_CONDITIONS - 500) })]);
    const response = await call.put(over);
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ pointer: `/document/rules/1/when/any/${MAX_CONDITIONS - 501}`, message: `a policy may hold at most ${MAX_CONDITIONS} conditions in all its rules together` }]);
  });

  it('refuses more rules than a policy may hold, naming the first one too many', async () => {
    const api = await adminClient(wardgate());
    const rules = Array.from({ length: MAX_RULES + 1 }, (_, i) => rule(`rule-${i}`, { finding: 'remote' }));
    const response = await (await endpoints(api)).put(policyWith(rules));
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ pointer: `/document/rules/${MAX_RULES}`, message: `a policy may hold at most ${MAX_RULES} rules` }]);
  });

  it('refuses a document of more bytes than allowed, naming the document', async () => {
    const api = await adminClient(wardgate());
    const browsers = Object.fromEntries(Array.from({ length: MAX_DOCUMENT_BYTES / 16 }, (_, i) => [`Browser ${i}`, 100]));
    const document = policyWith(DEFAULT_POLICY.rules, { lists: { ...DEFAULT_POLICY.lists, minimumBrowserVersions: browsers } });
    expect(JSON.stringify(document).length).toBeGreaterThan(MAX_DOCUMENT_BYTES);
    const response = await (await endpoints(api)).simulate(document);
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ pointer: '/policy', message: `a policy document may be at most ${MAX_DOCUMENT_BYTES} bytes of JSON` }]);
  });
});
