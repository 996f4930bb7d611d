/**
 * /admin/api/v1/policy over HTTP: the active version, saving versions (an invalid document named
 * pointer by pointer, nothing saved), validation for an editor, the version list, activation and
 * rollback taking effect at the next decision, the diff between versions, parallel saves, and the
 * audit trail of each save and activation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../../helpers/database.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { adminClient, type AdminClient, type ApiResponse } from '../../helpers/admin.ts';
import { WARD_UA } from '../../helpers/browser.ts';
import { DEFAULT_POLICY } from '../../../src/risk/policy.ts';
import type { RiskContext } from '../../../src/risk/types.ts';

const draft = (change: (p: any) => void = () => {}) => {
  const document = structuredClone(DEFAULT_POLICY) as any;
  change(document);
  return document;
};
const DENY_ALL = { id: 'deny-everyone', description: 'Nobody signs in (a test).', when: { scoreAtLeast: 0 }, outcome: 'deny', mode: 'enforce' };

const pointers = (response: ApiResponse) => (response.body.errors as Array<{ pointer: string }>).map((e) => e.pointer).sort();
const messageAt = (errors: Array<{ pointer: string; message: string }>, pointer: string) => errors.find((e) => e.pointer === pointer)?.message;

describe.skipIf(databaseUnavailable())('admin API: policy', () => {
  let db: TestDatabase;
  let server: TestServer;
  let api: AdminClient;

  const versionCount = async () => Number((await server.db('policy_versions').count({ n: '*' }).first())!.n);
  const context = (): RiskContext => ({ ip: '203.0.113.9', userAgent: WARD_UA, clientHints: {}, client: { id: 'ehr', sensitivity: 'standard' }, requestedAcr: [], at: new Date() });

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    api = await adminClient(server);
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it('answers the active version: the default policy, version 1', async () => {
    const active = await api.get('/policy');
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({ version: 1, author: 'wardgate', comment: 'default policy', active: true, activatedBy: 'wardgate' });
    expect(active.body.document).toEqual(JSON.parse(JSON.stringify(DEFAULT_POLICY)));
    expect(Date.parse(active.body.createdAt)).not.toBeNaN();
    expect(Date.parse(active.body.activatedAt)).not.toBeNaN();
  });

  it('refuses a deny threshold below the step-up threshold with 422 naming /document/thresholds/deny, and saves nothing', async () => {
    const before = await versionCount();
    const response = await api.put('/policy', { document: draft((p) => (p.thresholds = { stepUp: 80, deny: 60 })) });
    expect(response.status).toBe(422);
    expect(response.body.error).toBe('invalid_input');
    expect(response.body.errors).toEqual([{ pointer: '/document/thresholds/deny', message: 'deny must be above stepUp' }]);
    expect(response.body.error_description).toContain('/document/thresholds/deny');
    expect(await versionCount()).toBe(before);
  });

  it('names every bad field of the request and of the document: wrong types, unknown fields, a bad rule', async () => {
    const document = draft((p) => {
      p.colour = 'blue';
      p.thresholds.stepUp = '40';
      p.weights.off_shift = -1;
      p.weights.astrology = 5;
      p.lists.allowedCountries = ['gb'];
      p.rules.push({ ...DENY_ALL, id: 'Deny Everyone', outcome: 'maybe', extra: 1 });
    });
    const response = await api.put('/policy', { document, comment: 42, activate: 'yes', author: 'someone else' });
    expect(response.status).toBe(422);
    expect(pointers(response)).toEqual([
      '/activate',
      '/author',
      '/comment',
      '/document/colour',
      '/document/lists/allowedCountries/0',
      '/document/rules/4/extra',
      '/document/rules/4/id',
      '/document/rules/4/outcome',
      '/document/thresholds/stepUp',
      '/document/weights/astrology',
      '/document/weights/off_shift',
    ]);
    expect(messageAt(response.body.errors, '/document/colour')).toBe('unknown field "colour"');
    expect(messageAt(response.body.errors, '/author')).toBe('unknown field "author"');
    expect(messageAt(response.body.errors, '/document/lists/allowedCountries/0')).toBe('must be an ISO 3166-1 alpha-2 code');
    const missing = await api.put('/policy', { comment: 'no document' });
    expect(pointers(missing)).toEqual(['/document']);
    const notJson = await api.request('PUT', '/policy', { body: '{"document": ', contentType: 'application/json' });
    expect(notJson.status).toBe(400);
  });

  it('validates a document for an editor: 200 with pointers into the document itself', async () => {
    expect((await api.post('/policy/validate', { document: DEFAULT_POLICY })).body).toEqual({ valid: true, errors: [] });
    const invalid = await api.post('/policy/validate', { document: draft((p) => ((p.thresholds.deny = 10), (p.shift.graceBeforeMinutes = 'half an hour'), (p.surprise = true))) });
    expect(invalid.status).toBe(200);
    expect(invalid.body.valid).toBe(false);
    expect(invalid.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/shift/graceBeforeMinutes', '/surprise', '/thresholds/deny']);
    expect(messageAt(invalid.body.errors, '/thresholds/deny')).toBe('deny must be above stepUp');
    const notAnObject = await api.post('/policy/validate', { document: [1, 2] });
    expect(notAnObject.body).toMatchObject({ valid: false, errors: [{ pointer: '' }] });
    // The request itself must still be right.
    expect(pointers(await api.post('/policy/validate', {}))).toEqual(['/document']);
    expect(pointers(await api.post('/policy/validate', { document: {}, activate: true }))).toEqual(['/activate']);
    expect(await versionCount()).toBe(1);
  });

  it('saves a new version without activating it, lists versions newest first, reads one, 404 for an unknown one', async () => {
    const saved = await api.put('/policy', { document: draft((p) => (p.thresholds.deny = 150)), comment: 'stricter deny' });
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ version: 2, comment: 'stricter deny', active: false, activatedAt: null, activatedBy: null });
    expect(saved.body.author).toMatch(/^client:wg-/);
    expect(saved.body.document.thresholds).toEqual({ stepUp: 40, deny: 150 });
    expect((await api.get('/policy')).body.version).toBe(1);

    const versions = await api.get('/policy/versions');
    expect(versions.body.items.map((v: { version: number; active: boolean }) => [v.version, v.active])).toEqual([
      [2, false],
      [1, true],
    ]);
    expect(versions.body.items[0]).toEqual({ version: 2, author: saved.body.author, comment: 'stricter deny', createdAt: saved.body.createdAt, active: false });
    expect(versions.body.items[0]).not.toHaveProperty('document');

    expect((await api.get('/policy/versions/2')).body).toEqual(saved.body);
    expect((await api.get('/policy/versions/99')).status).toBe(404);
    const notANumber = await api.get('/policy/versions/abc');
    expect(notANumber.status).toBe(422);
    expect(notANumber.body.errors).toEqual([{ pointer: '/n', message: 'must be a version number (1, 2, …)' }]);
    expect((await api.get('/policy/versions/0')).status).toBe(422);
    expect((await api.get('/policy/versions/99999999999')).status).toBe(422);
    expect((await api.post('/policy/versions/99/activate')).status).toBe(404);
  });

  it('activates a version for the next decision in this process, and rolls back to an older one', async () => {
    expect((await server.assessor.evaluate(context(), 'pre_password')).determiningRules).not.toContain('rule:deny-everyone');
    const saved = await api.put('/policy', { document: draft((p) => p.rules.push(DENY_ALL)), comment: 'lock-down drill', activate: true });
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ active: true, activatedBy: saved.body.author });
    const locked = await server.assessor.evaluate(context(), 'pre_password');
    expect(locked).toMatchObject({ outcome: 'deny', policyVersion: saved.body.version });
    expect(locked.determiningRules).toContain('rule:deny-everyone');

    const rollback = await api.post('/policy/versions/1/activate');
    expect(rollback.status).toBe(200);
    expect(rollback.body).toMatchObject({ version: 1, active: true, activatedBy: saved.body.author });
    expect((await api.get('/policy')).body.version).toBe(1);
    const after = await server.assessor.evaluate(context(), 'pre_password');
    expect(after.policyVersion).toBe(1);
    expect(after.determiningRules).not.toContain('rule:deny-everyone');
    const listed = (await api.get('/policy/versions')).body.items;
    expect(listed.filter((v: { active: boolean }) => v.active).map((v: { version: number }) => v.version)).toEqual([1]);

    // Activating the active version again changes nothing and records nothing.
    const audited = await server.db('audit_log').where({ type: 'admin.policy.activate' });
    expect((await api.post('/policy/versions/1/activate')).status).toBe(200);
    expect(await server.db('audit_log').where({ type: 'admin.policy.activate' })).toHaveLength(audited.length);

    const trail = await server.db('audit_log').where('type', 'like', 'admin.policy.%').orderBy('id');
    const entries = trail.map((r: { type: string; subject: string; data: string }) => ({ type: r.type, subject: r.subject, data: JSON.parse(r.data) }));
    const created = entries.find((e: { type: string; subject: string }) => e.type === 'admin.policy.create' && e.subject === `policy/${saved.body.version}`)!;
    expect(created.data.after).toMatchObject({ version: saved.body.version, comment: 'lock-down drill', author: saved.body.author });
    expect(created.data.after.document.rules.at(-1).id).toBe('deny-everyone');
    expect(created.data.details).toEqual({ version: saved.body.version, activated: true });
    const activations = entries.filter((e: { type: string }) => e.type === 'admin.policy.activate').map((e: { data: { before: unknown; after: unknown } }) => [e.data.before, e.data.after]);
    expect(activations).toEqual([
      [{ version: 1 }, { version: saved.body.version }],
      [{ version: saved.body.version }, { version: 1 }],
    ]);
    expect(trail.every((r: { actor: string }) => r.actor === saved.body.author)).toBe(true);
  });

  it('diffs two versions by JSON pointer; `to` defaults to the active version', async () => {
    const diff = await api.get('/policy/diff?from=1&to=2');
    expect(diff.status).toBe(200);
    expect(diff.body).toEqual({ from: 1, to: 2, changes: [{ pointer: '/thresholds/deny', change: 'changed', from: 200, to: 150 }] });
    const back = await api.get('/policy/diff?from=2');
    expect(back.body).toEqual({ from: 2, to: 1, changes: [{ pointer: '/thresholds/deny', change: 'changed', from: 150, to: 200 }] });
    const rule = await api.get('/policy/diff?from=1&to=3');
    expect(rule.body.changes).toEqual([{ pointer: '/rules/4', change: 'added', to: DENY_ALL }]);
    expect((await api.get('/policy/diff?from=1&to=1')).body.changes).toEqual([]);
    expect((await api.get('/policy/diff?from=1&to=77')).status).toBe(404);
    expect(pointers(await api.get('/policy/diff?to=1'))).toEqual(['/from']);
    expect(pointers(await api.get('/policy/diff?from=one&colour=red'))).toEqual(['/colour', '/from']);
  });

  it('gives parallel saves distinct version numbers, all of them saved', async () => {
    const before = await versionCount();
    const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => api.put('/policy', { document: draft((p) => (p.thresholds.stepUp = 41 + i)), comment: `parallel ${i}` })));
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
    const numbers = responses.map((r) => r.body.version as number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 6 }, (_, i) => before + 1 + i));
    for (const response of responses) {
      expect((await api.get(`/policy/versions/${response.body.version}`)).body.comment).toBe(response.body.comment);
    }
    expect((await api.get('/policy')).body.version).toBe(1);
  });
});
