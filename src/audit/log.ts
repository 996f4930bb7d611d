/**
 * The audit log: append-only, hash-chained. Each entry's hash covers its content and the previous
 * entry's hash, so an edited or deleted row breaks the chain from that point on. Appends are
 * serialised (a transaction plus, on PostgreSQL, an advisory lock) so the chain has one order
 * across every process.
 */
import crypto from 'node:crypto';
import { isPostgres, type Db } from '../store/db.ts';
import { createAuditStore, type AuditFilter, type AuditListRow, type AuditRow } from '../store/audit-log.ts';

export const GENESIS = '0'.repeat(64);
const AUDIT_LOCK = 0x61756474; // "audt"

export interface AuditEvent {
  type: string;
  actor?: string | null;
  subject?: string | null;
  data: Record<string, unknown>;
  at?: number;
}

/** The canonical JSON of an entry's content, `[at, type, actor, subject, data]`, that its hash covers. */
export function canonicalEntry(entry: Pick<AuditRow, 'at' | 'type' | 'actor' | 'subject' | 'data'>): string {
  return JSON.stringify([entry.at, entry.type, entry.actor, entry.subject, entry.data]);
}

/** The hash of one entry: SHA-256 over the previous hash, a newline and the canonical JSON of the content. */
export function entryHash(prevHash: string, entry: Pick<AuditRow, 'at' | 'type' | 'actor' | 'subject' | 'data'>): string {
  return crypto.createHash('sha256').update(prevHash).update('\n').update(canonicalEntry(entry)).digest('hex');
}

/** The row that follows `prevHash` in the chain for an event (its time, if not given, is `at`). */
export function chainedRow(prevHash: string, event: AuditEvent, at: number): AuditRow {
  const content = { at: event.at ?? at, type: event.type, actor: event.actor ?? null, subject: event.subject ?? null, data: JSON.stringify(event.data) };
  return { ...content, prev_hash: prevHash, hash: entryHash(prevHash, content) };
}

export function createAuditLog(db: Db, now: () => number = Date.now) {
  return {
    async append(event: AuditEvent): Promise<void> {
      await db.transaction(async (trx) => {
        if (isPostgres(db)) await trx.raw('select pg_advisory_xact_lock(?)', [AUDIT_LOCK]);
        const store = createAuditStore(trx);
        await store.insert(chainedRow((await store.last())?.hash ?? GENESIS, event, now()));
      });
    },

    /** A page of entries, newest first, before the entry `beforeId` when given (admin API). */
    list(filter: AuditFilter, beforeId: number | undefined, limit: number): Promise<AuditListRow[]> {
      return createAuditStore(db).listPage(filter, beforeId, limit);
    },

    count(filter: AuditFilter): Promise<number> {
      return createAuditStore(db).countMatching(filter);
    },

    /** Matching entries in chain order, at most `limit` (exports check `count` first). */
    matching(filter: AuditFilter, limit: number): Promise<AuditListRow[]> {
      return createAuditStore(db).matching(filter, limit);
    },

    /** Walks the chain; the first row whose hash or link does not hold is where tampering begins. */
    async verify(): Promise<{ valid: boolean; checked: number; firstBrokenId?: number }> {
      const store = createAuditStore(db);
      let prev = GENESIS;
      let checked = 0;
      let after = 0;
      for (;;) {
        const rows = await store.page(after, 1000);
        if (rows.length === 0) return { valid: true, checked };
        for (const row of rows) {
          if (row.prev_hash !== prev || entryHash(prev, row) !== row.hash) return { valid: false, checked, firstBrokenId: Number(row.id) };
          prev = row.hash;
          checked++;
          after = Number(row.id);
        }
      }
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
