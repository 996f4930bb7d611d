/**
 * The audit log as FHIR R4 AuditEvent resources, for a SIEM or a national audit repository. Pure:
 * entries (with their hashes) in, resources out; the admin API reads the entries and the decisions
 * that explain them.
 *
 * Mapping (type system DCM = http://dicom.nema.org/resources/ontology/DCM):
 *
 * | Wardgate entry             | type                        | subtype                      | action | outcome                           |
 * |----------------------------|-----------------------------|------------------------------|--------|-----------------------------------|
 * | sign_in.decision           | DCM 110114 User Auth.       | DCM 110122 Login             | E      | allow 0, step_up 4, deny 8        |
 * | sign_in.failed             | DCM 110114 User Auth.       | DCM 110122 Login             | E      | 4 (wrong password, unknown user, disabled, refused key) |
 * | sign_in.throttled          | DCM 110114 User Auth.       | DCM 110122 Login             | E      | 4 (refused unchecked: too many attempts) |
 * | sign_in.stepped_up         | DCM 110114 User Auth.       | DCM 110122 Login             | E      | 0 (a security key finished the sign-in) |
 * | webauthn.asserted          | DCM 110114 User Auth.       | DCM 110122 Login             | E      | 0 (the security key step passed)  |
 * | webauthn.failed            | DCM 110114 User Auth.       | DCM 110122 Login             | E      | 4; 8 for a cloned key             |
 * | sign_out                   | DCM 110114 User Auth.       | DCM 110123 Logout            | E      | 0                                 |
 * | webauthn.registered        | DCM 110113 Security Alert   | DCM 110137 User Security Attributes Changed | C | 0 (informative)        |
 * | webauthn.removed / .reset  | DCM 110113 Security Alert   | DCM 110137                   | D      | 0 (informative)                   |
 * | webauthn.enrollment_link   | DCM 110113 Security Alert   | DCM 110137                   | C      | 0 (informative)                   |
 * | webauthn.counter_regression| DCM 110113 Security Alert   | DCM 110137 (key suspended)   | U      | 8 (serious, mitigated)            |
 * | admin.<resource>.<action>  | audit-event-type `rest`     | restful-interaction (below)  | below  | 0                                 |
 * | admin.access_denied        | audit-event-type `rest`     | by HTTP method               | by method | 8                              |
 * | anything else              | urn:wardgate:audit-event-type <type> | –                   | E      | 0                                 |
 *
 * Outcomes: 0 success; 4 minor failure = the attempt did not succeed but the person can go on
 * (a step-up to a security key is required, a key check failed and may be retried); 8 serious
 * failure = refused (a blocked sign-in, a refused admin request, a cloned key). 12 is never used.
 * For Security Alerts DICOM reads 0 as "informative" and 4/8 as "mitigated".
 *
 * Admin actions: create → create/C, update → update/U, delete → delete/D, revoke/disable/enable →
 * patch/U, import → batch/E, activate → operation/E, reset_credentials → operation/D,
 * enrollment_link → operation/C, export → operation/R, others → operation/E.
 *
 * Agents: the person as a `humanuser` (extra-security-role-type) with `who.identifier.value` the
 * username, `altId` the user id (the OIDC `sub`), `requestor: true` and `network` (type 2, IP
 * address) when the entry has an address; a client (admin API caller, relying app) as DCM 110150
 * Application. The relying app of a sign-in is a second agent with `requestor: false`.
 * `source.observer` is the issuer URL (identifier and display), `source.type` security-source-type
 * 6 Security Server (an identity provider authenticates, as a domain controller does).
 *
 * A sign-in that finished carries the assurance it reached: an entity detail `acr` (and `amr`) on
 * the decision of an allowed password or passkey sign-in and on a completed step-up. An attempt
 * refused before the person was known carries what was typed as entity detail `typedUsername`
 * (unverified: never the agent's identity).
 *
 * Every event has `id` = the audit row id and a last entity describing the audit entry itself with
 * details `type` (Wardgate's type), `hash`, `prevHash` and `entry` (base64 of the canonical JSON the
 * hash covers), so a SIEM can check the chain: hash = SHA-256(prevHash + "\n" + entry), and each
 * event's prevHash is the hash of the event before it.
 */
import crypto from 'node:crypto';
import { canonicalEntry } from './log.ts';
import { VERDICTS } from '../risk/explain.ts';
import type { Decision } from '../risk/types.ts';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
const ROLE_TYPE = 'http://terminology.hl7.org/CodeSystem/extra-security-role-type';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const OTHER_TYPE = 'urn:wardgate:audit-event-type';

export interface Coding {
  system: string;
  code: string;
  display?: string;
}

export type FhirAction = 'C' | 'R' | 'U' | 'D' | 'E';
export type FhirOutcome = '0' | '4' | '8' | '12';

interface Identified {
  identifier?: { system?: string; value: string };
  display?: string;
}

export interface AuditEventAgent {
  type?: { coding: Coding[] };
  who?: Identified;
  altId?: string;
  name?: string;
  requestor: boolean;
  network?: { address: string; type: '1' | '2' | '3' | '4' | '5' };
}

export interface AuditEventEntity {
  what?: Identified;
  type?: Coding;
  role?: Coding;
  name?: string;
  description?: string;
  detail?: Array<{ type: string; valueString: string } | { type: string; valueBase64Binary: string }>;
}

export interface AuditEventResource {
  resourceType: 'AuditEvent';
  id: string;
  meta: { lastUpdated: string };
  type: Coding;
  subtype?: Coding[];
  action: FhirAction;
  recorded: string;
  outcome: FhirOutcome;
  outcomeDesc?: string;
  agent: AuditEventAgent[];
  source: { observer: Identified; type: Coding[] };
  entity: AuditEventEntity[];
}

export interface AuditBundle {
  resourceType: 'Bundle';
  id: string;
  meta: { lastUpdated: string };
  type: 'collection';
  timestamp: string;
  entry: Array<{ fullUrl: string; resource: AuditEventResource }>;
}

/** One audit row as the mapping needs it (the admin API's list shape, with the raw data text). */
export interface AuditEntry {
  id: number;
  at: number;
  type: string;
  actor: string | null;
  subject: string | null;
  /** The stored JSON text, exactly as hashed. */
  data: string;
  prevHash: string;
  hash: string;
  /** The username and display name of the actor when the actor is a user. */
  actorUsername?: string | null;
  actorName?: string | null;
}

export interface FhirContext {
  issuer: string;
  /** Plain-language explanations of sign-in decisions by decision id (risk/explain.ts). */
  explanations?: ReadonlyMap<string, readonly string[]>;
}

const USER_AUTHENTICATION: Coding = { system: DCM, code: '110114', display: 'User Authentication' };
const LOGIN: Coding = { system: DCM, code: '110122', display: 'Login' };
const LOGOUT: Coding = { system: DCM, code: '110123', display: 'Logout' };
const SECURITY_ALERT: Coding = { system: DCM, code: '110113', display: 'Security Alert' };
const USER_SECURITY_ATTRIBUTES_CHANGED: Coding = { system: DCM, code: '110137', display: 'User Security Attributes Changed' };
const REST: Coding = { system: AUDIT_EVENT_TYPE, code: 'rest', display: 'RESTful Operation' };
const HUMAN_USER = { coding: [{ system: ROLE_TYPE, code: 'humanuser', display: 'human user' }] };
const APPLICATION = { coding: [{ system: DCM, code: '110150', display: 'Application' }] };
const SECURITY_SERVER: Coding = { system: SOURCE_TYPE, code: '6', display: 'Security Server' };
const SYSTEM_OBJECT: Coding = { system: ENTITY_TYPE, code: '2', display: 'System Object' };
const PERSON: Coding = { system: ENTITY_TYPE, code: '1', display: 'Person' };

const interaction = (code: string): Coding => ({ system: RESTFUL_INTERACTION, code, display: code });

/** What an admin change's action is, as a FHIR RESTful interaction and an AuditEvent action. */
const ADMIN_ACTIONS: Record<string, { interaction: string; action: FhirAction }> = {
  create: { interaction: 'create', action: 'C' },
  update: { interaction: 'update', action: 'U' },
  delete: { interaction: 'delete', action: 'D' },
  revoke: { interaction: 'patch', action: 'U' },
  disable: { interaction: 'patch', action: 'U' },
  enable: { interaction: 'patch', action: 'U' },
  import: { interaction: 'batch', action: 'E' },
  activate: { interaction: 'operation', action: 'E' },
  reset_credentials: { interaction: 'operation', action: 'D' },
  enrollment_link: { interaction: 'operation', action: 'C' },
  export: { interaction: 'operation', action: 'R' },
};

const METHOD_ACTIONS: Record<string, { interaction: string; action: FhirAction }> = {
  GET: { interaction: 'read', action: 'R' },
  HEAD: { interaction: 'read', action: 'R' },
  POST: { interaction: 'create', action: 'C' },
  PUT: { interaction: 'update', action: 'U' },
  PATCH: { interaction: 'patch', action: 'U' },
  DELETE: { interaction: 'delete', action: 'D' },
};

/** object-role codes where one plainly fits what an admin change touched. */
const RESOURCE_ROLES: Record<string, Coding> = {
  user: { system: OBJECT_ROLE, code: '11', display: 'Security User Entity' },
  site: { system: OBJECT_ROLE, code: '2', display: 'Location' },
  shift: { system: OBJECT_ROLE, code: '18', display: 'Schedule' },
  policy: { system: OBJECT_ROLE, code: '13', display: 'Security Resource' },
  audit: { system: OBJECT_ROLE, code: '17', display: 'Data Repository' },
};

const SIGN_IN_OUTCOMES: Record<string, FhirOutcome> = { allow: '0', step_up: '4', deny: '8' };
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function parseData(entry: AuditEntry): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(entry.data);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const network = (ip: unknown): Pick<AuditEventAgent, 'network'> => (text(ip) ? { network: { address: text(ip)!, type: '2' } } : {});

/** The person of an event: username as the identifier, the user id as altId. */
function person(who: { username?: string; name?: string; userId?: string; ip?: unknown }, issuer: string, requestor = true): AuditEventAgent {
  const identified = who.username ?? who.userId;
  return {
    type: HUMAN_USER,
    ...(identified
      ? { who: { identifier: { system: `${issuer}/users`, value: identified }, display: who.name ?? identified } }
      : { name: 'not identified (before the password was checked)' }),
    ...(who.userId ? { altId: who.userId } : {}),
    requestor,
    ...network(who.ip),
  };
}

function application(clientId: string, issuer: string, options: { requestor: boolean; name?: string; ip?: unknown }): AuditEventAgent {
  return {
    type: APPLICATION,
    who: { identifier: { system: `${issuer}/clients`, value: clientId }, display: options.name ?? clientId },
    requestor: options.requestor,
    ...network(options.ip),
  };
}

/** The entry's actor as the person, with the username and name the entry's data gives when it gives them. */
function actorPerson(entry: AuditEntry, issuer: string, ip: unknown, given: { username?: string; name?: string } = {}): AuditEventAgent {
  return person({ username: given.username ?? entry.actorUsername ?? undefined, name: given.name ?? entry.actorName ?? undefined, userId: entry.actor ?? undefined, ip }, issuer);
}

/** The agent named by an entry's actor column: `client:<id>`, `cli:<os user>`, a user id (with its username when known), or nobody. */
function actorAgent(entry: AuditEntry, issuer: string, ip?: unknown): AuditEventAgent {
  if (entry.actor?.startsWith('client:')) return application(entry.actor.slice('client:'.length), issuer, { requestor: true, ip });
  if (entry.actor?.startsWith('cli:')) {
    // Someone at the server's shell (wardgate users reset-credentials …), by their OS account.
    const account = entry.actor.slice('cli:'.length);
    return { type: HUMAN_USER, who: { identifier: { system: 'urn:wardgate:cli-user', value: account }, display: `${account} (command line)` }, requestor: true, ...network(ip) };
  }
  if (entry.actor) return actorPerson(entry, issuer, ip);
  return { name: 'unauthenticated caller', requestor: true, ...network(ip) };
}

function objectEntity(system: string, value: string, options: { type?: Coding; role?: Coding; name?: string; description?: string; detail?: AuditEventEntity['detail'] } = {}): AuditEventEntity {
  return {
    what: { identifier: { system, value } },
    type: options.type ?? SYSTEM_OBJECT,
    ...(options.role ? { role: options.role } : {}),
    ...(options.name ? { name: options.name } : {}),
    ...(options.description ? { description: options.description } : {}),
    ...(options.detail?.length ? { detail: options.detail } : {}),
  };
}

/** The audit entry itself, so the chain can be checked from the export alone. */
function chainEntity(entry: AuditEntry, issuer: string): AuditEventEntity {
  return objectEntity(`${issuer}/admin/api/v1/audit`, String(entry.id), {
    name: `Wardgate audit entry ${entry.id}`,
    description: 'The hash-chained audit log entry this event comes from: hash = SHA-256(prevHash + "\\n" + entry), entry being the canonical JSON [at, type, actor, subject, data].',
    detail: [
      { type: 'type', valueString: entry.type },
      { type: 'hash', valueString: entry.hash },
      { type: 'prevHash', valueString: entry.prevHash },
      { type: 'entry', valueBase64Binary: Buffer.from(canonicalEntry(entry), 'utf8').toString('base64') },
    ],
  });
}

interface Mapped {
  type: Coding;
  subtype?: Coding[];
  action: FhirAction;
  outcome: FhirOutcome;
  outcomeDesc?: string;
  agent: AuditEventAgent[];
  entity: AuditEventEntity[];
}

function signInDecision(entry: AuditEntry, data: Record<string, unknown>, context: FhirContext): Mapped {
  const { issuer } = context;
  const outcome = String(data.outcome ?? '');
  const decisionId = text(data.decisionId);
  const explanation = decisionId ? context.explanations?.get(decisionId) : undefined;
  const findings = Array.isArray(data.findings) ? data.findings.map(String) : [];
  const rules = Array.isArray(data.determiningRules) ? data.determiningRules.map(String) : [];
  const fallback = `${VERDICTS[outcome as Decision['outcome']] ?? outcome}: score ${String(data.score ?? '?')}${rules.length ? ` because of ${rules.join(', ')}` : ''}; policy version ${String(data.policyVersion ?? '?')}${findings.length ? `; findings ${findings.join(', ')}` : ''}.`;
  const agent = [actorPerson(entry, issuer, data.ip, { username: text(data.username) })];
  if (entry.subject) agent.push(application(entry.subject, issuer, { requestor: false }));
  const entity = decisionId
    ? [
        objectEntity(`${issuer}/admin/api/v1/decisions`, decisionId, {
          name: 'sign-in decision',
          detail: [
            { type: 'phase', valueString: String(data.phase ?? '') },
            { type: 'outcome', valueString: outcome },
            { type: 'score', valueString: String(data.score ?? '') },
            { type: 'policyVersion', valueString: String(data.policyVersion ?? '') },
            ...(findings.length ? [{ type: 'findings', valueString: findings.join(' ') }] : []),
            ...(rules.length ? [{ type: 'determiningRules', valueString: rules.join(' ') }] : []),
            ...reached(data),
            ...(text(data.typedUsername) !== undefined ? [{ type: 'typedUsername', valueString: text(data.typedUsername)! }] : []),
          ],
        }),
      ]
    : [];
  return {
    type: USER_AUTHENTICATION,
    subtype: [LOGIN],
    action: 'E',
    outcome: SIGN_IN_OUTCOMES[outcome] ?? '8',
    outcomeDesc: explanation?.length ? explanation.join(' ') : fallback,
    agent,
    entity,
  };
}

/** The assurance a sign-in reached, as entity details (none when it reached none). */
function reached(data: Record<string, unknown>): { type: string; valueString: string }[] {
  const acr = text(data.acr);
  if (!acr) return [];
  const amr = Array.isArray(data.amr) ? data.amr.map(String) : [];
  return [{ type: 'acr', valueString: acr }, ...(amr.length ? [{ type: 'amr', valueString: amr.join(' ') }] : [])];
}

/** sign_in.failed, sign_in.throttled and sign_in.stepped_up (signin/attempts.ts). */
function signInAttempt(entry: AuditEntry, data: Record<string, unknown>, issuer: string): Mapped {
  const kind = entry.type.slice('sign_in.'.length);
  const method = String(data.method ?? 'password');
  const agent = [actorPerson(entry, issuer, data.ip, { username: text(data.username) })];
  if (entry.subject) agent.push(application(entry.subject, issuer, { requestor: false }));
  const typed = text(data.typedUsername);
  const attempt = objectEntity(`${issuer}/audit/sign-in-attempts`, String(entry.id), {
    name: `sign-in attempt (${method})`,
    detail: [
      { type: 'method', valueString: method },
      ...(text(data.reason) ? [{ type: 'reason', valueString: text(data.reason)! }] : []),
      ...(typed !== undefined ? [{ type: 'typedUsername', valueString: typed }] : []),
      ...(data.retryAfter !== undefined ? [{ type: 'retryAfter', valueString: String(data.retryAfter) }] : []),
      ...reached(data),
    ],
  });
  const decisionId = text(data.decisionId);
  const decision = decisionId ? [objectEntity(`${issuer}/admin/api/v1/decisions`, decisionId, { name: 'sign-in decision' })] : [];
  const credentialId = text(data.credentialId);
  const credential = credentialId ? [objectEntity(`${issuer}/webauthn/credentials`, credentialId, { name: 'security key' })] : [];
  const login = (outcome: FhirOutcome, outcomeDesc: string): Mapped => ({ type: USER_AUTHENTICATION, subtype: [LOGIN], action: 'E', outcome, outcomeDesc, agent, entity: [attempt, ...decision, ...credential] });
  switch (kind) {
    case 'failed':
      return login('4', `Sign-in attempt failed (${method}): ${String(data.reason ?? 'refused')}.`);
    case 'throttled':
      return login('4', `Sign-in attempt refused unchecked (${method}): too many attempts; retry after ${String(data.retryAfter ?? '?')} s.`);
    case 'stepped_up':
      return login('0', `Signed in with a security key after a step-up (acr ${String(data.acr ?? '?')}).`);
    default:
      return login('0', entry.type);
  }
}

function signOut(entry: AuditEntry, data: Record<string, unknown>, issuer: string): Mapped {
  const clientId = text(data.clientId) ?? entry.subject ?? undefined;
  const agent = [actorPerson(entry, issuer, data.ip, { username: text(data.username) })];
  if (clientId) agent.push(application(clientId, issuer, { requestor: false }));
  const everywhere = data.scope === 'all';
  return {
    type: USER_AUTHENTICATION,
    subtype: [LOGOUT],
    action: 'E',
    outcome: '0',
    outcomeDesc: everywhere ? 'Signed out of Wardgate and every application of the session.' : `Signed out of ${clientId ?? 'one application'}; the Wardgate session goes on.`,
    agent,
    entity: [],
  };
}

function webauthn(entry: AuditEntry, data: Record<string, unknown>, issuer: string): Mapped {
  const kind = entry.type.slice('webauthn.'.length);
  const credential = (id: string | null | undefined) => (id ? [objectEntity(`${issuer}/webauthn/credentials`, id, { name: 'security key' })] : []);
  const subjectPerson = (id: string | null) => (id ? [objectEntity(`${issuer}/users`, id, { type: PERSON, role: RESOURCE_ROLES.user, name: 'the person whose security keys changed' })] : []);
  const agent = [actorAgent(entry, issuer)];
  const login = (outcome: FhirOutcome, outcomeDesc: string, entity: AuditEventEntity[]): Mapped => ({ type: USER_AUTHENTICATION, subtype: [LOGIN], action: 'E', outcome, outcomeDesc, agent, entity });
  const alert = (action: FhirAction, outcome: FhirOutcome, outcomeDesc: string, entity: AuditEventEntity[]): Mapped => ({
    type: SECURITY_ALERT,
    subtype: [USER_SECURITY_ATTRIBUTES_CHANGED],
    action,
    outcome,
    outcomeDesc,
    agent,
    entity,
  });
  switch (kind) {
    case 'asserted':
      return login('0', `Security key verified (${String(data.ceremony ?? 'sign-in')}).`, credential(entry.subject));
    case 'failed': {
      const reason = String(data.reason ?? 'unknown');
      return login(reason === 'counter_regression' ? '8' : '4', `Security key check failed: ${reason}.`, credential(text(data.credentialId)));
    }
    case 'counter_regression':
      return alert('U', '8', `A security key's signature counter went backwards (stored ${String(data.stored)}, reported ${String(data.reported)}): it may have been cloned, and was suspended.`, credential(entry.subject));
    case 'registered':
      return alert('C', '0', `Security key registered (${String(data.ceremony ?? '')}).`, credential(text(data.credentialId)));
    case 'removed':
      return alert('D', '0', 'Security key removed by its owner.', credential(entry.subject));
    case 'reset':
      return alert('D', '0', `Every security key of the person removed by IT (${String(data.removed ?? '?')}).`, subjectPerson(entry.subject));
    case 'enrollment_link':
      return alert('C', '0', 'A one-time link to register a security key was issued by IT.', subjectPerson(entry.subject));
    default:
      return alert('E', '0', entry.type, credential(entry.subject));
  }
}

function adminChange(entry: AuditEntry, data: Record<string, unknown>, issuer: string): Mapped {
  const [, resourceFromType = '', actionFromType = ''] = entry.type.split('.');
  const resource = text(data.resource) ?? resourceFromType;
  const action = text(data.action) ?? actionFromType;
  const mapped = ADMIN_ACTIONS[action] ?? { interaction: 'operation', action: 'E' as const };
  const who = (data.actor ?? {}) as Record<string, unknown>;
  const agent =
    who.kind === 'client' && text(who.clientId)
      ? application(text(who.clientId)!, issuer, { requestor: true, name: text(who.name), ip: data.ip })
      : who.kind === 'user'
        ? actorPerson(entry, issuer, data.ip, { username: text(who.username), name: text(who.name) })
        : actorAgent(entry, issuer, data.ip);
  const id = text(data.id) ?? entry.subject ?? '';
  return {
    type: REST,
    subtype: [interaction(mapped.interaction)],
    action: mapped.action,
    outcome: '0',
    outcomeDesc: `${action} ${resource} ${id}`.trim(),
    agent: [agent],
    entity: [objectEntity(`${issuer}/admin/api/v1`, entry.subject ?? `${resource}/${id}`, { role: RESOURCE_ROLES[resource], name: `${resource} ${id}`.trim() })],
  };
}

function accessDenied(entry: AuditEntry, data: Record<string, unknown>, issuer: string): Mapped {
  const method = String(data.method ?? 'GET').toUpperCase();
  const mapped = METHOD_ACTIONS[method] ?? { interaction: 'operation', action: 'E' as const };
  const path = text(data.path) ?? entry.subject ?? '';
  return {
    type: REST,
    subtype: [interaction(mapped.interaction)],
    action: mapped.action,
    outcome: '8',
    outcomeDesc: `Admin API request refused (${String(data.reason ?? 'refused')}): ${method} ${path}`,
    agent: [actorAgent(entry, issuer, data.ip)],
    entity: path ? [objectEntity(`${issuer}/admin/api/v1`, path, { name: `${method} ${path}` })] : [],
  };
}

function other(entry: AuditEntry, data: Record<string, unknown>, issuer: string): Mapped {
  return { type: { system: OTHER_TYPE, code: entry.type }, action: 'E', outcome: '0', outcomeDesc: entry.type, agent: [actorAgent(entry, issuer, data.ip)], entity: [] };
}

/** One audit entry as a FHIR R4 AuditEvent. */
export function auditEventOf(entry: AuditEntry, context: FhirContext): AuditEventResource {
  const data = parseData(entry);
  const { issuer } = context;
  const mapped =
    entry.type === 'sign_in.decision'
      ? signInDecision(entry, data, context)
      : entry.type.startsWith('sign_in.')
        ? signInAttempt(entry, data, issuer)
        : entry.type === 'sign_out'
        ? signOut(entry, data, issuer)
        : entry.type === 'admin.access_denied'
          ? accessDenied(entry, data, issuer)
          : entry.type.startsWith('admin.')
            ? adminChange(entry, data, issuer)
            : entry.type.startsWith('webauthn.')
              ? webauthn(entry, data, issuer)
              : other(entry, data, issuer);
  const recorded = new Date(entry.at).toISOString();
  return {
    resourceType: 'AuditEvent',
    id: String(entry.id),
    meta: { lastUpdated: recorded },
    type: mapped.type,
    ...(mapped.subtype ? { subtype: mapped.subtype } : {}),
    action: mapped.action,
    recorded,
    outcome: mapped.outcome,
    ...(mapped.outcomeDesc ? { outcomeDesc: mapped.outcomeDesc } : {}),
    agent: mapped.agent,
    source: { observer: { identifier: { value: issuer }, display: issuer }, type: [SECURITY_SERVER] },
    entity: [...mapped.entity, chainEntity(entry, issuer)],
  };
}

/** A UUID (version 5 layout) derived from an entry's hash: a stable, unique fullUrl per entry. */
function uuidOf(hash: string): string {
  const hex = crypto.createHash('sha1').update(hash).digest('hex').slice(0, 32).split('');
  hex[12] = '5';
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Entries as a FHIR R4 Bundle of type collection, in chain order. */
export function auditBundle(entries: readonly AuditEntry[], context: FhirContext, meta: { id: string; timestamp: Date }): AuditBundle {
  const timestamp = meta.timestamp.toISOString();
  return {
    resourceType: 'Bundle',
    id: meta.id,
    meta: { lastUpdated: timestamp },
    type: 'collection',
    timestamp,
    entry: entries.map((entry) => ({ fullUrl: `urn:uuid:${uuidOf(entry.hash)}`, resource: auditEventOf(entry, context) })),
  };
}

/** Entries as newline-delimited JSON: one AuditEvent per line, in chain order, ending with a newline. */
export function auditNdjson(entries: readonly AuditEntry[], context: FhirContext): string {
  return entries.map((entry) => `${JSON.stringify(auditEventOf(entry, context))}\n`).join('');
}
