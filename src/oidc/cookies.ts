/**
 * oidc-provider's cookies. Behind an https issuer the session and interaction cookies carry the
 * `__Host-` prefix: a browser then accepts them only with Secure, Path=/ and no Domain, so neither
 * a sibling host (`*.hospital.example`) nor a page served over plain HTTP can plant or overwrite
 * one. Secure itself comes from the request (oidc-provider marks cookies Secure when the trusted
 * proxy's X-Forwarded-Proto says https; production requires that proxy to be declared).
 *
 * Path=/ takes away the interaction cookie's own scoping to `/interaction/<uid>`: one interaction
 * cookie now serves every interaction page of the browser. Its per-uid protection is kept by
 * `interactions/cookie-binding.ts`, which refuses a request whose URL names another interaction
 * than the cookie. The resume cookie stays scoped to `/auth/<uid>` (oidc-provider sets that path
 * itself), so it cannot be `__Host-`; it gets `__Secure-`, which demands Secure.
 */
import type { Configuration } from 'oidc-provider';

const HTTP_NAMES = { session: '_session', interaction: '_interaction', resume: '_interaction_resume' };
const HTTPS_NAMES = { session: '__Host-session', interaction: '__Host-interaction', resume: '__Secure-interaction_resume' };

export function cookieSettings(issuer: string, keys: NonNullable<Configuration['cookies']>['keys']): NonNullable<Configuration['cookies']> {
  const https = new URL(issuer).protocol === 'https:';
  // oidc-provider spreads these over the interaction cookie's own path, so Path=/ reaches it too.
  const options = { httpOnly: true, sameSite: 'lax' as const, ...(https ? { path: '/' } : {}) };
  return { keys, names: https ? HTTPS_NAMES : HTTP_NAMES, long: options, short: options };
}
