/**
 * Outgoing requests from oidc-provider (back-channel logout). Every connection goes through one
 * undici Agent whose DNS lookup is checked and pinned: an address is used only if it lies in
 * WARDGATE_OUTBOUND_ALLOWED_NETWORKS or is not special-use (private, loopback, link-local, …).
 * The check happens on the very address the socket connects to, so DNS rebinding cannot slip a
 * private address past it. Hospital apps on private networks are reached only when IT lists them.
 */
import dns from 'node:dns';
import { BlockList, isIP } from 'node:net';
import proxyaddr from 'proxy-addr';
import { Agent, fetch as undiciFetch } from 'undici';

type Fetch = (url: string | URL, options: RequestInit & { dispatcher?: unknown }) => Promise<Response>;

/**
 * IANA special-purpose ranges (RFC 6890 and successors) that are never called unless allowed.
 * (IPv4-mapped IPv6 addresses are checked against the IPv4 ranges by BlockList itself.)
 */
const SPECIAL_USE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) SPECIAL_USE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23],
  ['2001:db8::', 32], ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) SPECIAL_USE.addSubnet(net, prefix, 'ipv6');

export function isSpecialUse(address: string): boolean {
  const family = isIP(address);
  return family === 0 || SPECIAL_USE.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

export function createOutboundFetch(allowedNetworks: string[]): Fetch {
  const allowed = proxyaddr.compile(allowedNetworks);
  const permitted = (address: string) => (allowedNetworks.length > 0 && allowed(address, 0)) || !isSpecialUse(address);
  const agent = new Agent({
    connect: {
      timeout: 2500,
      lookup(hostname, options, callback) {
        dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
          if (error) return callback(error, '', 0);
          const usable = addresses.filter((a) => permitted(a.address));
          if (usable.length === 0) {
            return callback(Object.assign(new Error(`refusing to connect to ${hostname}: its addresses are special-use and not in WARDGATE_OUTBOUND_ALLOWED_NETWORKS`), { code: 'EADDRNOTAVAIL' }), '', 0);
          }
          if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, usable);
          return callback(null, usable[0]!.address, usable[0]!.family);
        });
      },
    },
  });
  return async (url, options) => {
    // A literal address skips DNS, so it is checked here rather than in the lookup.
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !permitted(host)) {
      throw Object.assign(new Error(`refusing to connect to ${host}: special-use and not in WARDGATE_OUTBOUND_ALLOWED_NETWORKS`), { code: 'EADDRNOTAVAIL' });
    }
    // oidc-provider's own SSRF dispatcher is replaced by this Agent, which applies the same
    // special-use rule plus the hospital's allow-list, at connect time.
    const { dispatcher: _replaced, ...rest } = options;
    return undiciFetch(url, { ...(rest as Parameters<typeof undiciFetch>[1]), dispatcher: agent }) as unknown as Response;
  };
}
