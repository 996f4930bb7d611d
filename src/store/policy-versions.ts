/** Queries for `policy_versions` (immutable documents) and `policy_active` (which one applies). */
import { isPostgres, type Db } from './db.ts';

export interface PolicyVersionRow {
  version: number;
  document: string;
  author: string;
  comment: string | null;
  created_at: number;
}

export interface ActivePolicyRow extends PolicyVersionRow {
  activated_by: string;
  activated_at: number;
}

/** Advisory-lock key for writes to the versions ("poli"): one writer at a time across processes. */
const POLICY_LOCK = 0x706f6c69;

export function createPolicyVersionStore(db: Db) {
  const lock = async () => {
    if (isPostgres(db)) await db.raw('select pg_advisory_xact_lock(?)', [POLICY_LOCK]);
  };
  return {
    /** The active version with its document, in one round trip. */
    async active(): Promise<ActivePolicyRow | undefined> {
      return db<ActivePolicyRow>('policy_versions')
        .join('policy_active', 'policy_active.version', 'policy_versions.version')
        .where('policy_active.id', 1)
        .first(
          'policy_versions.version',
          'policy_versions.document',
          'policy_versions.author',
          'policy_versions.comment',
          'policy_versions.created_at',
          'policy_active.activated_by',
          'policy_active.activated_at',
        );
    },
    async get(version: number): Promise<PolicyVersionRow | undefined> {
      return db<PolicyVersionRow>('policy_versions').where({ version }).first();
    },
    /** Every version without its document, newest first. */
    async list(): Promise<Omit<PolicyVersionRow, 'document'>[]> {
      return db<PolicyVersionRow>('policy_versions').orderBy('version', 'desc').select('version', 'author', 'comment', 'created_at');
    },
    /**
     * Serialises writers of versions until the caller's transaction ends: on PostgreSQL an advisory
     * lock, so two saves in parallel (in any process) cannot both number themselves max + 1; SQLite
     * has one writer already.
     */
    lock,
    /** Appends a version numbered one past the latest; the caller runs this in a transaction. */
    async append(row: Omit<PolicyVersionRow, 'version'>): Promise<number> {
      await lock();
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
