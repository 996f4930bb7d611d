/**
 * The interaction routes: where oidc-provider sends a browser that must sign in or consent.
 * GET shows the page the current prompt needs; POSTs finish the prompt and hand the browser back
 * to oidc-provider, which redirects to the relying app. The interaction cookie is SameSite=Lax and
 * scoped to this uid, so a cross-site POST finds no interaction.
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { z } from 'zod';
import type Provider from 'oidc-provider';
import type { Accounts } from '../../accounts/accounts.ts';
import type { Metrics } from '../../http/metrics.ts';
import type { Views } from '../../http/views.ts';
import type { Logger } from '../../log.ts';
import { PASSWORD_LOGIN } from '../acr.ts';
import { grantConsent } from './consent.ts';

const loginForm = z.object({
  username: z.string().max(256).default(''),
  password: z.string().max(4096).default(''),
});

const INVALID = 'The username or password is not right. Check them and try again.';
const TOO_LONG = 'The username or password is longer than any Wardgate accepts. Check what was typed or pasted.';
const DISABLED = 'This account is disabled. Call the service desk if you need access.';

/** What each scope lets an app see, in the words the consent page uses. */
const SCOPE_TEXT: Record<string, string> = {
  openid: 'Know who you are (your Wardgate user id)',
  profile: 'See your name and username',
  email: 'See your email address',
  roles: 'See your roles in the hospital',
  fhirUser: 'Link you to your practitioner record (FHIR)',
  offline_access: 'Stay connected while you are not using it',
};

export interface InteractionDeps {
  provider: Provider;
  accounts: Accounts;
  views: Views;
  metrics: Metrics;
  log: Logger;
  bodyLimitBytes: number;
}

export function createInteractionRoutes({ provider, accounts, views, metrics, log, bodyLimitBytes }: InteractionDeps) {
  const router = new Router({ prefix: '/interaction/:uid' });
  const body = bodyParser({ enableTypes: ['form'], formLimit: `${bodyLimitBytes}b` });

  router.use(async (ctx, next) => {
    ctx.state.route = 'interaction:other';
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  const clientName = async (clientId: unknown) => {
    const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
    return client?.clientName ?? (typeof clientId === 'string' ? clientId : undefined);
  };

  router.get('/', async (ctx) => {
    ctx.state.route = 'interaction:show';
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const name = await clientName(details.params.client_id);
    ctx.type = 'html';
    if (details.prompt.name === 'login') {
      const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
      ctx.body = views.render('login', { uid: details.uid, clientName: name, username: hint });
      return;
    }
    if (details.prompt.name === 'consent') {
      const scopes = String(details.params.scope ?? '').split(' ').filter(Boolean).map((scope) => SCOPE_TEXT[scope] ?? scope);
      ctx.body = views.render('consent', { uid: details.uid, clientName: name, scopes });
      return;
    }
    ctx.throw(400, `Unsupported sign-in step "${details.prompt.name}".`);
  });

  router.post('/login', body, async (ctx) => {
    ctx.state.route = 'interaction:login';
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'login') ctx.throw(400, 'This sign-in step has already been completed.');
    const name = await clientName(details.params.client_id);
    const parsed = loginForm.safeParse(ctx.request.body ?? {});
    if (!parsed.success) {
      ctx.type = 'html';
      ctx.status = 400;
      ctx.body = views.render('login', { uid: details.uid, clientName: name, error: TOO_LONG });
      return;
    }
    const form = parsed.data;
    const result = await accounts.authenticate(form.username, form.password);
    if (!result.ok) {
      metrics.signIn(result.reason);
      log.info({ event: 'sign_in', result: result.reason, ip: ctx.state.clientIp, client: details.params.client_id }, 'sign-in refused');
      ctx.type = 'html';
      ctx.status = result.reason === 'account_disabled' ? 403 : 200;
      ctx.body = views.render('login', {
        uid: details.uid,
        clientName: name,
        username: form.username,
        error: result.reason === 'account_disabled' ? DISABLED : INVALID,
      });
      return;
    }
    metrics.signIn('success');
    log.info({ event: 'sign_in', result: 'success', sub: result.user.id, ip: ctx.state.clientIp, client: details.params.client_id }, 'signed in');
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { login: { accountId: result.user.id, acr: PASSWORD_LOGIN.acr, amr: [...PASSWORD_LOGIN.amr], remember: false } },
      { mergeWithLastSubmission: false },
    );
  });

  router.post('/confirm', body, async (ctx) => {
    ctx.state.route = 'interaction:confirm';
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'consent' || !details.session?.accountId) ctx.throw(400, 'There is nothing to allow here.');
    const grantId = await grantConsent(provider, details);
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  });

  router.post('/abort', body, async (ctx) => {
    ctx.state.route = 'interaction:abort';
    await provider.interactionDetails(ctx.req, ctx.res);
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { error: 'access_denied', error_description: 'The user cancelled the sign-in.' },
      { mergeWithLastSubmission: false },
    );
  });

  return router;
}
