/** Queries for `sites`: the hospital's sites, their timezone and place. Networks: site-networks.ts. */
import { countRows, type Db } from './db.ts';

export interface SiteRow {
  id: string;
  name: string;
  timezone: string;
  country: string;
  latitude: number | null;
  longitude: number | null;
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
    /** Inserts unless the id exists; true when inserted. */
    async insertIfAbsent(row: SiteRow): Promise<boolean> {
      const inserted = await table().insert(row).onConflict('id').ignore().returning('id');
      return inserted.length === 1;
    },
    async update(id: string, changes: Partial<Omit<SiteRow, 'id' | 'created_at'>>): Promise<number> {
      return table().where({ id }).update(changes);
    },
    async delete(id: string): Promise<number> {
      return table().where({ id }).delete();
    },
    /** Distinct countries of all sites, sorted. */
    async countries(): Promise<string[]> {
      const rows = await table().distinct('country').orderBy('country');
      return rows.map((r) => r.country);
    },
    /** How many terminals and shifts name the site (they keep it from being deleted). */
    async dependents(id: string): Promise<{ terminals: number; shifts: number }> {
      const count = (name: 'terminals' | 'shifts') => countRows(db(name).where({ site_id: id }));
      return { terminals: await count('terminals'), shifts: await count('shifts') };
    },
  };
}

export type SiteStore = ReturnType<typeof createSiteStore>;
