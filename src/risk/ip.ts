/**
 * Special-use IP addresses: the ranges of the IANA special-purpose registries (RFC 6890 and its
 * successors), multicast and reserved space. Such an address says nothing about where a person
 * is (a ward PC behind NAT, a VPN's CGNAT pool, a test network), so it is never geolocated.
 *
 * IPv4-mapped IPv6 addresses (::ffff:10.1.2.3) are judged as the IPv4 address they carry:
 * node's BlockList checks them against the IPv4 ranges itself. IPv6 outside global unicast
 * (2000::/3) is special-use as a whole, so space IANA has not allocated is covered too.
 */
import { BlockList, isIP } from 'node:net';

/** [network, prefix length, what it is], for reading and for tests. */
export const SPECIAL_USE_IPV4: readonly (readonly [string, number, string])[] = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'shared address space, carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private (RFC 1918)'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation (TEST-NET-1)'],
  ['192.88.99.0', 24, '6to4 relay anycast (deprecated)'],
  ['192.168.0.0', 16, 'private (RFC 1918)'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation (TEST-NET-2)'],
  ['203.0.113.0', 24, 'documentation (TEST-NET-3)'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved, including broadcast'],
];

export const SPECIAL_USE_IPV6: readonly (readonly [string, number, string])[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'IPv4-compatible (deprecated)'],
  ['64:ff9b::', 96, 'NAT64 well-known prefix'],
  ['64:ff9b:1::', 48, 'NAT64 local use'],
  ['100::', 64, 'discard only'],
  ['2001::', 23, 'IETF protocol assignments, including Teredo'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4'],
  ['3fff::', 20, 'documentation (RFC 9637)'],
  ['5f00::', 16, 'segment routing SIDs'],
  ['fc00::', 7, 'unique local (ULA)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];

const SPECIAL_USE = new BlockList();
for (const [network, prefix] of SPECIAL_USE_IPV4) SPECIAL_USE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of SPECIAL_USE_IPV6) SPECIAL_USE.addSubnet(network, prefix, 'ipv6');

const GLOBAL_UNICAST = new BlockList();
GLOBAL_UNICAST.addSubnet('2000::', 3, 'ipv6');
const IPV4_MAPPED = new BlockList();
IPV4_MAPPED.addSubnet('::ffff:0:0', 96, 'ipv6');

/**
 * Whether `ip` is a special-use address (private, loopback, CGNAT, link-local, ULA, documentation,
 * multicast, reserved …). A string that is not an IP address at all is not special-use: check
 * that with `isIP` where it matters.
 */
export function isSpecialUse(ip: string): boolean {
  // A zone index (fe80::1%eth0) only ever appears on link-local addresses, but BlockList ignores
  // addresses that carry one, so it is dropped before the check.
  const address = ip.includes(':') ? ip.split('%', 1)[0]! : ip;
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return SPECIAL_USE.check(address, 'ipv4');
  if (IPV4_MAPPED.check(address, 'ipv6')) return SPECIAL_USE.check(address, 'ipv6');
  return !GLOBAL_UNICAST.check(address, 'ipv6') || SPECIAL_USE.check(address, 'ipv6');
}
