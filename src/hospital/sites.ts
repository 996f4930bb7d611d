/**
 * The hospital's sites: where each is (country, coordinates), its IANA timezone, and the networks
 * that are its own. A site and its networks are written in one transaction. `containing(ip)` and
 * `countries()` are what the risk engine's `sites` port needs.
 */
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { SiteInfo } from '../risk/ports.ts';
import type { Db } from '../store/db.ts';
import { createSiteNetworkStore, type SiteNetworkRow } from '../store/site-networks.ts';
import { createSiteStore, type SiteRow } from '../store/sites.ts';
import { invalidField, parseInput } from './input.ts';
import { canonicalTimeZone } from './local-time.ts';
import { cidrRange, CidrError, ipToHex, normaliseCidr } from './networks.ts';

/** A site as the risk engine sees it. */
export type SiteSummary = SiteInfo;

export interface Site extends SiteSummary {
  /** Canonical CIDR ranges, in address order. */
  networks: string[];
}

const regions = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
/** Region codes the runtime knows that are not countries. */
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'ZZ', 'QO']);

const timezone = z.string().transform((value, ctx) => {
  const canonical = canonicalTimeZone(value);
  if (!canonical) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not an IANA timezone (such as Europe/London)` });
    return z.NEVER;
  }
  return canonical;
});

const country = z.string().refine((v) => /^[A-Z]{2}$/.test(v) && !NOT_COUNTRIES.has(v) && regions.of(v) !== undefined, {
  message: 'must be an ISO 3166-1 alpha-2 country code in capitals, such as GB',
});

const network = z.string().transform((value, ctx) => {
  try {
    return normaliseCidr(value);
  } catch (error) {
    if (!(error instanceof CidrError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
    return z.NEVER;
  }
});

const fields = {
  name: z.string().trim().min(1).max(200),
  timezone,
  country,
  latitude: z.number().min(-90).max(90).nullable(),
  longitude: z.number().min(-180).max(180).nullable(),
  networks: z.array(network).max(1000),
};

const bothOrNeither = (site: { latitude?: number | null; longitude?: number | null }, ctx: z.RefinementCtx) => {
  const hasLatitude = site.latitude != null;
  const hasLongitude = site.longitude != null;
  if (hasLatitude !== hasLongitude) {
    ctx.addIssue({ code: 'custom', path: [hasLatitude ? 'longitude' : 'latitude'], message: 'latitude and longitude go together' });
  }
};

export const newSiteSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/, { message: 'must be 2 to 64 lower-case letters, digits and -, starting with a letter or digit' }),
    ...fields,
    latitude: fields.latitude.default(null),
    longitude: fields.longitude.default(null),
    networks: fields.networks.default([]),
  })
  .strict()
  .superRefine(bothOrNeither);

/** Changes to a site; whether latitude and longitude still go together is checked on the result. */
export const siteChangesSchema = z.object(fields).partial().strict();

export type NewSite = z.input<typeof newSiteSchema>;
export type SiteChanges = z.input<typeof siteChangesSchema>;

function summary(row: SiteRow): SiteSummary {
  return { id: row.id, name: row.name, timezone: row.timezone, country: row.country, latitude: row.latitude, longitude: row.longitude };
}

function networkRows(siteId: string, networks: string[]): SiteNetworkRow[] {
  return [...new Set(networks)].map((cidr) => {
    const range = cidrRange(cidr);
    return { site_id: siteId, cidr, range_start: range.start, range_end: range.end };
  });
}

function withNetworks(row: SiteRow, networks: SiteNetworkRow[]): Site {
  return { ...summary(row), networks: networks.map((n) => n.cidr) };
}

export function createSites(db: Db, now: () => number = Date.now) {
  const sites = createSiteStore(db);
  const networks = createSiteNetworkStore(db);

  /** Inserts a validated site with its networks; false when the id exists. */
  async function insert(site: z.output<typeof newSiteSchema>): Promise<boolean> {
    return db.transaction(async (trx) => {
      const at = now();
      const inserted = await createSiteStore(trx).insertIfAbsent({
        id: site.id, name: site.name, timezone: site.timezone, country: site.country,
        latitude: site.latitude, longitude: site.longitude, created_at: at, updated_at: at,
      });
      if (inserted) await createSiteNetworkStore(trx).replace(site.id, networkRows(site.id, site.networks));
      return inserted;
    });
  }

  const service = {
    async create(input: NewSite): Promise<Site> {
      const site = parseInput(newSiteSchema, input, 'site');
      if (!(await insert(site))) throw new AppError('conflict', `id: site "${site.id}" already exists`);
      return (await service.get(site.id))!;
    },

    /** Creates the site unless one with its id exists (then leaves it as it is). */
    async ensure(input: NewSite): Promise<{ site: Site; created: boolean }> {
      const site = parseInput(newSiteSchema, input, 'site');
      const created = await insert(site);
      return { site: (await service.get(site.id))!, created };
    },

    /** Changes the given fields; `networks`, when given, replaces all of the site's networks. */
    async update(id: string, input: SiteChanges): Promise<Site> {
      const changes = parseInput(siteChangesSchema, input, 'site');
      await db.transaction(async (trx) => {
        const store = createSiteStore(trx);
        const current = await store.find(id);
        if (!current) throw new AppError('not_found', `id: no site "${id}"`);
        const { networks: newNetworks, ...columns } = changes;
        const latitude = columns.latitude !== undefined ? columns.latitude : current.latitude;
        const longitude = columns.longitude !== undefined ? columns.longitude : current.longitude;
        if ((latitude == null) !== (longitude == null)) {
          const field = columns.latitude !== undefined ? 'latitude' : 'longitude';
          const other = field === 'latitude' ? 'longitude' : 'latitude';
          throw invalidField(field, `latitude and longitude go together (the site's ${other} is ${current[other] ?? 'not set'})`);
        }
        await store.update(id, { ...columns, updated_at: now() });
        if (newNetworks) await createSiteNetworkStore(trx).replace(id, networkRows(id, newNetworks));
      });
      return (await service.get(id))!;
    },

    async get(id: string): Promise<Site | undefined> {
      const row = await sites.find(id);
      return row ? withNetworks(row, await networks.listBySite(id)) : undefined;
    },

    /** Every site's name by id (without reading networks), for sentences that name sites. */
    async names(): Promise<Record<string, string>> {
      return Object.fromEntries((await sites.list()).map((row) => [row.id, row.name]));
    },

    async list(): Promise<Site[]> {
      const [rows, all] = await Promise.all([sites.list(), networks.listAll()]);
      return rows.map((row) => withNetworks(row, all.filter((n) => n.site_id === row.id)));
    },

    /** Deletes a site and its networks; refused while terminals or shifts name it. */
    async delete(id: string): Promise<void> {
      await db.transaction(async (trx) => {
        const store = createSiteStore(trx);
        if (!(await store.find(id))) throw new AppError('not_found', `id: no site "${id}"`);
        const { terminals, shifts } = await store.dependents(id);
        if (terminals || shifts) {
          throw new AppError('conflict', `id: site "${id}" still has ${terminals} terminal(s) and ${shifts} shift(s); remove them first`);
        }
        await createSiteNetworkStore(trx).replace(id, []);
        await store.delete(id);
      });
    },

    /** The site whose networks contain `ip` (the most specific network wins), or null. */
    async containing(ip: string): Promise<SiteSummary | null> {
      let hex: string;
      try {
        hex = ipToHex(ip);
      } catch {
        return null;
      }
      const row = await networks.containing(hex);
      return row ? summary(row) : null;
    },

    /** Every site's country, distinct and sorted. */
    async countries(): Promise<string[]> {
      return sites.countries();
    },
  };
  return service;
}

export type Sites = ReturnType<typeof createSites>;
