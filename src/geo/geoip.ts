/**
 * The geolocation port on geoip-lite's bundled database. geoip-lite reads its data files
 * (about 100 MB) synchronously when first imported, so this module is imported once, at start,
 * by main.ts; lookups after that are in-memory binary searches.
 *
 * Special-use addresses are never looked up, and an address the database holds no place for is
 * unknown (null). A record with a country but no coordinates (the country-only database) is given
 * an accuracy radius of half the earth's circumference, so it can place a country but never imply travel.
 */
import geoip from 'geoip-lite';
import { isSpecialUse } from '../risk/ip.ts';
import type { GeoLocation } from '../risk/ports.ts';

/** No two points on earth are further apart than this (π × 6371 km). */
const ANYWHERE_KM = 20_016;

export interface GeoLookup {
  lookup(ip: string): GeoLocation | null;
}

export function createGeoLookup(): GeoLookup {
  return {
    lookup(ip) {
      if (isSpecialUse(ip)) return null;
      const found = geoip.lookup(ip);
      if (!found || !/^[A-Z]{2}$/.test(found.country)) return null;
      const [latitude, longitude] = found.ll ?? [];
      if (typeof latitude !== 'number' || typeof longitude !== 'number' || typeof found.area !== 'number') {
        return { country: found.country, latitude: 0, longitude: 0, accuracyKm: ANYWHERE_KM };
      }
      return { country: found.country, latitude, longitude, accuracyKm: found.area };
    },
  };
}
