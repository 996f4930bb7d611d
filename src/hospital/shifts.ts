/**
 * Shifts: who works at which site, when. Times come as ISO 8601 with an offset or as local times
 * read in the site's timezone (local-time.ts: a skipped local time is refused, a repeated one means
 * the earlier instant) and are stored in UTC. A shift given an external id (the rota system's) is
 * idempotent: adding it again updates it when it changed and leaves it alone when it did not.
 * `overlapping` is the risk engine's `shifts` port.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { usernameKey } from '../accounts/usernames.ts';
import { AppError } from '../errors.ts';
import type { ShiftInfo } from '../risk/ports.ts';
import type { Db } from '../store/db.ts';
import { createShiftStore, type ShiftDetailRow, type ShiftRow } from '../store/shifts.ts';
import { createSiteStore } from '../store/sites.ts';
import { createUserStore } from '../store/users.ts';
import { invalidField, parseInput } from './input.ts';
import { formatLocal, LocalTimeError, toEpochMs } from './local-time.ts';

const MAX_SHIFT_MS = 36 * 3_600_000;

/** What is wrong with a shift from `startsAt` to `endsAt` (epoch ms), said of its end; null when nothing. */
export function shiftSpanProblem(startsAt: number, endsAt: number): string | null {
  if (endsAt <= startsAt) return 'must be after start';
  if (endsAt - startsAt > MAX_SHIFT_MS) return 'a shift is at most 36 hours long';
  return null;
}

export interface Shift {
  id: string;
  username: string;
  siteId: string;
  timezone: string;
  start: Date;
  end: Date;
  /** Start and end in the site's timezone, with their offsets. */
  startLocal: string;
  endLocal: string;
  kind: 'scheduled' | 'on_call';
  externalId: string | null;
}

const time = z.union([z.string().min(1).max(64), z.date()]);

export const newShiftSchema = z
  .object({
    username: z.string().min(1).max(256),
    siteId: z.string().min(1).max(64),
    start: time,
    end: time,
    kind: z.enum(['scheduled', 'on_call']).default('scheduled'),
    externalId: z.string().trim().min(1).max(255).optional(),
  })
  .strict();

export type NewShift = z.input<typeof newShiftSchema>;

const shiftQuerySchema = z
  .object({
    username: z.string().min(1).max(256).optional(),
    siteId: z.string().min(1).max(64).optional(),
    from: z.date().optional(),
    to: z.date().optional(),
  })
  .strict();

export type ShiftListQuery = z.input<typeof shiftQuerySchema>;

function toShift(row: ShiftDetailRow): Shift {
  return {
    id: row.id,
    username: row.username,
    siteId: row.site_id,
    timezone: row.timezone,
    start: new Date(row.starts_at),
    end: new Date(row.ends_at),
    startLocal: formatLocal(row.starts_at, row.timezone),
    endLocal: formatLocal(row.ends_at, row.timezone),
    kind: row.kind,
    externalId: row.external_id,
  };
}

export function createShifts(db: Db, now: () => number = Date.now) {
  const shifts = createShiftStore(db);
  const users = createUserStore(db);
  const sites = createSiteStore(db);

  async function userIdOf(username: string): Promise<string> {
    const user = await users.findByKey(usernameKey(username));
    if (!user) throw invalidField('username', `no user "${username}"`);
    return user.id;
  }

  async function siteOf(siteId: string) {
    const site = await sites.find(siteId);
    if (!site) throw invalidField('siteId', `no site "${siteId}"`);
    return site;
  }

  async function detail(id: string): Promise<Shift> {
    const [row] = await shifts.find({ id });
    return toShift(row!);
  }

  return {
    /**
     * Adds a shift, or with an `externalId` already known, updates that shift if anything changed.
     * Refuses (invalid_input naming the field) an unknown user or site, an unreadable or skipped
     * time, an end not after the start, and a shift longer than 36 hours. `before` is the shift as
     * it was, when one was updated.
     */
    async add(input: NewShift): Promise<{ shift: Shift; status: 'created' | 'updated' | 'unchanged'; before?: Shift }> {
      const data = parseInput(newShiftSchema, input, 'shift');
      const userId = await userIdOf(data.username);
      const site = await siteOf(data.siteId);
      const instant = (field: 'start' | 'end', value: string | Date) => {
        if (value instanceof Date) {
          if (Number.isNaN(value.getTime())) throw invalidField(field, 'not a valid date');
          return value.getTime();
        }
        try {
          return toEpochMs(value, site.timezone);
        } catch (error) {
          if (error instanceof LocalTimeError) throw invalidField(field, error.message);
          throw error;
        }
      };
      const startsAt = instant('start', data.start);
      const endsAt = instant('end', data.end);
      const span = shiftSpanProblem(startsAt, endsAt);
      if (span) throw invalidField('end', span);

      const wanted = { user_id: userId, site_id: site.id, starts_at: startsAt, ends_at: endsAt, kind: data.kind };
      const at = now();
      const row: ShiftRow = { id: crypto.randomUUID(), ...wanted, external_id: data.externalId ?? null, created_at: at, updated_at: at };
      // Without an external id every add is a new shift; with one, at most one row ever holds it
      // (unique column): a racing add that loses the insert updates the winner's row instead.
      if (data.externalId === undefined) {
        await shifts.insert(row);
        return { shift: await detail(row.id), status: 'created' };
      }
      if (await shifts.insertIfAbsent(row)) return { shift: await detail(row.id), status: 'created' };
      const existing = (await shifts.find({ externalId: data.externalId }))[0]!;
      const before = toShift(existing);
      const changed = (Object.keys(wanted) as (keyof typeof wanted)[]).some((k) => existing[k] !== wanted[k]);
      if (!changed) return { shift: before, status: 'unchanged' };
      await shifts.update(existing.id, { ...wanted, updated_at: at });
      return { shift: await detail(existing.id), status: 'updated', before };
    },

    /** The user's shifts that overlap [from, to] (touching counts), earliest first. */
    async overlapping(userId: string, from: Date, to: Date): Promise<ShiftInfo[]> {
      const rows = await shifts.find({ userId, from: from.getTime(), to: to.getTime() });
      return rows.map((r) => ({ id: r.id, siteId: r.site_id, timezone: r.timezone, start: new Date(r.starts_at), end: new Date(r.ends_at), kind: r.kind }));
    },

    /** Shifts, earliest first, of one person and/or site, overlapping [from, to] when given. */
    async list(query: ShiftListQuery = {}): Promise<Shift[]> {
      const q = parseInput(shiftQuerySchema, query, 'query');
      const userId = q.username === undefined ? undefined : await userIdOf(q.username);
      if (q.siteId !== undefined) await siteOf(q.siteId);
      const rows = await shifts.find({ userId, siteId: q.siteId, from: q.from?.getTime(), to: q.to?.getTime() });
      return rows.map(toShift);
    },

    /** One shift, or undefined. */
    async get(id: string): Promise<Shift | undefined> {
      const [row] = await shifts.find({ id });
      return row ? toShift(row) : undefined;
    },

    async remove(id: string): Promise<void> {
      if (!(await shifts.delete(id))) throw new AppError('not_found', `id: no shift "${id}"`);
    },
  };
}

export type Shifts = ReturnType<typeof createShifts>;
