/**
 * Outgoing requests from oidc-provider (back-channel logout). oidc-provider refuses to connect to
 * special-use addresses (private, loopback…) to prevent server-side request forgery. Hospital apps
 * usually live on private networks, so IT may list the networks Wardgate may call in
 * WARDGATE_OUTBOUND_ALLOWED_NETWORKS; a URL whose every address lies in them is fetched without the
 * special-use check. Everything else keeps oidc-provider's protection. Only IT registers clients.
 */
import dns from 'node:dns/promises';
import { isIP } from 'node:net';
import proxyaddr from 'proxy-addr';

type Fetch = (url: string | URL, options: RequestInit & { dispatcher?: unknown }) => Promise<Response>;

export function createOutboundFetch(allowedNetworks: string[]): Fetch {
  const allowed = proxyaddr.compile(allowedNetworks);
  const inAllowed = async (hostname: string): Promise<boolean> => {
    if (allowedNetworks.length === 0) return false;
    const host = hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [host] : (await dns.lookup(host, { all: true })).map((a) => a.address);
    return addresses.length > 0 && addresses.every((address) => allowed(address, 0));
  };
  return async (url, options) => {
    if (await inAllowed(new URL(url).hostname)) {
      const { dispatcher: _protected, ...rest } = options;
      return globalThis.fetch(url, rest);
    }
    return globalThis.fetch(url, options as RequestInit);
  };
}
