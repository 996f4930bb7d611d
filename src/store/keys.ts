/** Queries for the `keys` table: signing and cookie keys, their material sealed at rest. */
import type { Db } from './db.ts';

export type KeyUse = 'sig' | 'cookie';

export interface KeyRow {
  kid: string;
  use: KeyUse;
  alg: string;
  material_encrypted: string;
  created_at: number;
  retire_after: number | null;
}

export function createKeyStore(db: Db) {
  const table = () => db<KeyRow>('keys');
  return {
    /** Keys still published or usable at `now`, newest first (the newest signs). */
    async live(use: KeyUse, now: number): Promise<KeyRow[]> {
      return table()
        .where({ use })
        .andWhere((q) => q.whereNull('retire_after').orWhere('retire_after', '>', now))
        .orderBy('created_at', 'desc')
        .orderBy('kid', 'desc');
    },
    async all(): Promise<KeyRow[]> {
      return table().orderBy('created_at', 'desc');
    },
    async insert(row: KeyRow): Promise<void> {
      await table().insert(row);
    },
    /** Marks every current key of (use, alg) as retiring at `retireAfter`. */
    async retireCurrent(use: KeyUse, alg: string, retireAfter: number): Promise<number> {
      return table().where({ use, alg }).whereNull('retire_after').update({ retire_after: retireAfter });
    },
    async deleteRetiredBefore(now: number): Promise<number> {
      return table().whereNotNull('retire_after').andWhere('retire_after', '<=', now).delete();
    },
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
