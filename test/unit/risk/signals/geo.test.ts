/**
 * The geography signal: special-use addresses never looked up, unknown places, countries outside
 * the allowed list (the policy's or the sites'), and impossible travel with accuracy radii.
 */
import { describe, expect, it } from 'vitest';
import type { GeoLocation, PastSignIn } from '../../../../src/risk/ports.ts';
import { distanceKm, geoSignal } from '../../../../src/risk/signals/geo.ts';
import { AT, contextWith, fakePorts, outage, policyWith, type FakeData } from './fake-ports.ts';

const LONDON = { latitude: 51.5074, longitude: -0.1278 };
const NEW_YORK = { latitude: 40.7128, longitude: -74.006 };
const BERLIN = { latitude: 52.52, longitude: 13.405 };
const GB_IP = '81.2.69.142';
const US_IP = '8.8.8.8';
const DE_IP = '5.9.0.1';
const geo: Record<string, GeoLocation> = {
  [GB_IP]: { country: 'GB', ...LONDON, accuracyKm: 10 },
  [US_IP]: { country: 'US', ...NEW_YORK, accuracyKm: 10 },
  [DE_IP]: { country: 'DE', ...BERLIN, accuracyKm: 10 },
};
const gbOnly = policyWith({ lists: { ...policyWith().lists, allowedCountries: ['GB', 'US', 'DE'] } });
const hoursBefore = (hours: number) => new Date(AT.getTime() - hours * 3_600_000);
const lastIn = (place: { latitude: number; longitude: number }, country: string, hours: number, accuracyKm: number | null = 10): PastSignIn => ({
  at: hoursBefore(hours),
  country,
  ...place,
  accuracyKm,
});

async function judge(ip: string, data: FakeData = {}, changes: Parameters<typeof contextWith>[0] = {}, policy = gbOnly) {
  const ports = fakePorts({ geo, ...data });
  return { findings: await geoSignal.evaluate(contextWith({ ip, ...changes }), ports, policy), ports };
}

describe('geo signal', () => {
  it('can judge before the password is checked (travel waits for the user)', () => {
    expect(geoSignal).toMatchObject({ id: 'geo', needsUser: false });
  });

  it.each(['10.1.2.3', '192.168.0.7', '100.64.3.4', '127.0.0.1', '::1', 'fd00:1234::5', 'fe80::1', '::ffff:192.168.1.1'])(
    'never looks up the special-use address %s, and finds nothing',
    async (ip) => {
      const { findings, ports } = await judge(ip, { lastSuccess: lastIn(NEW_YORK, 'US', 0.1) });
      expect(findings).toEqual([]);
      expect(ports.geo.lookup).not.toHaveBeenCalled();
      expect(ports.history.lastSuccess).not.toHaveBeenCalled();
    },
  );

  it('finds a public address the database does not know location_unknown', async () => {
    const { findings, ports } = await judge('203.1.1.1');
    expect(findings).toEqual([{ code: 'location_unknown', details: { ip: '203.1.1.1' } }]);
    expect(ports.geo.lookup).toHaveBeenCalledWith('203.1.1.1');
  });

  it('finds nothing for an allowed country', async () => {
    expect((await judge(GB_IP)).findings).toEqual([]);
  });

  it('flags a country outside the policy\'s list, naming both', async () => {
    const policy = policyWith({ lists: { ...gbOnly.lists, allowedCountries: ['GB', 'IE'] } });
    const { findings, ports } = await judge(US_IP, {}, {}, policy);
    expect(findings).toEqual([{ code: 'country_not_allowed', details: { ip: US_IP, country: 'US', allowed: ['GB', 'IE'], allowedFrom: 'policy' } }]);
    expect(ports.sites.countries).not.toHaveBeenCalled();
  });

  it('defaults the allowed list to the countries of the hospital\'s sites', async () => {
    const policy = policyWith();
    expect(policy.lists.allowedCountries).toBeNull();
    const { findings, ports } = await judge(US_IP, { siteCountries: ['GB', 'gb', 'IE'] }, {}, policy);
    expect(findings).toEqual([{ code: 'country_not_allowed', details: { ip: US_IP, country: 'US', allowed: ['GB', 'IE'], allowedFrom: 'sites' } }]);
    expect(ports.sites.countries).toHaveBeenCalledTimes(1);
    expect((await judge(GB_IP, { siteCountries: ['GB'] }, {}, policy)).findings).toEqual([]);
  });

  it('flags no country when there is no list and no site has a country', async () => {
    expect((await judge(US_IP, { siteCountries: [] }, {}, policyWith())).findings).toEqual([]);
  });

  describe('impossible travel', () => {
    it('flags London then New York one hour apart, with the figures behind it', async () => {
      const { findings } = await judge(US_IP, { lastSuccess: lastIn(LONDON, 'GB', 1) });
      const distance = distanceKm(LONDON, NEW_YORK);
      expect(findings).toEqual([
        {
          code: 'impossible_travel',
          details: {
            fromCountry: 'GB',
            toCountry: 'US',
            previousAt: '2026-11-29T08:00:00.000Z',
            distanceKm: Math.round(distance),
            effectiveDistanceKm: Math.round(distance - 20),
            hours: 1,
            speedKmh: Math.round(distance - 20),
            maxSpeedKmh: 900,
          },
        },
      ]);
    });

    it('does not flag London then New York ten hours apart (an airliner does that)', async () => {
      expect((await judge(US_IP, { lastSuccess: lastIn(LONDON, 'GB', 10) })).findings).toEqual([]);
    });

    it('subtracts both accuracy radii before judging, so a coarse location cannot raise a false flag', async () => {
      // London to Berlin is about 930 km: in half an hour that is ~1860 km/h when both are precise…
      expect((await judge(DE_IP, { lastSuccess: lastIn(LONDON, 'GB', 0.5) })).findings.map((f) => f.code)).toEqual(['impossible_travel']);
      // …but with radii of 500 km (here) and 300 km (before) at most ~120 km may have been travelled.
      const coarse = { ...geo, [DE_IP]: { ...geo[DE_IP]!, accuracyKm: 500 } };
      expect((await judge(DE_IP, { geo: coarse, lastSuccess: lastIn(LONDON, 'GB', 0.5, 300) })).findings).toEqual([]);
    });

    it('never lets the radii make a distance negative', async () => {
      const vague = { ...geo, [US_IP]: { ...geo[US_IP]!, accuracyKm: 20_000 } };
      expect((await judge(US_IP, { geo: vague, lastSuccess: lastIn(LONDON, 'GB', 0) })).findings).toEqual([]);
    });

    it('treats two sign-ins at the same instant as a minute apart', async () => {
      // 100 km in a minute is 6000 km/h; 10 km in a minute is 600 km/h.
      const near = (km: number) => ({ latitude: LONDON.latitude + km / 111.195, longitude: LONDON.longitude });
      const at = (km: number) => judge(GB_IP, { geo: { [GB_IP]: { country: 'GB', ...near(km), accuracyKm: 0 } }, lastSuccess: lastIn(LONDON, 'GB', 0, 0) });
      const far = (await at(100)).findings;
      expect(far).toMatchObject([{ code: 'impossible_travel', details: { hours: 0.02, effectiveDistanceKm: 100, speedKmh: 6000 } }]);
      expect((await at(10)).findings).toEqual([]);
    });

    it('never calls an unknown previous location travel', async () => {
      const unknown: PastSignIn = { at: hoursBefore(0.1), country: null, latitude: null, longitude: null, accuracyKm: null };
      expect((await judge(US_IP, { lastSuccess: unknown })).findings).toEqual([]);
      expect((await judge(US_IP, { lastSuccess: null })).findings).toEqual([]);
    });

    it('never calls an unknown present location travel', async () => {
      const { findings, ports } = await judge('203.1.1.1', { lastSuccess: lastIn(NEW_YORK, 'US', 0.1) });
      expect(findings.map((f) => f.code)).toEqual(['location_unknown']);
      expect(ports.history.lastSuccess).not.toHaveBeenCalled();
    });

    it('asks for the last success before this sign-in, and only when the user is known', async () => {
      const known = await judge(US_IP, { lastSuccess: lastIn(LONDON, 'GB', 1) });
      expect(known.ports.history.lastSuccess).toHaveBeenCalledWith('u-1', AT);
      const anonymous = await judge(US_IP, { lastSuccess: lastIn(LONDON, 'GB', 1) }, { user: undefined });
      expect(anonymous.findings).toEqual([]);
      expect(anonymous.ports.history.lastSuccess).not.toHaveBeenCalled();
    });

    it('reports a blocked country and impossible travel together', async () => {
      const policy = policyWith({ lists: { ...gbOnly.lists, allowedCountries: ['GB'] } });
      const { findings } = await judge(US_IP, { lastSuccess: lastIn(LONDON, 'GB', 1) }, {}, policy);
      expect(findings.map((f) => f.code)).toEqual(['country_not_allowed', 'impossible_travel']);
    });
  });

  it('measures London to New York as about 5570 km', () => {
    expect(distanceKm(LONDON, NEW_YORK)).toBeCloseTo(5570, -1);
    expect(distanceKm(LONDON, LONDON)).toBe(0);
  });

  it('lets failing ports throw', async () => {
    const ports = fakePorts({ geo });
    ports.history.lastSuccess.mockImplementation(outage);
    await expect(geoSignal.evaluate(contextWith({ ip: US_IP }), ports, gbOnly)).rejects.toThrow('database unreachable');
    const sites = fakePorts({ geo });
    sites.sites.countries.mockImplementation(outage);
    await expect(geoSignal.evaluate(contextWith({ ip: US_IP }), sites, policyWith())).rejects.toThrow('database unreachable');
  });
});
