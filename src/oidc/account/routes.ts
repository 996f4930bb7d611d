/**
 * Self-service at /account: a signed-in person lists, renames and removes their security keys.
 * The page signs in through Wardgate like any relying app (first-party client `wardgate-account`),
 * then reads the person's Wardgate session. Removing a key needs a fresh phishing-resistant check
 * (acr phr within the last five minutes), and the last key can only be removed by IT.
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { ParameterizedContext } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { Accounts } from '../../accounts/accounts.ts';
import { isAppError } from '../../errors.ts';
import type { Views } from '../../http/views.ts';
import type { WebAuthn } from '../../webauthn/service.ts';
import { ACR_PHR } from '../acr.ts';
import type { ClientRegistry } from '../clients.ts';
import { createFirstPartyClient, registerFirstPartyClient } from '../first-party-client.ts';
import type { ClientStore } from '../../store/clients.ts';

export const ACCOUNT_CLIENT_ID = 'wardgate-account';
const FRESH_SECONDS = 300;

/** The account page's client (see registerFirstPartyClient). */
export function registerAccountClient(clients: ClientRegistry, store: ClientStore, issuer: string): Promise<void> {
  return registerFirstPartyClient(clients, store, { clientId: ACCOUNT_CLIENT_ID, clientName: 'Your Wardgate account', redirectUri: `${issuer}/account/callback`, postLogoutRedirectUri: `${issuer}/account` });
}

export function createAccountRoutes(deps: { provider: Provider; accounts: Accounts; webauthn: WebAuthn; views: Views; issuer: string; secureCookies: boolean; bodyLimitBytes: number }) {
  const router = new Router({ prefix: '/account' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: `${deps.bodyLimitBytes}b` });
  const client = createFirstPartyClient({ issuer: deps.issuer, clientId: ACCOUNT_CLIENT_ID, callbackPath: '/account/callback', cookieName: 'wardgate_account', cookiePath: '/account', secureCookies: deps.secureCookies });

  router.use(async (ctx, next) => {
    ctx.state.route = 'account';
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  /** The person behind this browser's Wardgate session, and how fresh their phr proof is. */
  const signedIn = async (ctx: ParameterizedContext) => {
    const session = await deps.provider.Session.get(ctx as never);
    const accountId = session.accountId;
    const user = accountId ? await deps.accounts.findById(accountId) : undefined;
    if (!user || user.disabled) return undefined;
    const fresh = session.acr === ACR_PHR && Date.now() / 1000 - Number(session.loginTs ?? 0) < FRESH_SECONDS;
    return { user, fresh };
  };

  const sameOrigin = (ctx: ParameterizedContext) => {
    const site = ctx.get('sec-fetch-site');
    if (site && site !== 'same-origin') ctx.throw(403, 'Changes to your account must come from the account page.');
  };

  const render = async (ctx: ParameterizedContext, who: NonNullable<Awaited<ReturnType<typeof signedIn>>>, message?: { error?: string; notice?: string }, status = 200) => {
    ctx.type = 'html';
    ctx.status = status;
    ctx.body = deps.views.render('account', { user: who.user, fresh: who.fresh, credentials: await deps.webauthn.credentialsOf(who.user.id), ...message });
  };

  router.get('/', async (ctx) => {
    const who = await signedIn(ctx);
    if (!who) return ctx.redirect('/account/login');
    await render(ctx, who);
  });

  router.get('/login', async (ctx) => {
    // ?fresh=1 asks Wardgate for a phishing-resistant check now: acr_values=phr and max_age.
    const fresh = ctx.query.fresh === '1';
    ctx.redirect(await client.start(ctx, { scope: 'openid', ...(fresh ? { acr_values: ACR_PHR, max_age: String(FRESH_SECONDS) } : {}) }));
  });

  router.get('/callback', async (ctx) => {
    const pending = client.pending(ctx);
    if (!pending) return ctx.throw(400, 'The sign-in to your account page expired. Open /account again.');
    if (typeof ctx.query.error === 'string') {
      ctx.type = 'html';
      ctx.status = 403;
      ctx.body = deps.views.render('error', { title: 'Not signed in', message: 'Wardgate did not confirm who you are, so your account page cannot open. Try again, or call the service desk.' });
      return;
    }
    await client.finish(ctx, pending).catch((error: unknown) => ctx.throw(400, `The sign-in did not complete: ${(error as Error).message}`));
    ctx.redirect('/account');
  });

  const nickname = z.object({ nickname: z.string().trim().min(1, { message: 'nickname: must not be empty' }).max(100, { message: 'nickname: must be at most 100 characters' }) });

  router.post('/credentials/:id/rename', form, async (ctx) => {
    sameOrigin(ctx);
    const who = await signedIn(ctx);
    if (!who) return ctx.redirect('/account/login');
    const parsed = nickname.safeParse(ctx.request.body ?? {});
    if (!parsed.success) return render(ctx, who, { error: parsed.error.issues[0]!.message }, 400);
    try {
      await deps.webauthn.rename(who.user.id, ctx.params.id!, parsed.data.nickname);
    } catch (error) {
      if (!isAppError(error)) throw error;
      return render(ctx, who, { error: error.message }, error.status);
    }
    await render(ctx, who, { notice: `Renamed to "${parsed.data.nickname}".` });
  });

  router.post('/credentials/:id/remove', form, async (ctx) => {
    sameOrigin(ctx);
    const who = await signedIn(ctx);
    if (!who) return ctx.redirect('/account/login');
    if (!who.fresh) return render(ctx, who, { error: 'Removing a key needs a fresh check with one of your keys. Use "Confirm with my security key" first.' }, 403);
    try {
      await deps.webauthn.remove(who.user.id, ctx.params.id!);
    } catch (error) {
      if (!isAppError(error)) throw error;
      return render(ctx, who, { error: error.message }, error.status);
    }
    await render(ctx, who, { notice: 'The key was removed.' });
  });

  return router;
}
