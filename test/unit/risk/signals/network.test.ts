/**
 * The network signal: an address inside a site's registered networks (IPv4 or IPv6) is on the
 * premises; any other is remote.
 */
import { describe, expect, it } from 'vitest';
import type { SiteInfo } from '../../../../src/risk/ports.ts';
import { networkSignal } from '../../../../src/risk/signals/network.ts';
import { contextWith, fakePorts, outage, policyWith } from './fake-ports.ts';

const policy = policyWith();
const ROYAL: SiteInfo = { id: 'royal', name: 'Royal Infirmary', timezone: 'Europe/London', country: 'GB', latitude: 51.5, longitude: -0.1 };
const siteNetworks = [
  { cidr: '10.20.0.0/16', site: ROYAL },
  { cidr: '2001:db8:20::/48', site: ROYAL },
];

describe('network signal', () => {
  it('can judge before the password is checked', () => {
    expect(networkSignal).toMatchObject({ id: 'network', needsUser: false });
  });

  it('finds an address in a site\'s IPv4 network on the premises, naming the site', async () => {
    const findings = await networkSignal.evaluate(contextWith({ ip: '10.20.1.5' }), fakePorts({ siteNetworks }), policy);
    expect(findings).toEqual([{ code: 'on_premises', details: { ip: '10.20.1.5', siteId: 'royal', siteName: 'Royal Infirmary' } }]);
  });

  it('finds an address in a site\'s IPv6 network on the premises', async () => {
    const findings = await networkSignal.evaluate(contextWith({ ip: '2001:db8:20:4::17' }), fakePorts({ siteNetworks }), policy);
    expect(findings).toEqual([{ code: 'on_premises', details: { ip: '2001:db8:20:4::17', siteId: 'royal', siteName: 'Royal Infirmary' } }]);
  });

  it('finds any other address remote, private ones included', async () => {
    for (const ip of ['81.2.69.142', '10.21.0.1', '2001:db8:21::1', '192.168.1.10']) {
      expect(await networkSignal.evaluate(contextWith({ ip }), fakePorts({ siteNetworks }), policy)).toEqual([{ code: 'remote', details: { ip } }]);
    }
  });

  it('lets a failing port throw', async () => {
    const ports = fakePorts();
    ports.sites.containing.mockImplementation(outage);
    await expect(networkSignal.evaluate(contextWith(), ports, policy)).rejects.toThrow('database unreachable');
  });
});
