/**
 * Audit entries as FHIR R4 AuditEvents: the codes a SIEM or an audit repository files them by, the
 * person and app as agents, and a chain a receiver can check from the export alone.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditBundle, auditEventOf, auditNdjson, type AuditEntry } from '../../../src/audit/fhir.ts';
import { entryHash, GENESIS } from '../../../src/audit/log.ts';

const ISSUER = 'https://wardgate.st-marys.example';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const T0 = Date.parse('2026-11-29T08:00:00Z');

/** Entries chained exactly as audit/log.ts chains them. */
function chain(contents: Array<Omit<AuditEntry, 'id' | 'prevHash' | 'hash' | 'at' | 'data'> & { data: Record<string, unknown> }>): AuditEntry[] {
  let prev = GENESIS;
  return contents.map((content, i) => {
    const row = { at: T0 + i * 1000, type: content.type, actor: content.actor, subject: content.subject, data: JSON.stringify(content.data) };
    const hash = entryHash(prev, row);
    const entry: AuditEntry = { ...content, ...row, id: i + 1, prevHash: prev, hash };
    prev = hash;
    return entry;
  });
}

const signIn = (outcome: string, extra: Record<string, unknown> = {}) => ({
  type: 'sign_in.decision',
  actor: 'u-grey',
  subject: 'ehr',
  actorUsername: 'm.grey',
  actorName: 'Dr Meredith Grey',
  data: { decisionId: `d-${outcome}`, phase: 'password', outcome, score: outcome === 'deny' ? 90 : 10, findings: ['off_shift', 'remote'], determiningRules: outcome === 'allow' ? [] : ['threshold:deny'], reportOnly: [], policyVersion: 3, ip: '203.0.113.7', username: 'm.grey', ...extra },
});

const detail = (event: ReturnType<typeof auditEventOf>, type: string) => {
  const entity = event.entity[event.entity.length - 1]!;
  const found = entity.detail!.find((d) => d.type === type)!;
  return 'valueString' in found ? found.valueString : found.valueBase64Binary;
};

describe('audit entries as FHIR R4 AuditEvents', () => {
  it('files a sign-in as DCM 110114 User Authentication / 110122 Login, outcome 0, 4 or 8 by the decision', () => {
    const [allow, stepUp, deny] = chain([signIn('allow'), signIn('step_up'), signIn('deny')]);
    const explanations = new Map([['d-deny', ['Blocked: score 90 because of threshold:deny; policy version 3.', 'Off shift: no shift for Dr Grey … (+40)']]]);
    const events = [allow!, stepUp!, deny!].map((e) => auditEventOf(e, { issuer: ISSUER, explanations }));
    for (const event of events) {
      expect(event.resourceType).toBe('AuditEvent');
      expect(event.type).toEqual({ system: DCM, code: '110114', display: 'User Authentication' });
      expect(event.subtype).toEqual([{ system: DCM, code: '110122', display: 'Login' }]);
      expect(event.action).toBe('E');
      expect(event.source).toEqual({
        observer: { identifier: { value: ISSUER }, display: ISSUER },
        type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '6', display: 'Security Server' }],
      });
    }
    expect(events.map((e) => e.outcome)).toEqual(['0', '4', '8']);
    expect(events.map((e) => e.id)).toEqual(['1', '2', '3']);
    expect(events[0]!.recorded).toBe('2026-11-29T08:00:00.000Z');
    // The explanation when the decision was found, else a sentence from the entry itself.
    expect(events[2]!.outcomeDesc).toBe('Blocked: score 90 because of threshold:deny; policy version 3. Off shift: no shift for Dr Grey … (+40)');
    expect(events[0]!.outcomeDesc).toBe('Allowed: score 10; policy version 3; findings off_shift, remote.');

    const [human, app] = events[2]!.agent;
    expect(human).toEqual({
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type', code: 'humanuser', display: 'human user' }] },
      who: { identifier: { system: `${ISSUER}/users`, value: 'm.grey' }, display: 'Dr Meredith Grey' },
      altId: 'u-grey',
      requestor: true,
      network: { address: '203.0.113.7', type: '2' },
    });
    expect(app).toMatchObject({ type: { coding: [{ system: DCM, code: '110150', display: 'Application' }] }, who: { identifier: { value: 'ehr' } }, requestor: false });
    const decision = events[2]!.entity[0]!;
    expect(decision.what).toEqual({ identifier: { system: `${ISSUER}/admin/api/v1/decisions`, value: 'd-deny' } });
    expect(decision.detail).toContainEqual({ type: 'findings', valueString: 'off_shift remote' });
  });

  it('names nobody for a sign-in blocked before the password, but keeps the address', () => {
    const [entry] = chain([{ ...signIn('deny', { phase: 'pre_password', username: null }), actor: null, actorUsername: null, actorName: null }]);
    const human = auditEventOf(entry!, { issuer: ISSUER }).agent[0]!;
    expect(human.who).toBeUndefined();
    expect(human.name).toMatch(/not identified/);
    expect(human.network).toEqual({ address: '203.0.113.7', type: '2' });
    expect(human.requestor).toBe(true);
  });

  it('files a sign-out as 110114 / 110123 Logout, outcome 0', () => {
    const [entry] = chain([{ type: 'sign_out', actor: 'u-grey', subject: 'ehr', data: { username: 'm.grey', clientId: 'ehr', scope: 'all', clients: ['ehr', 'lab'], ip: '10.40.1.5' } }]);
    const event = auditEventOf(entry!, { issuer: ISSUER });
    expect(event.type.code).toBe('110114');
    expect(event.subtype).toEqual([{ system: DCM, code: '110123', display: 'Logout' }]);
    expect(event.outcome).toBe('0');
    expect(event.action).toBe('E');
    expect(event.agent[0]).toMatchObject({ who: { identifier: { value: 'm.grey' } }, requestor: true, network: { address: '10.40.1.5', type: '2' } });
    expect(event.agent[1]).toMatchObject({ who: { identifier: { value: 'ehr' } }, requestor: false });
    expect(event.outcomeDesc).toMatch(/every application/);
  });

  it('files admin changes as rest with the FHIR interaction and action, the admin as agent and what changed as entity', () => {
    const byClient = { kind: 'client', name: 'IT automation', clientId: 'it-bot' };
    const byPerson = { kind: 'user', name: 'Sam IT', username: 's.it', via: 'session' };
    const entries = chain([
      { type: 'admin.site.create', actor: 'client:it-bot', subject: 'site/st-marys', data: { resource: 'site', action: 'create', id: 'st-marys', actor: byClient, ip: '10.0.0.9', before: null, after: { id: 'st-marys' } } },
      { type: 'admin.site.update', actor: 'u-sam', subject: 'site/st-marys', data: { resource: 'site', action: 'update', id: 'st-marys', actor: byPerson, ip: '10.0.0.8', before: {}, after: {} } },
      { type: 'admin.site.delete', actor: 'u-sam', subject: 'site/st-marys', data: { resource: 'site', action: 'delete', id: 'st-marys', actor: byPerson, ip: '10.0.0.8', before: {}, after: null } },
      { type: 'admin.user.disable', actor: 'u-sam', subject: 'user/u-grey', data: { resource: 'user', action: 'disable', id: 'u-grey', actor: byPerson, ip: '10.0.0.8' } },
      { type: 'admin.audit.export', actor: 'u-sam', subject: 'audit/log', data: { resource: 'audit', action: 'export', id: 'log', actor: byPerson, ip: '10.0.0.8' } },
    ]);
    const events = entries.map((e) => auditEventOf(e, { issuer: ISSUER }));
    for (const event of events) {
      expect(event.type).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' });
      expect(event.outcome).toBe('0');
    }
    expect(events.map((e) => [e.subtype![0]!.code, e.action])).toEqual([
      ['create', 'C'],
      ['update', 'U'],
      ['delete', 'D'],
      ['patch', 'U'],
      ['operation', 'R'],
    ]);
    expect(events[0]!.subtype![0]!.system).toBe('http://hl7.org/fhir/restful-interaction');
    expect(events[0]!.agent).toEqual([
      {
        type: { coding: [{ system: DCM, code: '110150', display: 'Application' }] },
        who: { identifier: { system: `${ISSUER}/clients`, value: 'it-bot' }, display: 'IT automation' },
        requestor: true,
        network: { address: '10.0.0.9', type: '2' },
      },
    ]);
    expect(events[1]!.agent[0]).toMatchObject({ type: { coding: [{ code: 'humanuser' }] }, who: { identifier: { value: 's.it' }, display: 'Sam IT' }, altId: 'u-sam', requestor: true });
    expect(events[1]!.entity[0]).toMatchObject({
      what: { identifier: { system: `${ISSUER}/admin/api/v1`, value: 'site/st-marys' } },
      type: { code: '2', display: 'System Object' },
      role: { code: '2', display: 'Location' },
    });
    expect(events[3]!.entity[0]!.role).toMatchObject({ code: '11', display: 'Security User Entity' });
  });

  it('files a refused admin request as rest with outcome 8 and the caller\'s address', () => {
    const [anonymous, scopeless] = chain([
      { type: 'admin.access_denied', actor: null, subject: '/admin/api/v1/sites', data: { method: 'POST', path: '/admin/api/v1/sites', reason: 'no_credentials', ip: '198.51.100.4' } },
      { type: 'admin.access_denied', actor: 'client:ehr', subject: '/admin/api/v1/audit', data: { method: 'GET', path: '/admin/api/v1/audit', reason: 'insufficient_scope', ip: '10.0.0.3' } },
    ]);
    const first = auditEventOf(anonymous!, { issuer: ISSUER });
    expect(first.type.code).toBe('rest');
    expect([first.subtype![0]!.code, first.action, first.outcome]).toEqual(['create', 'C', '8']);
    expect(first.agent[0]).toEqual({ name: 'unauthenticated caller', requestor: true, network: { address: '198.51.100.4', type: '2' } });
    expect(first.outcomeDesc).toContain('no_credentials');
    const second = auditEventOf(scopeless!, { issuer: ISSUER });
    expect([second.subtype![0]!.code, second.action, second.outcome]).toEqual(['read', 'R', '8']);
    expect(second.agent[0]!.who!.identifier!.value).toBe('ehr');
  });

  it('files security-key events: a check as a login (0, 4, or 8 for a clone), key changes as security alerts', () => {
    const events = chain([
      { type: 'webauthn.asserted', actor: 'u-grey', subject: 'cred-1', actorUsername: 'm.grey', data: { ceremony: 'step_up', binding: 'i-1' } },
      { type: 'webauthn.failed', actor: 'u-grey', subject: 'i-1', actorUsername: 'm.grey', data: { reason: 'user_not_verified', credentialId: 'cred-1' } },
      { type: 'webauthn.failed', actor: 'u-grey', subject: 'i-1', actorUsername: 'm.grey', data: { reason: 'counter_regression', credentialId: 'cred-1' } },
      { type: 'webauthn.registered', actor: 'u-grey', subject: 'u-grey', actorUsername: 'm.grey', data: { credentialId: 'cred-2', deviceType: 'singleDevice', ceremony: 'register' } },
      { type: 'webauthn.counter_regression', actor: 'u-grey', subject: 'cred-1', data: { stored: 5, reported: 3, suspended: true } },
      { type: 'webauthn.reset', actor: 'cli:root', subject: 'u-grey', data: { removed: 2 } },
    ]).map((e) => auditEventOf(e, { issuer: ISSUER }));
    expect(events.map((e) => [e.type.code, e.subtype?.[0]?.code, e.action, e.outcome])).toEqual([
      ['110114', '110122', 'E', '0'],
      ['110114', '110122', 'E', '4'],
      ['110114', '110122', 'E', '8'],
      ['110113', '110137', 'C', '0'],
      ['110113', '110137', 'U', '8'],
      ['110113', '110137', 'D', '0'],
    ]);
    expect(events[0]!.agent[0]!.who!.identifier!.value).toBe('m.grey');
    // Without a username joined, the user id identifies the person.
    expect(events[4]!.agent[0]!.who!.identifier!.value).toBe('u-grey');
    expect(events[5]!.agent[0]!.who).toEqual({ identifier: { system: 'urn:wardgate:cli-user', value: 'root' }, display: 'root (command line)' });
  });

  it('carries each entry\'s hash, link and content, so a receiver can check the chain from the export', () => {
    const entries = chain([signIn('allow'), { type: 'sign_out', actor: 'u-grey', subject: 'ehr', data: { username: 'm.grey', scope: 'client', clientId: 'ehr', ip: '10.0.0.1' } }, { type: 'something.new', actor: null, subject: null, data: {} }]);
    const bundle = auditBundle(entries, { issuer: ISSUER }, { id: 'b-1', timestamp: new Date(T0 + 60_000) });
    expect(bundle).toMatchObject({ resourceType: 'Bundle', id: 'b-1', type: 'collection', timestamp: '2026-11-29T08:01:00.000Z' });
    expect(bundle).not.toHaveProperty('total');
    expect(bundle.entry).toHaveLength(3);
    const fullUrls = bundle.entry.map((e) => e.fullUrl);
    expect(new Set(fullUrls).size).toBe(3);
    for (const url of fullUrls) expect(url).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    let prev = GENESIS;
    for (const { resource } of bundle.entry) {
      const entity = resource.entity[resource.entity.length - 1]!;
      expect(entity.what!.identifier).toEqual({ system: `${ISSUER}/admin/api/v1/audit`, value: resource.id });
      expect(detail(resource, 'prevHash')).toBe(prev);
      const content = Buffer.from(detail(resource, 'entry'), 'base64').toString('utf8');
      const recomputed = crypto.createHash('sha256').update(`${prev}\n${content}`).digest('hex');
      expect(detail(resource, 'hash')).toBe(recomputed);
      prev = recomputed;
    }
    // An unknown type still maps, under Wardgate's own code system.
    expect(bundle.entry[2]!.resource.type).toEqual({ system: 'urn:wardgate:audit-event-type', code: 'something.new' });
    expect(detail(bundle.entry[2]!.resource, 'type')).toBe('something.new');
  });

  it('writes ndjson as one AuditEvent per line', () => {
    const entries = chain([signIn('allow'), signIn('deny')]);
    const text = auditNdjson(entries, { issuer: ISSUER });
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((l) => [l.resourceType, l.id, l.outcome])).toEqual([
      ['AuditEvent', '1', '0'],
      ['AuditEvent', '2', '8'],
    ]);
    expect(auditNdjson([], { issuer: ISSUER })).toBe('');
  });

  it('files failed and throttled attempts as outcome 4 with what was typed, and a completed step-up as 0 with its acr', () => {
    const attempt = (type: string, data: Record<string, unknown>, actor: string | null = null) => ({ type, actor, subject: 'ehr', actorUsername: actor ? 'm.grey' : null, actorName: null, data: { ip: '203.0.113.7', ...data } });
    const entries = chain([
      attempt('sign_in.failed', { method: 'password', reason: 'unknown_user', typedUsername: 'm.gery' }),
      attempt('sign_in.failed', { method: 'password', reason: 'wrong_password', typedUsername: 'm.grey' }, 'u-grey'),
      attempt('sign_in.throttled', { method: 'password', retryAfter: 4, typedUsername: 'm.grey' }),
      attempt('sign_in.failed', { method: 'passkey', reason: 'webauthn:unknown_credential', typedUsername: null, credentialId: 'cred-1' }),
      attempt('sign_in.stepped_up', { method: 'step_up', decisionId: 'd-1', acr: 'phr', amr: ['pwd', 'hwk', 'user', 'mfa'], credentialId: 'cred-2', username: 'm.grey' }, 'u-grey'),
      signIn('allow', { acr: 'urn:wardgate:acr:1fa', amr: ['pwd'] }),
    ]);
    const events = entries.map((e) => auditEventOf(e, { issuer: ISSUER }));
    expect(events.map((e) => e.outcome)).toEqual(['4', '4', '4', '4', '0', '0']);
    for (const event of events) {
      expect(event.type).toEqual({ system: DCM, code: '110114', display: 'User Authentication' });
      expect(event.subtype).toEqual([{ system: DCM, code: '110122', display: 'Login' }]);
    }
    const details = (event: (typeof events)[number]) => Object.fromEntries(event.entity.slice(0, -1).flatMap((e) => (e.detail ?? []).map((d) => [d.type, 'valueString' in d ? d.valueString : ''])));
    // What was typed is a detail of the attempt, never the person's identity.
    expect(details(events[0]!)).toMatchObject({ method: 'password', reason: 'unknown_user', typedUsername: 'm.gery' });
    expect(events[0]!.agent[0]!.who).toBeUndefined();
    expect(events[1]!.agent[0]!.who).toMatchObject({ identifier: { system: `${ISSUER}/users`, value: 'm.grey' } });
    expect(details(events[2]!)).toMatchObject({ retryAfter: '4' });
    expect(events[3]!.entity.map((e) => e.what?.identifier?.value)).toContain('cred-1');
    expect(details(events[4]!)).toMatchObject({ acr: 'phr', amr: 'pwd hwk user mfa' });
    expect(events[4]!.entity.map((e) => e.what?.identifier?.value)).toContain('d-1');
    expect(details(events[5]!)).toMatchObject({ acr: 'urn:wardgate:acr:1fa', amr: 'pwd' });
  });
});
