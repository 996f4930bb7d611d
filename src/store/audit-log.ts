/** Queries for `audit_log`: append-only rows, each carrying the hash of the one before it. */
import type { Db } from './db.ts';

export interface AuditRow {
  id?: number;
  at: number;
  type: string;
  actor: string | null;
  subject: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

export function createAuditStore(db: Db) {
  const table = () => db<AuditRow>('audit_log');
  return {
    async last(): Promise<AuditRow | undefined> {
      return table().orderBy('id', 'desc').first();
    },
    async insert(row: AuditRow): Promise<void> {
      await table().insert(row);
    },
    async page(afterId: number, limit: number): Promise<AuditRow[]> {
      return table().where('id', '>', afterId).orderBy('id').limit(limit);
    },
  };
}
