/**
 * /shifts: who works at which site, when (hospital/shifts.ts), and the rota's CSV import
 * (hospital/rota-import.ts), which checks the whole file and writes all of it or nothing.
 */
import { z } from 'zod';
import { AppError } from '../../../errors.ts';
import { createRotaImport } from '../../../hospital/rota-import.ts';
import type { Shift } from '../../../hospital/shifts.ts';
import type { AdminDeps } from '../deps.ts';
import { operation } from '../operation.ts';
import { idParams, queryDate } from '../router.ts';

const kind = z.enum(['scheduled', 'on_call']);

export const shiftSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    siteId: z.string(),
    timezone: z.string().meta({ description: "The site's IANA timezone" }),
    start: z.string().meta({ description: 'ISO 8601, UTC' }),
    end: z.string().meta({ description: 'ISO 8601, UTC' }),
    startLocal: z.string().meta({ description: "The start in the site's timezone, with its offset" }),
    endLocal: z.string().meta({ description: "The end in the site's timezone, with its offset" }),
    kind,
    externalId: z.string().nullable().meta({ description: "The rota system's id of the shift" }),
  })
  .meta({ id: 'Shift' });

const TIME = 'ISO 8601 with an offset (2026-03-29T07:00:00+01:00, …Z), or a local time (2026-03-29T07:00) read in the site\'s timezone';

const newShiftBody = z
  .object({
    username: z.string().min(1).max(256),
    siteId: z.string().min(1).max(64),
    start: z.string().min(1).max(64).meta({ description: TIME }),
    end: z.string().min(1).max(64).meta({ description: `${TIME}; after start, at most 36 hours later` }),
    kind: kind.optional().meta({ description: 'scheduled unless said' }),
    externalId: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .optional()
      .meta({ description: "The rota system's id: a shift with a known externalId is updated in place, not added again" }),
  })
  .strict();

const listQuery = z
  .object({
    username: z.string().min(1).max(256).optional(),
    siteId: z.string().min(1).max(64).optional(),
    from: queryDate.optional().meta({ description: 'Shifts ending at or after this instant (ISO 8601 with an offset)' }),
    to: queryDate.optional().meta({ description: 'Shifts starting at or before this instant (ISO 8601 with an offset)' }),
  })
  .strict()
  .refine((q) => !q.from || !q.to || q.to.getTime() >= q.from.getTime(), { message: 'must not be before from', path: ['to'] });

const importCounts = z
  .object({
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
  })
  .meta({ id: 'ShiftImport' });

const CSV_RULES = [
  'The first line is the header: username,site_id,start,end, and optionally kind (scheduled or on_call) and external_id, in any order.',
  `Times: ${TIME}.`,
  'A row matches a stored shift by external_id, else by username, site_id and start; a matched shift is updated when it differs. Nothing is deleted.',
  'The file is checked whole first: any bad row (unknown person or site, unreadable or skipped time, end not after start, over 36 hours, a row repeated in the file, a bad kind) gives 422 with every error as `{ line, column, message }` (line as in the file, the header being line 1; column a header name, or "" for the whole line) and nothing is written.',
  'Quoted values, CRLF line ends, a UTF-8 BOM and blank lines are fine.',
].join('\n\n');

/** A shift as the API shows it: instants in UTC, and local times at the site. */
export function shiftView(shift: Shift) {
  return { ...shift, start: shift.start.toISOString(), end: shift.end.toISOString() };
}

export function shiftOperations(deps: AdminDeps) {
  const rota = createRotaImport(deps.db, () => deps.now().getTime());
  return [
    operation({
      id: 'listShifts',
      method: 'get',
      path: '/shifts',
      tag: 'shifts',
      summary: 'Shifts of a person and/or site, overlapping [from, to] when given, earliest first',
      query: listQuery,
      response: { status: 200, description: 'The shifts', schema: z.object({ items: z.array(shiftSchema) }) },
      handle: async ({ query }) => ({ items: (await deps.shifts.list(query)).map(shiftView) }),
    }),
    operation({
      id: 'createShift',
      method: 'post',
      path: '/shifts',
      tag: 'shifts',
      summary: 'Add a shift (with a known externalId: update that shift)',
      body: newShiftBody,
      response: { status: 201, description: 'The shift as stored', schema: shiftSchema },
      handle: async ({ body }, call) => {
        const { shift, status, before } = await deps.shifts.add(body);
        const after = shiftView(shift);
        if (status === 'created') await deps.changes.record(call, { resource: 'shift', action: 'create', id: shift.id, after });
        if (status === 'updated') await deps.changes.record(call, { resource: 'shift', action: 'update', id: shift.id, before: before && shiftView(before), after });
        return after;
      },
    }),
    operation({
      id: 'deleteShift',
      method: 'delete',
      path: '/shifts/{id}',
      tag: 'shifts',
      summary: 'Delete a shift',
      params: idParams,
      response: { status: 204, description: 'Deleted' },
      errors: [404],
      handle: async ({ params }, call) => {
        const before = await deps.shifts.get(params.id);
        if (!before) throw new AppError('not_found', `No shift "${params.id}".`);
        await deps.shifts.remove(params.id);
        await deps.changes.record(call, { resource: 'shift', action: 'delete', id: params.id, before: shiftView(before) });
      },
    }),
    operation({
      id: 'importShifts',
      method: 'post',
      path: '/shifts/import',
      tag: 'shifts',
      summary: 'Import a rota CSV: every row or none',
      description: CSV_RULES,
      body: z.string(),
      bodyType: 'text/csv',
      response: { status: 200, description: 'How many rows were created, updated and already as stored', schema: importCounts },
      errors: [409],
      handle: async ({ body }, call) => {
        const { created, updated, unchanged, rows } = await rota.run(body);
        await deps.changes.record(call, { resource: 'shift', action: 'import', id: 'import', details: { created, updated, unchanged, rows } });
        return { created, updated, unchanged };
      },
    }),
  ];
}
