/**
 * The IT web console at /admin. It signs in through Wardgate like any relying app (first-party
 * public client `wardgate-admin`, PKCE, acr_values=phr), then reads the person's Wardgate session:
 * signed out → the sign-in; not an it-admin → a page saying so; a session proven only with a
 * password → a page asking for the security key (the sign-in again, which steps the session up).
 * Pages are server-rendered; every change is a same-origin form POST that calls the admin API's
 * operation in process (`adminApi.invoke`), so validation and auditing are the API's own.
 */
import Router from '@koa/router';
import type { Middleware, ParameterizedContext } from 'koa';
import { bodyParser } from '@koa/bodyparser';
import type Provider from 'oidc-provider';
import type { Views } from '../../http/views.ts';
import { fromOwnPage } from '../../http/same-origin.ts';
import { ACR_PHR } from '../../oidc/acr.ts';
import type { ClientRegistry } from '../../oidc/clients.ts';
import { createFirstPartyClient, registerFirstPartyClient } from '../../oidc/first-party-client.ts';
import type { ClientStore } from '../../store/clients.ts';
import type { AdminAuth } from '../api/auth.ts';
import type { AdminApi } from '../api/router.ts';
import { createKit, type Kit } from './kit.ts';
import { dashboardPages } from './pages/dashboard.ts';
import { decisionPages } from './pages/decisions.ts';
import { policyPages } from './pages/policy.ts';
import { shiftPages } from './pages/shifts.ts';
import { simulatorPages } from './pages/simulator.ts';
import { sitePages } from './pages/sites.ts';
import { terminalPages } from './pages/terminals.ts';
import { userPages } from './pages/users.ts';
import { clientIpOf } from '../../http/client-ip.ts';

export const ADMIN_CONSOLE_CLIENT_ID = 'wardgate-admin';
export const CONSOLE_PREFIX = '/admin';

/** The console's client (see registerFirstPartyClient). */
export function registerAdminConsoleClient(clients: ClientRegistry, store: ClientStore, issuer: string): Promise<void> {
  return registerFirstPartyClient(clients, store, { clientId: ADMIN_CONSOLE_CLIENT_ID, clientName: 'Wardgate IT console', redirectUri: `${issuer}${CONSOLE_PREFIX}/callback`, postLogoutRedirectUri: `${issuer}${CONSOLE_PREFIX}/signed-out` });
}

export interface ConsoleDeps {
  provider: Provider;
  auth: AdminAuth;
  adminApi: AdminApi;
  views: Views;
  issuer: string;
  secureCookies: boolean;
  /** Limit of an ordinary form. */
  bodyLimitBytes: number;
  /** Limit of the forms that carry a document: a rota CSV, a policy. */
  adminBodyLimitBytes: number;
}

/** What a page module receives. */
export interface PageDeps {
  router: Router;
  kit: Kit;
  /** Parses an ordinary form (after the gate: only a signed-in admin's body is read). */
  form: Middleware;
  /** Parses a form carrying a document, up to the admin body limit. */
  documentForm: Middleware;
  issuer: string;
}

/** Only paths of the console itself are followed after sign-in. */
const safeNext = (next: unknown) => (typeof next === 'string' && /^\/admin(\/[^/\\]|$|\?)/.test(next) && !next.includes('//') ? next : CONSOLE_PREFIX);

export function createAdminConsole(deps: ConsoleDeps) {
  const router = new Router({ prefix: CONSOLE_PREFIX });
  const issuerOrigin = new URL(deps.issuer).origin;
  const client = createFirstPartyClient({ issuer: deps.issuer, clientId: ADMIN_CONSOLE_CLIENT_ID, callbackPath: `${CONSOLE_PREFIX}/callback`, cookieName: 'wardgate_admin', cookiePath: CONSOLE_PREFIX, secureCookies: deps.secureCookies });
  const kit = createKit({ views: deps.views, adminApi: deps.adminApi, secureCookies: deps.secureCookies, signOut: signOutUrl(deps.issuer) });
  const open = new Set([`${CONSOLE_PREFIX}/login`, `${CONSOLE_PREFIX}/callback`, `${CONSOLE_PREFIX}/signed-out`]);
  const plain = (ctx: ParameterizedContext, view: string, data: Record<string, unknown>, status: number) => {
    ctx.type = 'html';
    ctx.status = status;
    ctx.body = deps.views.render(`admin/${view}`, { signOut: signOutUrl(deps.issuer), ...data });
  };

  // The gate: every console page but sign-in needs an it-admin whose session is at acr phr, and
  // every change must come from a page of Wardgate's own origin.
  router.use(async (ctx, next) => {
    ctx.state.route = 'admin-console';
    ctx.set('Cache-Control', 'no-store');
    if (open.has(ctx.path)) return next();
    const who = await deps.auth.consolePrincipal(ctx);
    if (who.problem === 'signed_out' || !who.user) {
      const target = ctx.method === 'GET' ? ctx.originalUrl : CONSOLE_PREFIX;
      return ctx.redirect(`${CONSOLE_PREFIX}/login?next=${encodeURIComponent(target)}`);
    }
    if (who.problem === 'not_admin') {
      await deps.auth.recordRefusal(ctx, 'not_it_admin', who.user.id);
      return plain(ctx, 'not-admin', { title: 'Not an IT administrator', user: who.user }, 403);
    }
    if (who.problem === 'acr_too_weak' || !who.principal) {
      const target = ctx.method === 'GET' ? ctx.originalUrl : CONSOLE_PREFIX;
      return plain(ctx, 'confirm-key', { title: 'Confirm with your security key', user: who.user, login: `${CONSOLE_PREFIX}/login?next=${encodeURIComponent(target)}` }, 403);
    }
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && !fromOwnPage(ctx, issuerOrigin)) {
      await deps.auth.recordRefusal(ctx, 'cross_origin', who.user.id);
      return plain(ctx, 'refused', { title: 'Change refused', message: 'Changes in the IT console must be made from its own pages.', user: who.user }, 403);
    }
    ctx.state.console = { principal: who.principal, user: who.user, call: { principal: who.principal, ip: clientIpOf(ctx) } };
    await next();
  });

  router.get('/login', async (ctx) => {
    ctx.redirect(await client.start(ctx, { scope: 'openid', acr_values: ACR_PHR }, safeNext(ctx.query.next)));
  });

  router.get('/callback', async (ctx) => {
    const pending = client.pending(ctx);
    if (!pending) return ctx.throw(400, 'The sign-in to the IT console expired. Open /admin again.');
    if (typeof ctx.query.error === 'string') {
      return plain(ctx, 'refused', { title: 'Not signed in', message: 'Wardgate did not confirm who you are, so the IT console cannot open. Try again, or call the service desk.' }, 403);
    }
    await client.finish(ctx, pending).catch((error: unknown) => ctx.throw(400, `The sign-in did not complete: ${(error as Error).message}`));
    ctx.redirect(safeNext(pending.next));
  });

  router.get('/signed-out', (ctx) => plain(ctx, 'signed-out', { title: 'Signed out' }, 200));

  const form = bodyParser({ enableTypes: ['form'], formLimit: `${deps.bodyLimitBytes}b` });
  const documentForm = bodyParser({ enableTypes: ['form'], formLimit: `${deps.adminBodyLimitBytes}b` });
  const pages: PageDeps = { router, kit, form, documentForm, issuer: deps.issuer };
  dashboardPages(pages);
  userPages(pages);
  sitePages(pages);
  terminalPages(pages);
  shiftPages(pages);
  policyPages(pages);
  simulatorPages(pages);
  decisionPages(pages);

  return router;
}

/** Where the console's sign-out link goes: Wardgate's end-session page, then back to the console. */
export function signOutUrl(issuer: string): string {
  return `/session/end?client_id=${ADMIN_CONSOLE_CLIENT_ID}&post_logout_redirect_uri=${encodeURIComponent(`${issuer}${CONSOLE_PREFIX}/signed-out`)}`;
}
