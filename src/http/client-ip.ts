/**
 * Whose X-Forwarded-For is believed. The client address is computed once at the edge with
 * proxy-addr against WARDGATE_TRUST_PROXY (CIDRs or "loopback"; nobody by default), and the
 * forwarding headers are rewritten so that everything downstream (Koa, oidc-provider) sees only
 * what a trusted proxy said: an untrusted peer's X-Forwarded-* headers are dropped, and
 * X-Forwarded-Host is dropped from everyone.
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Middleware, ParameterizedContext } from 'koa';

const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded'];

export function createClientIp(trustProxy: string[]): Middleware {
  const trust = proxyaddr.compile(trustProxy);
  return async (ctx, next) => {
    const req: IncomingMessage = ctx.req;
    const peer = req.socket.remoteAddress ?? '';
    const peerTrusted = trustProxy.length > 0 && trust(peer, 0);
    const clientIp = proxyaddr(req, trust);
    // The host is the issuer's; a forwarded host is never believed (it would rewrite discovery).
    delete req.headers['x-forwarded-host'];
    delete req.headers['forwarded'];
    if (peerTrusted) {
      req.headers['x-forwarded-for'] = clientIp;
    } else {
      for (const header of FORWARDED) delete req.headers[header];
    }
    ctx.state.clientIp = clientIp;
    await next();
  };
}

/** The client address this middleware decided (Koa's own before it ran, as in tests of a bare route). */
export function clientIpOf(ctx: Pick<ParameterizedContext, 'state' | 'ip'>): string {
  return String(ctx.state.clientIp ?? ctx.ip);
}
