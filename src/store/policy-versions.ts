/** Queries for `policy_versions` (immutable documents) and `policy_active` (which one applies). */
import type { Db } from './db.ts';

export interface PolicyVersionRow {
  version: number;
  document: string;
  author: string;
  comment: string | null;
  created_at: number;
}

export function createPolicyVersionStore(db: Db) {
  return {
    /** The active version with its document, in one round trip. */
    async active(): Promise<PolicyVersionRow | undefined> {
      return db<PolicyVersionRow>('policy_versions')
        .join('policy_active', 'policy_active.version', 'policy_versions.version')
        .where('policy_active.id', 1)
        .first('policy_versions.version', 'policy_versions.document', 'policy_versions.author', 'policy_versions.comment', 'policy_versions.created_at');
    },
    async get(version: number): Promise<PolicyVersionRow | undefined> {
      return db<PolicyVersionRow>('policy_versions').where({ version }).first();
    },
    /** Appends a version numbered one past the latest; the caller runs this in a transaction. */
    async append(row: Omit<PolicyVersionRow, 'version'>): Promise<number> {
      const latest = await db<PolicyVersionRow>('policy_versions').max({ v: 'version' }).first();
      const version = Number((latest as { v?: unknown } | undefined)?.v ?? 0) + 1;
      await db<PolicyVersionRow>('policy_versions').insert({ ...row, version });
      return version;
    },
    async activate(version: number, by: string, at: number): Promise<void> {
      await db('policy_active').insert({ id: 1, version, activated_by: by, activated_at: at }).onConflict('id').merge();
    },
  };
}

export type PolicyVersionStore = ReturnType<typeof createPolicyVersionStore>;
