/**
 * Queries for `terminals`: registered ward workstations. Only SHA-256 hashes of the enrollment
 * token and of the terminal credential are stored; both columns are unique, so a lookup by hash is
 * an index probe and no secret is ever compared in application code.
 */
import type { Db } from './db.ts';

export type TerminalStatus = 'pending' | 'active' | 'revoked';

export interface TerminalRow {
  id: string;
  name: string;
  site_id: string;
  unit: string | null;
  status: TerminalStatus;
  credential_hash: string | null;
  enrollment_hash: string | null;
  enrollment_expires_at: number | null;
  enrolled_at: number | null;
  last_seen_at: number | null;
  created_at: number;
  updated_at: number;
}

/** A terminal row with its site's name. */
export type TerminalWithSiteRow = TerminalRow & { site_name: string };

export function createTerminalStore(db: Db) {
  const table = () => db<TerminalRow>('terminals');
  const withSite = () => db('terminals as t').join('sites as s', 's.id', 't.site_id').select<TerminalWithSiteRow[]>('t.*', 's.name as site_name');
  return {
    async insert(row: TerminalRow): Promise<void> {
      await table().insert(row);
    },
    async find(id: string): Promise<TerminalRow | undefined> {
      return table().where({ id }).first();
    },
    async list(siteId?: string): Promise<TerminalRow[]> {
      const query = table().orderBy([{ column: 'site_id' }, { column: 'name' }, { column: 'id' }]);
      return siteId === undefined ? query : query.where({ site_id: siteId });
    },
    async findByCredentialHash(hash: string): Promise<TerminalRow | undefined> {
      return table().where({ credential_hash: hash }).first();
    },
    /** The pending terminal this enrollment hash opens, if it has not expired at `now`. */
    async findPendingEnrollment(hash: string, now: number): Promise<TerminalWithSiteRow | undefined> {
      const rows = await withSite()
        .where({ 't.enrollment_hash': hash, 't.status': 'pending' })
        .andWhere('t.enrollment_expires_at', '>', now)
        .limit(1);
      return rows[0];
    },
    /**
     * Consumes an enrollment: one conditional UPDATE, so of two racing requests exactly one
     * matches. True when this call enrolled the terminal.
     */
    async completeEnrollment(hash: string, credentialHash: string, now: number): Promise<boolean> {
      const changed = await table()
        .where({ enrollment_hash: hash, status: 'pending' })
        .andWhere('enrollment_expires_at', '>', now)
        .update({
          status: 'active',
          credential_hash: credentialHash,
          enrollment_hash: null,
          enrollment_expires_at: null,
          enrolled_at: now,
          last_seen_at: null,
          updated_at: now,
        });
      return changed === 1;
    },
    /** Puts a pending or active terminal back to pending with a new enrollment; its old credential stops working. */
    async restartEnrollment(id: string, hash: string, expiresAt: number, now: number): Promise<boolean> {
      const changed = await table()
        .where({ id })
        .whereIn('status', ['pending', 'active'])
        .update({ status: 'pending', credential_hash: null, enrollment_hash: hash, enrollment_expires_at: expiresAt, updated_at: now });
      return changed === 1;
    },
    /** Revokes the terminal; its credential hash is kept so that the credential is recognised as revoked. */
    async revoke(id: string, now: number): Promise<boolean> {
      const changed = await table()
        .where({ id })
        .update({ status: 'revoked', enrollment_hash: null, enrollment_expires_at: null, updated_at: now });
      return changed === 1;
    },
    /** Deletes the terminal unless it is active (enrolled and not revoked); true when deleted. */
    async deleteUnlessActive(id: string): Promise<boolean> {
      return (await table().where({ id }).whereNot({ status: 'active' }).delete()) === 1;
    },
    /** Renames a terminal or changes its unit; true when it exists. */
    async update(id: string, changes: { name?: string; unit?: string | null }, now: number): Promise<boolean> {
      return (await table().where({ id }).update({ ...changes, updated_at: now })) === 1;
    },
    /** Records a sighting; never moves last_seen_at backwards. */
    async touch(id: string, at: number): Promise<void> {
      await table()
        .where({ id })
        .andWhere((q) => q.whereNull('last_seen_at').orWhere('last_seen_at', '<', at))
        .update({ last_seen_at: at });
    },
  };
}

export type TerminalStore = ReturnType<typeof createTerminalStore>;
