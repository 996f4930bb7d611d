/**
 * Queries for `site_networks`: one row per CIDR of a site, with its address range as two
 * fixed-width hex strings (see hospital/networks.ts), so containment is a string range query.
 */
import type { Db } from './db.ts';
import type { SiteRow } from './sites.ts';

export interface SiteNetworkRow {
  site_id: string;
  cidr: string;
  range_start: string;
  range_end: string;
}

export function createSiteNetworkStore(db: Db) {
  const table = () => db<SiteNetworkRow>('site_networks');
  return {
    /** The site's networks, in range order. */
    async listBySite(siteId: string): Promise<SiteNetworkRow[]> {
      return table().where({ site_id: siteId }).orderBy(['range_start', 'range_end']);
    },
    async listAll(): Promise<SiteNetworkRow[]> {
      return table().orderBy(['site_id', 'range_start', 'range_end']);
    },
    /** Replaces every network of the site with `rows`. Run it in the transaction that writes the site. */
    async replace(siteId: string, rows: SiteNetworkRow[]): Promise<void> {
      await table().where({ site_id: siteId }).delete();
      if (rows.length) await table().insert(rows);
    },
    /**
     * The site whose network contains the address, the most specific network first (the largest
     * range_start; on a tie the smallest range_end, then the site id, so the answer is stable).
     */
    async containing(ipHex: string): Promise<SiteRow | undefined> {
      return db('site_networks as n')
        .join<SiteRow>('sites as s', 's.id', 'n.site_id')
        .where('n.range_start', '<=', ipHex)
        .andWhere('n.range_end', '>=', ipHex)
        .orderBy([
          { column: 'n.range_start', order: 'desc' },
          { column: 'n.range_end', order: 'asc' },
          { column: 's.id', order: 'asc' },
        ])
        .first('s.*');
    },
  };
}

export type SiteNetworkStore = ReturnType<typeof createSiteNetworkStore>;
