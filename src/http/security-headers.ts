/**
 * Security headers via helmet. The CSP allows scripts, styles and images from Wardgate itself only
 * (no inline script; oidc-provider adds the hash of its own form_post script when it renders one).
 * form-action is not restricted because a sign-in form's redirect chain ends at the relying app's
 * registered redirect_uri, which browsers check against form-action.
 */
import helmet from 'koa-helmet';
import type { Middleware } from 'koa';

export function createSecurityHeaders(options: { https: boolean }): Middleware {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        ...(options.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    // same-origin, not no-referrer: browsers then send a real Origin on our own form POSTs (no-referrer
    // turns it into "null"), while no referrer ever leaves for a relying app or anyone else.
    referrerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  }) as Middleware;
}
