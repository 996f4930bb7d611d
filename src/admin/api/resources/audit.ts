/**
 * /audit: the hash-chained audit log. List with filters (newest first, cursor = the last id seen),
 * verify the chain, and export a window as a FHIR R4 Bundle of AuditEvent resources or as ndjson
 * (one AuditEvent per line, for a SIEM); see audit/fhir.ts for the mapping. An export is itself
 * recorded (admin.audit.export), and is bounded: a window holding more than `max` entries (at most
 * 10,000) is refused with 422 rather than cut short.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../../errors.ts';
import { auditBundle, auditNdjson, type AuditEntry } from '../../../audit/fhir.ts';
import { explain } from '../../../risk/explain.ts';
import type { AuditFilter, AuditListRow } from '../../../store/audit-log.ts';
import type { AdminDeps } from '../deps.ts';
import { operation, RawBody } from '../operation.ts';
import { checkWindow, pageLimit, windowQuery } from '../router.ts';
import { decisionOf } from '../../../signin/assessor.ts';

/** The most entries one export answers with. */
export const EXPORT_MAX = 10_000;

export const auditEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.string().meta({ description: 'ISO 8601 UTC' }),
    type: z.string().meta({ description: 'sign_in.decision, sign_out, webauthn.*, admin.<resource>.<action>, admin.access_denied' }),
    actor: z.string().nullable().meta({ description: 'Who: a user id, client:<client id>, cli:<OS account>, or null' }),
    actorUsername: z.string().nullable().meta({ description: 'The username when the actor is a user' }),
    subject: z.string().nullable().meta({ description: 'What it is about: the relying app of a sign-in, <resource>/<id> of an admin change, …' }),
    data: z.record(z.string(), z.unknown()),
    hash: z.string().meta({ description: 'SHA-256 of prevHash, a newline and the canonical JSON [at, type, actor, subject, data]' }),
    prevHash: z.string(),
  })
  .meta({ id: 'AuditEntry' });

const TYPE_PATTERN = /^[a-z0-9_.]+\*?$/;

const listQuery = z
  .object({
    type: z
      .string()
      .max(64)
      .regex(TYPE_PATTERN, 'lower-case letters, digits, "_" and "." only, optionally ending in "*"')
      .optional()
      .meta({ description: 'An entry type exactly (admin.site.update), or a prefix: ending in "." or "*" (admin. or admin.*, webauthn.*)' }),
    actor: z.string().min(1).max(255).optional().meta({ description: 'The actor column as stored (user id, client:<id>, cli:<account>), or a username' }),
    subject: z.string().min(1).max(255).optional(),
    ...windowQuery,
    limit: pageLimit,
    cursor: z.string().regex(/^[1-9][0-9]{0,17}$/, 'not a cursor this API gave out; use nextCursor of the previous page').optional().meta({ description: 'nextCursor of the previous page' }),
  })
  .strict();

const exportQuery = z
  .object({
    format: z.enum(['fhir', 'ndjson']).default('fhir').meta({ description: 'fhir: one FHIR R4 Bundle (application/fhir+json); ndjson: one FHIR AuditEvent per line (application/x-ndjson)' }),
    ...windowQuery,
    after: z.coerce.number().int().min(0).optional().meta({ description: 'Only entries after this audit id (a SIEM collecting incrementally)' }),
    max: z.coerce.number().int().min(1).max(EXPORT_MAX).default(EXPORT_MAX).meta({ description: `Refuse (422) rather than answer with more entries than this; at most ${EXPORT_MAX}` }),
  })
  .strict();

const bundleSchema = z
  .object({
    resourceType: z.literal('Bundle'),
    id: z.string(),
    type: z.literal('collection'),
    timestamp: z.string(),
    entry: z.array(z.object({ fullUrl: z.string(), resource: z.record(z.string(), z.unknown()).meta({ description: 'A FHIR R4 AuditEvent' }) })),
  })
  .meta({ id: 'AuditEventBundle', description: 'A FHIR R4 Bundle (collection) of AuditEvent resources in chain order. With format=ndjson the same AuditEvents come one per line as application/x-ndjson.' });

const typeFilter = (type: string | undefined): Pick<AuditFilter, 'type' | 'typePrefix'> => {
  if (type === undefined) return {};
  if (type.endsWith('*')) return { typePrefix: type.slice(0, -1) };
  if (type.endsWith('.')) return { typePrefix: type };
  return { type };
};

const parseData = (data: string): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(data);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch {
    return { unparsed: data };
  }
};

const entryOf = (row: AuditListRow): AuditEntry => ({
  id: Number(row.id),
  at: Number(row.at),
  type: row.type,
  actor: row.actor,
  subject: row.subject,
  data: row.data,
  prevHash: row.prev_hash,
  hash: row.hash,
  actorUsername: row.actor_username,
  actorName: row.actor_display_name,
});

export function auditOperations(deps: AdminDeps) {
  /** An actor filter: as stored, plus the account of that username when there is one. */
  const actorsOf = async (actor: string | undefined) => {
    if (actor === undefined) return {};
    const user = await deps.accounts.findByUsername(actor).catch(() => undefined);
    return { actors: user ? [actor, user.id] : [actor] };
  };

  return [
    operation({
      id: 'listAudit',
      method: 'get',
      path: '/audit',
      tag: 'audit',
      summary: 'Audit log entries, newest first',
      query: listQuery,
      response: { status: 200, description: 'A page of entries; nextCursor is null on the last page', schema: z.object({ items: z.array(auditEntrySchema), nextCursor: z.string().nullable() }) },
      handle: async ({ query }) => {
        checkWindow(query);
        const filter: AuditFilter = { ...typeFilter(query.type), ...(await actorsOf(query.actor)), subject: query.subject, from: query.from?.getTime(), to: query.to?.getTime() };
        const rows = await deps.audit.list(filter, query.cursor ? Number(query.cursor) : undefined, query.limit + 1);
        const page = rows.slice(0, query.limit);
        return {
          items: page.map((row) => ({
            id: Number(row.id),
            at: new Date(Number(row.at)).toISOString(),
            type: row.type,
            actor: row.actor,
            actorUsername: row.actor_username,
            subject: row.subject,
            data: parseData(row.data),
            hash: row.hash,
            prevHash: row.prev_hash,
          })),
          nextCursor: rows.length > query.limit ? String(page[page.length - 1]!.id) : null,
        };
      },
    }),
    operation({
      id: 'verifyAudit',
      method: 'get',
      path: '/audit/verify',
      tag: 'audit',
      summary: 'Check the whole hash chain: an edited or deleted entry breaks it',
      description: 'Walks every entry in order. firstBrokenId is the first entry whose hash or link to the one before does not hold: the edited entry itself, or the entry after a deleted one.',
      response: {
        status: 200,
        description: 'Whether the chain holds',
        schema: z
          .object({
            valid: z.boolean(),
            checked: z.number().int().meta({ description: 'Entries that checked out before the first broken one (all of them when valid)' }),
            firstBrokenId: z.number().int().optional(),
          })
          .meta({ id: 'AuditVerification' }),
      },
      handle: async () => deps.audit.verify(),
    }),
    operation({
      id: 'exportAudit',
      method: 'get',
      path: '/audit/export',
      tag: 'audit',
      summary: 'Export a window of the audit log as FHIR R4 AuditEvents (Bundle, or ndjson for a SIEM)',
      description: `Entries in chain order, each as a FHIR R4 AuditEvent whose last entity carries the entry's hash, prevHash and canonical content, so the chain can be checked from the export. At most ${EXPORT_MAX} entries (or max) per request: a larger window is refused with 422, never cut short. The export is itself recorded as admin.audit.export.`,
      query: exportQuery,
      response: { status: 200, description: 'A download: application/fhir+json (a Bundle) or application/x-ndjson', schema: bundleSchema, contentType: 'application/fhir+json' },
      handle: async ({ query }, call) => {
        checkWindow(query);
        const filter: AuditFilter = { from: query.from?.getTime(), to: query.to?.getTime(), afterId: query.after };
        const count = await deps.audit.count(filter);
        if (count > query.max) {
          throw new AppError('invalid_input', `The window holds ${count} audit entries, more than ${query.max} per export: narrow it with from and to (or after).`);
        }
        const rows = await deps.audit.matching(filter, query.max);
        // Sign-ins are explained as the decisions endpoint does, naming the person and the sites.
        const people = new Map<string, string>();
        for (const row of rows) {
          const decisionId = row.type === 'sign_in.decision' ? parseData(row.data).decisionId : undefined;
          if (typeof decisionId === 'string') people.set(decisionId, row.actor_display_name ?? '');
        }
        const decisions = people.size ? await deps.decisions.findMany([...people.keys()]) : [];
        const sites = decisions.length ? await deps.sites.names() : {};
        const explanations = new Map(decisions.map((row) => [row.id, explain(decisionOf(row), { sites, person: people.get(row.id) || row.username || undefined })]));
        const context = { issuer: deps.issuer, explanations };
        const entries = rows.map(entryOf);
        const now = deps.now();
        await deps.changes.record(call, {
          resource: 'audit',
          action: 'export',
          id: 'log',
          details: {
            format: query.format,
            from: query.from?.toISOString() ?? null,
            to: query.to?.toISOString() ?? null,
            after: query.after ?? null,
            entries: entries.length,
            firstId: entries[0]?.id ?? null,
            lastId: entries[entries.length - 1]?.id ?? null,
          },
        });
        const stamp = now.toISOString().replace(/[:.]/g, '-');
        if (query.format === 'ndjson') return new RawBody('application/x-ndjson', auditNdjson(entries, context), `wardgate-audit-${stamp}.ndjson`);
        const bundle = auditBundle(entries, context, { id: crypto.randomUUID(), timestamp: now });
        return new RawBody('application/fhir+json', JSON.stringify(bundle), `wardgate-audit-${stamp}.fhir.json`);
      },
    }),
  ];
}
