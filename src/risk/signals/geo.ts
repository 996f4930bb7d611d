/**
 * Geography: where the IP is, from the geolocation port. Special-use addresses (private, loopback,
 * CGNAT, ULA …) say nothing about a place and are never looked up. A public address the database
 * does not know is `location_unknown`; a country outside the allowed list (the policy's, or by
 * default the countries of the hospital's sites) is `country_not_allowed`. With the user known,
 * the distance from their last successful sign-in, less both accuracy radii, over the time since,
 * faster than the policy allows is `impossible_travel`. An unknown place is never travel.
 */
import { isSpecialUse } from '../ip.ts';
import type { GeoLocation, PastSignIn, RiskPorts } from '../ports.ts';
import type { RawFinding, RiskContext } from '../types.ts';
import { HOUR_MS, MINUTE_MS, type Signal } from './signal.ts';

const EARTH_RADIUS_KM = 6371;
/** Sign-ins at the same instant (or clocks out of step) are treated as this far apart. */
const MIN_ELAPSED_MS = MINUTE_MS;

const radians = (degrees: number) => (degrees * Math.PI) / 180;

/** Great-circle distance by the haversine formula. */
export function distanceKm(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const dLat = radians(b.latitude - a.latitude);
  const dLon = radians(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.latitude)) * Math.cos(radians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

async function allowedCountries(ports: RiskPorts, listed: string[] | null): Promise<{ allowed: string[]; allowedFrom: 'policy' | 'sites' }> {
  const countries = listed ?? (await ports.sites.countries());
  return { allowed: [...new Set(countries.map((c) => c.toUpperCase()))], allowedFrom: listed ? 'policy' : 'sites' };
}

function travel(here: GeoLocation, last: PastSignIn | null, context: RiskContext, maxSpeedKmh: number): RawFinding | null {
  if (!last || last.latitude === null || last.longitude === null) return null;
  const distance = distanceKm({ latitude: last.latitude, longitude: last.longitude }, here);
  const effective = Math.max(0, distance - here.accuracyKm - (last.accuracyKm ?? 0));
  const hours = Math.max(context.at.getTime() - last.at.getTime(), MIN_ELAPSED_MS) / HOUR_MS;
  const speedKmh = effective / hours;
  if (speedKmh <= maxSpeedKmh) return null;
  return {
    code: 'impossible_travel',
    details: {
      fromCountry: last.country,
      toCountry: here.country,
      previousAt: last.at.toISOString(),
      distanceKm: Math.round(distance),
      effectiveDistanceKm: Math.round(effective),
      hours: Math.round(hours * 100) / 100,
      speedKmh: Math.round(speedKmh),
      maxSpeedKmh,
    },
  };
}

export const geoSignal: Signal = {
  id: 'geo',
  needsUser: false,
  async evaluate(context, ports, policy) {
    if (isSpecialUse(context.ip)) return [];
    const here = ports.geo.lookup(context.ip);
    if (!here) return [{ code: 'location_unknown', details: { ip: context.ip } }];

    const [{ allowed, allowedFrom }, last] = await Promise.all([
      allowedCountries(ports, policy.lists.allowedCountries),
      context.user ? ports.history.lastSuccess(context.user.id, context.at) : null,
    ]);
    const findings: RawFinding[] = [];
    if (allowed.length > 0 && !allowed.includes(here.country.toUpperCase())) {
      findings.push({ code: 'country_not_allowed', details: { ip: context.ip, country: here.country, allowed, allowedFrom } });
    }
    const impossible = travel(here, last, context, policy.travel.maxSpeedKmh);
    if (impossible) findings.push(impossible);
    return findings;
  },
};
