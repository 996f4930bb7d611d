/**
 * /terminals: known ward workstations (hospital/terminals.ts). Creating one or reissuing its
 * enrollment answers a one-time link, shown to the caller only: the link carries the enrollment
 * token, so neither it nor the terminal's credential (nor their hashes) reaches an answer or the
 * audit log. A revoked terminal stays revoked: its credential is then identified as revoked.
 */
import { z } from 'zod';
import { AppError } from '../../../errors.ts';
import { invalidField } from '../../../hospital/input.ts';
import { newTerminalSchema, terminalChangesSchema, type PendingTerminal, type Terminal } from '../../../hospital/terminals.ts';
import type { AdminDeps } from '../deps.ts';
import { operation } from '../operation.ts';
import { idParams } from '../router.ts';

const STATUSES = ['pending', 'active', 'revoked'] as const;
const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export const terminalSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    siteId: z.string(),
    unit: z.string().nullable(),
    status: z.enum(STATUSES).meta({ description: 'pending until its enrollment link is used; revoked for good' }),
    enrolledAt: z.string().nullable(),
    lastSeenAt: z.string().nullable(),
    enrollmentExpiresAt: z.string().nullable().meta({ description: 'While an enrollment link is outstanding' }),
    createdAt: z.string(),
  })
  .meta({ id: 'Terminal' });

export const pendingTerminalSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    siteId: z.string(),
    unit: z.string().nullable(),
    status: z.literal('pending'),
    enrollmentUrl: z.string().meta({ description: 'Open it once in the workstation\'s browser to make it this terminal; shown only now' }),
    enrollmentExpiresAt: z.string(),
  })
  .meta({ id: 'PendingTerminal' });

type TerminalView = z.output<typeof terminalSchema>;

const view = (t: Terminal): TerminalView => ({
  id: t.id,
  name: t.name,
  siteId: t.siteId,
  unit: t.unit,
  status: t.status,
  enrolledAt: iso(t.enrolledAt),
  lastSeenAt: iso(t.lastSeenAt),
  enrollmentExpiresAt: iso(t.enrollmentExpiresAt),
  createdAt: t.createdAt.toISOString(),
});

const pendingView = (p: PendingTerminal) => ({ ...p, enrollmentExpiresAt: p.enrollmentExpiresAt.toISOString() });

const listQuery = z
  .object({
    siteId: z.string().min(1).max(64).optional(),
    status: z.enum(STATUSES).optional(),
  })
  .strict();

const terminalChangesBody = terminalChangesSchema
  .extend({ status: z.enum(STATUSES).optional().meta({ description: 'Only "revoked" changes anything: a terminal becomes active by enrollment, and a revoked one stays revoked' }) })
  .strict();

export function terminalOperations(deps: AdminDeps) {
  const find = async (id: string): Promise<TerminalView> => {
    const terminal = await deps.terminals.get(id);
    if (!terminal) throw new AppError('not_found', `No terminal "${id}".`);
    return view(terminal);
  };

  return [
    operation({
      id: 'listTerminals',
      method: 'get',
      path: '/terminals',
      tag: 'terminals',
      summary: 'Terminals, by site and name',
      query: listQuery,
      response: { status: 200, description: 'The terminals', schema: z.object({ items: z.array(terminalSchema) }) },
      handle: async ({ query }) => {
        const all = await deps.terminals.list(query.siteId);
        return { items: all.filter((t) => query.status === undefined || t.status === query.status).map(view) };
      },
    }),
    operation({
      id: 'createTerminal',
      method: 'post',
      path: '/terminals',
      tag: 'terminals',
      summary: 'Register a terminal at a site; the answer carries its one-time enrollment link (24 hours)',
      body: newTerminalSchema,
      response: { status: 201, description: 'The terminal, pending, with its enrollment link', schema: pendingTerminalSchema },
      handle: async ({ body }, call) => {
        const created = await deps.terminals.create(body);
        await deps.changes.record(call, { resource: 'terminal', action: 'create', id: created.id, after: await find(created.id) });
        return pendingView(created);
      },
    }),
    operation({
      id: 'getTerminal',
      method: 'get',
      path: '/terminals/{id}',
      tag: 'terminals',
      summary: 'One terminal',
      params: idParams,
      response: { status: 200, description: 'The terminal', schema: terminalSchema },
      errors: [404],
      handle: async ({ params }) => find(params.id),
    }),
    operation({
      id: 'updateTerminal',
      method: 'patch',
      path: '/terminals/{id}',
      tag: 'terminals',
      summary: 'Rename a terminal, change its unit, or revoke it (`status: "revoked"`, for good)',
      description: 'Revoking a revoked terminal changes nothing. Any other status than the current one or "revoked" is refused (422).',
      params: idParams,
      body: terminalChangesBody,
      response: { status: 200, description: 'The terminal as stored', schema: terminalSchema },
      errors: [404],
      handle: async ({ params, body }, call) => {
        const before = await find(params.id);
        const { status, ...changes } = body;
        if (status !== undefined && status !== before.status && status !== 'revoked') {
          const message = before.status === 'revoked'
            ? 'a revoked terminal stays revoked; register a new terminal instead'
            : `cannot be set to "${status}": a terminal becomes active by enrollment and pending by a new enrollment link; only "revoked" can be set`;
          throw invalidField('status', message);
        }
        if (Object.keys(changes).length) await deps.terminals.update(params.id, changes);
        if (status === 'revoked' && before.status !== 'revoked') await deps.terminals.revoke(params.id);
        const after = await find(params.id);
        const action = after.status === 'revoked' && before.status !== 'revoked' ? 'revoke' : 'update';
        await deps.changes.record(call, { resource: 'terminal', action, id: params.id, before, after });
        return after;
      },
    }),
    operation({
      id: 'reissueTerminalEnrollment',
      method: 'post',
      path: '/terminals/{id}/enrollment',
      tag: 'terminals',
      summary: 'A new one-time enrollment link for a terminal whose browser lost its credential',
      description: 'The terminal goes back to pending and its current credential stops identifying it at once; any earlier link stops working. Refused (409) for a revoked terminal.',
      params: idParams,
      response: { status: 201, description: 'The terminal, pending, with its new enrollment link', schema: pendingTerminalSchema },
      errors: [404, 409],
      handle: async ({ params }, call) => {
        const before = await find(params.id);
        const pending = await deps.terminals.reissueEnrollment(params.id);
        // The link carries the token: the audit keeps the terminal's state, never the URL.
        await deps.changes.record(call, { resource: 'terminal', action: 'enrollment_link', id: params.id, before, after: await find(params.id) });
        return pendingView(pending);
      },
    }),
    operation({
      id: 'deleteTerminal',
      method: 'delete',
      path: '/terminals/{id}',
      tag: 'terminals',
      summary: 'Delete a revoked terminal, or one never enrolled (so that its site can be deleted)',
      description: 'An active terminal must be revoked first (409). Recorded decisions keep the terminal id; a browser still holding a deleted terminal\'s credential is then an unknown device, as it was once revoked.',
      params: idParams,
      response: { status: 204, description: 'Deleted' },
      errors: [404, 409],
      handle: async ({ params }, call) => {
        const before = await find(params.id);
        await deps.terminals.delete(params.id);
        await deps.changes.record(call, { resource: 'terminal', action: 'delete', id: params.id, before });
      },
    }),
  ];
}
