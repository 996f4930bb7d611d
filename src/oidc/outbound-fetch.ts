/**
 * Outgoing requests from oidc-provider (back-channel logout). Every connection goes through one
 * undici Agent whose DNS lookup is checked and pinned: an address is used only if it lies in
 * WARDGATE_OUTBOUND_ALLOWED_NETWORKS or is not special-use (private, loopback, link-local, …).
 * The check happens on the very address the socket connects to, so DNS rebinding cannot slip a
 * private address past it. Hospital apps on private networks are reached only when IT lists them.
 */
import dns from 'node:dns';
import { isIP } from 'node:net';
import proxyaddr from 'proxy-addr';
import { Agent, fetch as undiciFetch } from 'undici';
import { isSpecialUse as isSpecialUseIp } from '../risk/ip.ts';

type Fetch = (url: string | URL, options: RequestInit & { dispatcher?: unknown }) => Promise<Response>;

/** Special-use addresses (risk/ip.ts has the one table); anything that is not an address counts as one. */
export function isSpecialUse(address: string): boolean {
  return isIP(address) === 0 || isSpecialUseIp(address);
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
