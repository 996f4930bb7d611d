/**
 * Known terminals: ward workstations that IT registered, each bound to one browser by a credential
 * kept in a long-lived cookie. IT creates a terminal and gets a single-use enrollment link; opening
 * it in the workstation's browser and confirming makes that browser the terminal.
 *
 * Secrets: the enrollment token and the credential are 32 random bytes (base64url). Only their
 * SHA-256 is stored, in unique columns, so a lookup is an index probe on the hash and a database
 * copy gives no usable link or credential. The raw credential is returned once, at enrollment.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { TerminalInfo } from '../risk/ports.ts';
import type { Db } from '../store/db.ts';
import { createSiteStore } from '../store/sites.ts';
import { createTerminalStore, type TerminalRow, type TerminalStatus } from '../store/terminals.ts';
import { invalidField, parseInput } from './input.ts';
import { hashToken, newToken } from '../crypto/tokens.ts';

/** The cookie that carries a terminal's credential in its browser (set by enrollment-routes.ts). */
export const TERMINAL_COOKIE = 'wardgate_terminal';

const DAY_MS = 86_400_000;
/** A secret as Wardgate makes them: 32 random bytes in base64url. */
export const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface Terminal {
  id: string;
  name: string;
  siteId: string;
  unit: string | null;
  status: TerminalStatus;
  enrolledAt: Date | null;
  lastSeenAt: Date | null;
  /** Set while an enrollment link is outstanding. */
  enrollmentExpiresAt: Date | null;
  createdAt: Date;
}

/** What IT gets when a terminal is created or its enrollment reissued: the link, shown once. */
export interface PendingTerminal {
  id: string;
  name: string;
  siteId: string;
  unit: string | null;
  status: 'pending';
  enrollmentUrl: string;
  enrollmentExpiresAt: Date;
}

/** What the enrollment page shows before the browser is enrolled. */
export interface Enrollment {
  id: string;
  name: string;
  siteId: string;
  siteName: string;
  unit: string | null;
  expiresAt: Date;
}

export const newTerminalSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    siteId: z.string().min(1).max(64),
    unit: z.string().trim().min(1).max(200).nullish(),
  })
  .strict();

export type NewTerminal = z.input<typeof newTerminalSchema>;

export const terminalChangesSchema = z
  .object({ name: newTerminalSchema.shape.name, unit: z.string().trim().min(1).max(200).nullable() })
  .partial()
  .strict();

export type TerminalChanges = z.input<typeof terminalChangesSchema>;

const enrollmentOptionsSchema = z
  .object({ enrollmentTtlMs: z.number().int().min(1).max(30 * DAY_MS).default(DAY_MS) })
  .strict();

export type EnrollmentOptions = z.input<typeof enrollmentOptionsSchema>;

function toTerminal(row: TerminalRow): Terminal {
  const date = (ms: number | null) => (ms === null ? null : new Date(ms));
  return {
    id: row.id,
    name: row.name,
    siteId: row.site_id,
    unit: row.unit,
    status: row.status,
    enrolledAt: date(row.enrolled_at),
    lastSeenAt: date(row.last_seen_at),
    enrollmentExpiresAt: date(row.enrollment_expires_at),
    createdAt: new Date(row.created_at),
  };
}

export function createTerminals(db: Db, deps: { issuer: string; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const store = createTerminalStore(db);
  const enrollmentUrl = (token: string) => `${deps.issuer}/terminals/enroll/${token}`;

  const pending = (row: Pick<TerminalRow, 'id' | 'name' | 'site_id' | 'unit'>, token: string, expiresAt: number): PendingTerminal => ({
    id: row.id,
    name: row.name,
    siteId: row.site_id,
    unit: row.unit,
    status: 'pending',
    enrollmentUrl: enrollmentUrl(token),
    enrollmentExpiresAt: new Date(expiresAt),
  });

  return {
    /** Registers a terminal at a site and returns its single-use enrollment link. */
    async create(input: NewTerminal, options: EnrollmentOptions = {}): Promise<PendingTerminal> {
      const data = parseInput(newTerminalSchema, input, 'terminal');
      const { enrollmentTtlMs } = parseInput(enrollmentOptionsSchema, options, 'options');
      if (!(await createSiteStore(db).find(data.siteId))) throw invalidField('siteId', `no site "${data.siteId}"`);
      const token = newToken();
      const at = now();
      const row: TerminalRow = {
        id: crypto.randomUUID(),
        name: data.name,
        site_id: data.siteId,
        unit: data.unit ?? null,
        status: 'pending',
        credential_hash: null,
        enrollment_hash: hashToken(token),
        enrollment_expires_at: at + enrollmentTtlMs,
        enrolled_at: null,
        last_seen_at: null,
        created_at: at,
        updated_at: at,
      };
      await store.insert(row);
      return pending(row, token, at + enrollmentTtlMs);
    },

    /** The terminal an enrollment link would enroll, or null when the link is unknown, used or expired. */
    async enrollment(token: string): Promise<Enrollment | null> {
      if (!SECRET_SHAPE.test(token)) return null;
      const row = await store.findPendingEnrollment(hashToken(token), now());
      if (!row) return null;
      return { id: row.id, name: row.name, siteId: row.site_id, siteName: row.site_name, unit: row.unit, expiresAt: new Date(row.enrollment_expires_at!) };
    },

    /**
     * Uses an enrollment link (once): the terminal becomes active with a new credential, returned
     * here and never again. Null when the link is unknown, used or expired.
     */
    async enroll(token: string): Promise<{ terminal: Omit<Enrollment, 'expiresAt'> & { status: 'active' }; credential: string } | null> {
      if (!SECRET_SHAPE.test(token)) return null;
      const hash = hashToken(token);
      const at = now();
      const found = await store.findPendingEnrollment(hash, at);
      if (!found) return null;
      const credential = newToken();
      if (!(await store.completeEnrollment(hash, hashToken(credential), at))) return null;
      return {
        terminal: { id: found.id, name: found.name, siteId: found.site_id, siteName: found.site_name, unit: found.unit, status: 'active' },
        credential,
      };
    },

    /** The terminal holding this credential (active or revoked), or null. The risk engine's `terminals` port. */
    async identify(credential: string): Promise<TerminalInfo | null> {
      if (!SECRET_SHAPE.test(credential)) return null;
      const row = await store.findByCredentialHash(hashToken(credential));
      if (!row || row.status === 'pending') return null;
      return { id: row.id, name: row.name, siteId: row.site_id, unit: row.unit, status: row.status };
    },

    /** Records that the terminal was seen at `at` (never moves the time backwards). */
    async touch(id: string, at: Date = new Date(now())): Promise<void> {
      await store.touch(id, at.getTime());
    },

    async get(id: string): Promise<Terminal | undefined> {
      const row = await store.find(id);
      return row ? toTerminal(row) : undefined;
    },

    async list(siteId?: string): Promise<Terminal[]> {
      return (await store.list(siteId)).map(toTerminal);
    },

    /** Renames a terminal or changes its unit (`null` clears the unit), whatever its status. */
    async update(id: string, input: TerminalChanges): Promise<Terminal> {
      const data = parseInput(terminalChangesSchema, input, 'terminal');
      if (!(await store.update(id, { ...(data.name !== undefined ? { name: data.name } : {}), ...(data.unit !== undefined ? { unit: data.unit } : {}) }, now()))) {
        throw new AppError('not_found', `id: no terminal "${id}"`);
      }
      return toTerminal((await store.find(id))!);
    },

    /** Deletes a revoked terminal or one never enrolled; an active one must be revoked first. */
    async delete(id: string): Promise<void> {
      const row = await store.find(id);
      if (!row) throw new AppError('not_found', `id: no terminal "${id}"`);
      if (row.status === 'active') throw new AppError('conflict', `id: terminal "${row.name}" is active; revoke it before deleting it`);
      if (!(await store.deleteUnlessActive(id))) throw new AppError('conflict', `id: terminal "${row.name}" became active; revoke it before deleting it`);
    },

    /** Revokes the terminal for good: its credential is then identified as revoked, its link stops working. */
    async revoke(id: string): Promise<Terminal> {
      if (!(await store.revoke(id, now()))) throw new AppError('not_found', `id: no terminal "${id}"`);
      return toTerminal((await store.find(id))!);
    },

    /**
     * A new enrollment link for a terminal whose browser lost its cookie (reset, reinstalled). The
     * old credential stops identifying the terminal at once. Refused for a revoked terminal.
     */
    async reissueEnrollment(id: string, options: EnrollmentOptions = {}): Promise<PendingTerminal> {
      const { enrollmentTtlMs } = parseInput(enrollmentOptionsSchema, options, 'options');
      const token = newToken();
      const at = now();
      const restarted = await store.restartEnrollment(id, hashToken(token), at + enrollmentTtlMs, at);
      const row = await store.find(id);
      if (!row) throw new AppError('not_found', `id: no terminal "${id}"`);
      if (!restarted) throw new AppError('conflict', `id: terminal "${id}" is revoked; register a new terminal instead`);
      return pending(row, token, at + enrollmentTtlMs);
    },
  };
}

export type Terminals = ReturnType<typeof createTerminals>;
