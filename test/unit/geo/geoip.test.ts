/**
 * The geolocation adapter on geoip-lite's real database: GB and US addresses, IPv6, IPv4-mapped,
 * and special-use addresses that are never looked up.
 */
import { describe, expect, it } from 'vitest';
import { createGeoLookup } from '../../../src/geo/geoip.ts';

const geo = createGeoLookup();

describe('geoip adapter', () => {
  it('places 81.2.69.142 in GB with coordinates and an accuracy radius', () => {
    const found = geo.lookup('81.2.69.142');
    expect(found).toMatchObject({ country: 'GB' });
    expect(found!.latitude).toBeGreaterThan(49);
    expect(found!.latitude).toBeLessThan(61);
    expect(found!.accuracyKm).toBeGreaterThan(0);
  });

  it('places 8.8.8.8 in the US', () => {
    const found = geo.lookup('8.8.8.8');
    expect(found?.country).toBe('US');
    expect(found!.longitude).toBeLessThan(-60);
  });

  it('places the IPv6 address 2a00:1450:4009::1 in GB', () => {
    expect(geo.lookup('2a00:1450:4009::1')?.country).toBe('GB');
  });

  it('places an IPv4-mapped IPv6 address where its IPv4 address is', () => {
    expect(geo.lookup('::ffff:81.2.69.142')).toEqual(geo.lookup('81.2.69.142'));
  });

  it.each(['10.1.2.3', '127.0.0.1', '100.64.0.1', '::1', 'fd00::1', 'fe80::1', '192.0.2.1', '::ffff:192.168.0.1'])('does not place the special-use address %s', (ip) => {
    expect(geo.lookup(ip)).toBeNull();
  });

  it('does not place what is not an address', () => {
    expect(geo.lookup('not-an-ip')).toBeNull();
    expect(geo.lookup('')).toBeNull();
  });
});
