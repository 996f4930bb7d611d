/** Queries for `sites`: the hospital's sites, their timezone, place and own networks. */
import type { Db } from './db.ts';

export interface SiteRow {
  id: string;
  name: string;
  timezone: string;
  country: string;
  latitude: number | null;
  longitude: number | null;
  networks: string;
  created_at: number;
  updated_at: number;
}

export function createSiteStore(db: Db) {
  const table = () => db<SiteRow>('sites');
  return {
    async find(id: string): Promise<SiteRow | undefined> {
      return table().where({ id }).first();
    },
    async list(): Promise<SiteRow[]> {
      return table().orderBy('id');
    },
    async insertIfAbsent(row: SiteRow): Promise<boolean> {
      const inserted = await table().insert(row).onConflict('id').ignore().returning('id');
      return inserted.length === 1;
    },
  };
}

export type SiteStore = ReturnType<typeof createSiteStore>;
