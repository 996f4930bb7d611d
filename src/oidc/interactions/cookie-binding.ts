/**
 * The interaction cookie names the one interaction this browser is in; a page under
 * `/interaction/<uid>` acts only when that uid is the cookie's. With an http issuer the cookie is
 * scoped to `/interaction/<uid>` and a mismatch cannot arrive; with an https issuer it is a
 * `__Host-` cookie at Path=/ (oidc/cookies.ts), so this check is what keeps a form of an older
 * sign-in (another tab, or a page a cross-site attacker started in this browser) from acting on the
 * newest interaction: such a request is refused as an expired sign-in, and nothing is done.
 */
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { AppError } from '../../errors.ts';
import { SIGN_IN_EXPIRED } from '../../http/messages.ts';

const INTERACTION_PATH = /^\/interaction\/([^/]+)(?:\/|$)/;

export function createInteractionCookieBinding(provider: Provider): Middleware {
  const name = provider.cookieName('interaction');
  return async (ctx, next) => {
    const uid = INTERACTION_PATH.exec(ctx.path)?.[1];
    const cookie = uid === undefined ? undefined : ctx.cookies.get(name);
    if (cookie && cookie !== uid) throw new AppError('interaction_expired', SIGN_IN_EXPIRED);
    await next();
  };
}
