/**
 * Whether a request comes from a page of the issuer's origin. Browsers send Sec-Fetch-Site, which
 * must then be `same-origin`. Without it, only an Origin naming another site refuses: `Origin: null`
 * comes from privacy settings and sandboxed pages as well as from attackers, and Sec-Fetch-Site
 * (sent by every current browser) is the stronger check. Used for changes made with a cookie: the
 * terminal enrollment confirm, the admin API through a session, and the IT console's forms.
 */
import type { ParameterizedContext } from 'koa';

function sameOrigin(headers: { origin?: string; fetchSite?: string }, issuerOrigin: string): boolean {
  if (headers.fetchSite) return headers.fetchSite === 'same-origin';
  return !headers.origin || headers.origin === 'null' || headers.origin === issuerOrigin;
}

/** `sameOrigin` for a Koa request. */
export function fromOwnPage(ctx: ParameterizedContext, issuerOrigin: string): boolean {
  return sameOrigin({ origin: ctx.get('origin') || undefined, fetchSite: ctx.get('sec-fetch-site') || undefined }, issuerOrigin);
}
