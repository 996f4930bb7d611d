/**
 * Enrollment through a one-time link from IT (`wardgate users enroll-link`): the link's holder
 * registers a security key for the named user, once, within 24 hours. The registration challenge
 * is bound to the link, so it cannot be used from another page.
 */
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { bodyParser } from '@koa/bodyparser';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Accounts } from '../accounts/accounts.ts';
import { isAppError } from '../errors.ts';
import type { Views } from '../http/views.ts';
import { readCeremonyForm, sameOriginJson } from './requests.ts';
import type { WebAuthn } from './service.ts';
import { hashToken } from '../crypto/tokens.ts';

const PATH = '/enroll/:token';
const INVALID = 'This registration link is not valid: it may have expired, been used already, or been copied incompletely. Ask the service desk for a new one.';

export function createEnrollmentLinkRoutes(deps: { webauthn: WebAuthn; accounts: Accounts; views: Views; bodyLimitBytes: number }) {
  const router = new Router();
  const form = bodyParser({ enableTypes: ['form'], formLimit: `${deps.bodyLimitBytes}b` });
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: `${deps.bodyLimitBytes}b` });

  router.use(PATH, async (ctx, next) => {
    ctx.state.route = 'enroll_link';
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } finally {
      // The token is a secret: logs see the route's pattern, never the path, whatever happened.
      ctx.path = '/enroll/:token';
    }
  });

  const userFor = async (token: string) => {
    const link = await deps.webauthn.liveLink(token);
    const user = link && (await deps.accounts.findById(link.user_id));
    return user && !user.disabled ? user : undefined;
  };

  const invalid = (ctx: ParameterizedContext) => {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = deps.views.render('error', { title: 'Registration link not valid', message: INVALID });
  };

  const page = (ctx: ParameterizedContext, token: string, user: { displayName: string }, error?: string) => {
    ctx.type = 'html';
    ctx.status = error ? 400 : 200;
    ctx.body = deps.views.render('enroll-link', { displayName: user.displayName, action: `/enroll/${token}`, optionsUrl: `/enroll/${token}/options`, error });
  };

  router.get(PATH, async (ctx) => {
    const user = await userFor(ctx.params.token!);
    if (!user) return invalid(ctx);
    page(ctx, ctx.params.token!, user);
  });

  router.post(`${PATH}/options`, sameOriginJson, json, async (ctx) => {
    const user = await userFor(ctx.params.token!);
    if (!user) return ctx.throw(400, INVALID);
    ctx.body = await deps.webauthn.registrationOptions({ id: user.id, username: user.username, displayName: user.displayName }, 'enroll_link', `link:${hashToken(ctx.params.token!)}`);
  });

  router.post(PATH, form, async (ctx) => {
    const token = ctx.params.token!;
    const user = await userFor(token);
    if (!user) return invalid(ctx);
    try {
      const posted = readCeremonyForm<RegistrationResponseJSON>(ctx.request.body);
      // The link is claimed once the key has verified: a failed attempt (a challenge that expired
      // while the key was found, no user verification) leaves it usable, and of two tabs only one
      // keeps its key.
      await deps.webauthn.verifyRegistration({ response: posted.response, ceremony: 'enroll_link', binding: `link:${hashToken(token)}`, userId: user.id, nickname: posted.nickname, claim: () => deps.webauthn.useLink(token) });
    } catch (error) {
      if (!isAppError(error, 'webauthn_failed')) throw error;
      if (error.details?.reason === 'link_used') return invalid(ctx);
      return page(ctx, token, user, error.message);
    }
    ctx.type = 'html';
    ctx.body = deps.views.render('enroll-done', { displayName: user.displayName });
  });

  return router;
}
