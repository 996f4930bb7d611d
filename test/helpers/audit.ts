/**
 * The audit log as a test arranges and reads it, straight in the database: make it refuse new
 * entries (a trigger on audit_log, as a full disk or a revoked grant would), and read the entries
 * written after a given one.
 */
import { isPostgres, type Db } from '../../src/store/db.ts';

const TRIGGER = 'wardgate_test_refuse_audit';

/** From now on every insert into audit_log fails; the answer undoes it. */
export async function refuseAuditEntries(db: Db): Promise<() => Promise<void>> {
  if (isPostgres(db)) {
    await db.raw(`create function ${TRIGGER}() returns trigger language plpgsql as $$ begin raise exception 'audit_log refuses new entries (test)'; end $$`);
    await db.raw(`create trigger ${TRIGGER} before insert on audit_log for each row execute function ${TRIGGER}()`);
    return async () => {
      await db.raw(`drop trigger ${TRIGGER} on audit_log`);
      await db.raw(`drop function ${TRIGGER}()`);
    };
  }
  await db.raw(`create trigger ${TRIGGER} before insert on audit_log begin select raise(abort, 'audit_log refuses new entries (test)'); end`);
  return async () => {
    await db.raw(`drop trigger ${TRIGGER}`);
  };
}

/** The id of the last audit entry (0 when there is none). */
export async function lastAuditId(db: Db): Promise<number> {
  const row = (await db('audit_log').max({ id: 'id' }).first()) as { id?: number | string | null } | undefined;
  return Number(row?.id ?? 0);
}

/** The entries after `afterId`, in chain order, with their data parsed. */
export async function auditEntriesAfter(db: Db, afterId: number): Promise<Array<{ type: string; actor: string | null; subject: string | null; data: Record<string, any> }>> {
  const rows = (await db('audit_log').where('id', '>', afterId).orderBy('id').select('type', 'actor', 'subject', 'data')) as Array<{ type: string; actor: string | null; subject: string | null; data: string }>;
  return rows.map((row) => ({ ...row, data: JSON.parse(row.data) as Record<string, any> }));
}
