/**
 * Special-use addresses are never geolocated: IPv4 and IPv6 special-purpose ranges, IPv4-mapped
 * IPv6 judged as the IPv4 address it carries, and IPv6 outside global unicast.
 */
import { describe, expect, it } from 'vitest';
import { isSpecialUse } from '../../../src/risk/ip.ts';

describe('isSpecialUse', () => {
  it.each([
    ['0.0.0.0', 'this network'],
    ['10.1.2.3', 'RFC 1918'],
    ['172.16.0.1', 'RFC 1918'],
    ['172.31.255.255', 'RFC 1918, top of the range'],
    ['192.168.1.10', 'RFC 1918'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.254', 'CGNAT, top of the range'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['192.0.2.10', 'TEST-NET-1'],
    ['198.51.100.7', 'TEST-NET-2'],
    ['203.0.113.9', 'TEST-NET-3'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fc00::1', 'ULA'],
    ['fd12:3456:789a::1', 'ULA'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local with a zone index'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation (RFC 9637)'],
    ['64:ff9b::808:808', 'NAT64'],
    ['2002:c000:0204::1', '6to4'],
    ['::ffff:10.1.2.3', 'IPv4-mapped private'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:a01:203', 'IPv4-mapped private, hex form'],
    ['4000::1', 'outside global unicast'],
  ])('%s is special-use (%s)', (ip) => {
    expect(isSpecialUse(ip)).toBe(true);
  });

  it.each([
    ['81.2.69.142'],
    ['8.8.8.8'],
    ['100.63.255.255'],
    ['100.128.0.0'],
    ['172.32.0.1'],
    ['11.0.0.1'],
    ['2a00:1450:4009::1'],
    ['2001:4860:4860::8888'],
    ['::ffff:81.2.69.142'],
  ])('%s is a public address', (ip) => {
    expect(isSpecialUse(ip)).toBe(false);
  });

  it('does not call a string that is not an address special-use (isIP is the check for that)', () => {
    for (const text of ['', 'localhost', '10.0.0.256', '10.0.0.1%eth0', '[::1]']) expect(isSpecialUse(text)).toBe(false);
  });
});
