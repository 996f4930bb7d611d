/**
 * The interaction routes: where oidc-provider sends a browser that must sign in or consent.
 *
 * Sign-in is judged by the risk engine twice. Before the password is checked, context that needs
 * no password to judge (a blocked country, an automation client) is refused with a page that says
 * nothing about the password. After a correct password, the whole context decides: allow finishes
 * the sign-in (acr urn:wardgate:acr:1fa, amr pwd, the policy's session lifetime); step_up and deny
 * never issue a code: the person sees why in plain words with a reference for the service desk,
 * and the relying app receives access_denied. The interaction cookie is SameSite=Lax and scoped
 * to this uid, so a cross-site POST finds no interaction.
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import type Provider from 'oidc-provider';
import type { Accounts } from '../../accounts/accounts.ts';
import { usernameKey } from '../../accounts/usernames.ts';
import type { Metrics } from '../../http/metrics.ts';
import type { Views } from '../../http/views.ts';
import type { Logger } from '../../log.ts';
import type { Decision, RiskContext } from '../../risk/types.ts';
import type { Assessor } from '../../signin/assessor.ts';
import { ACCEPT_CH, requestedAcrOf, riskContextFrom } from '../../signin/context.ts';
import type { SignInHistory } from '../../signin/history.ts';
import type { Throttle } from '../../signin/throttle.ts';
import type { Zone } from '../../store/failed-attempts.ts';
import { PASSWORD_LOGIN } from '../acr.ts';
import { grantConsent } from './consent.ts';
import { ACR_UPGRADE } from './policy.ts';

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

export interface RiskDeps {
  assessor: Assessor;
  throttle: Throttle;
  history: SignInHistory;
  zoneOf(ip: string): Promise<Zone>;
  touchTerminal(id: string, at: number): Promise<void>;
  now(): Date;
}

export interface InteractionDeps {
  provider: Provider;
  accounts: Accounts;
  views: Views;
  metrics: Metrics;
  log: Logger;
  bodyLimitBytes: number;
  risk: RiskDeps;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export function createInteractionRoutes({ provider, accounts, views, metrics, log, bodyLimitBytes, risk }: InteractionDeps) {
  const router = new Router({ prefix: '/interaction/:uid' });
  const body = bodyParser({ enableTypes: ['form'], formLimit: `${bodyLimitBytes}b` });

  router.use(async (ctx, next) => {
    ctx.state.route = 'interaction:other';
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  const clientOf = async (details: Details) => {
    const clientId = String(details.params.client_id);
    const client = await provider.Client.find(clientId);
    const sensitivity = (client as unknown as { sensitivity?: string } | undefined)?.sensitivity === 'high' ? 'high' : 'standard';
    return { id: clientId, name: client?.clientName ?? clientId, sensitivity } as const;
  };

  const contextFor = async (ctx: ParameterizedContext, details: Details, user?: RiskContext['user']) => {
    const client = await clientOf(details);
    const context = riskContextFrom(ctx, { client: { id: client.id, sensitivity: client.sensitivity }, requestedAcr: requestedAcrOf(details.params), user, at: risk.now() });
    return { context, clientName: client.name };
  };

  /** Ends the interaction with access_denied and shows why; the link returns to the relying app. */
  const refuse = async (ctx: ParameterizedContext, decision: Decision, clientName: string) => {
    const blocked = decision.outcome === 'deny';
    const returnUrl = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { error: 'access_denied', error_description: blocked ? `Sign-in blocked (reference ${decision.decisionId})` : `Stronger proof needed (reference ${decision.decisionId})` },
      { mergeWithLastSubmission: false },
    );
    ctx.type = 'html';
    ctx.status = blocked ? 403 : 200;
    ctx.body = views.render(blocked ? 'blocked' : 'step-up', { clientName, reference: decision.decisionId, returnUrl });
  };

  /** Judges what needs no password; true when the sign-in was refused (and the page is set). */
  const refusedBeforePassword = async (ctx: ParameterizedContext, details: Details) => {
    const { context, clientName } = await contextFor(ctx, details);
    const decision = await risk.assessor.evaluate(context, 'pre_password');
    if (decision.outcome !== 'deny') return false;
    await risk.assessor.record(decision, context, 'pre_password');
    metrics.signIn('blocked');
    await refuse(ctx, decision, clientName);
    return true;
  };

  const renderLogin = (ctx: ParameterizedContext, data: Record<string, unknown>, status = 200) => {
    ctx.type = 'html';
    ctx.status = status;
    ctx.set('Accept-CH', ACCEPT_CH);
    ctx.body = views.render('login', data);
  };

  router.get('/', async (ctx) => {
    ctx.state.route = 'interaction:show';
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const client = await clientOf(details);
    if (details.prompt.name === 'login') {
      if (await refusedBeforePassword(ctx, details)) return;
      const accountId = details.session?.accountId;
      if (accountId && details.prompt.reasons.includes(ACR_UPGRADE)) {
        // The relying app asked for more than this session has: re-evaluate it, no password asked.
        const user = await accounts.findById(accountId);
        if (user && !user.disabled) {
          const { context, clientName } = await contextFor(ctx, details, { id: user.id, username: user.username });
          const decision = await risk.assessor.assess(context, 'session');
          await refuse(ctx, decision.outcome === 'allow' ? { ...decision, outcome: 'step_up' } : decision, clientName);
          return;
        }
      }
      const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
      renderLogin(ctx, { uid: details.uid, clientName: client.name, username: hint });
      return;
    }
    if (details.prompt.name === 'consent') {
      const scopes = String(details.params.scope ?? '').split(' ').filter(Boolean).map((scope) => SCOPE_TEXT[scope] ?? scope);
      ctx.type = 'html';
      ctx.body = views.render('consent', { uid: details.uid, clientName: client.name, scopes });
      return;
    }
    ctx.throw(400, `Unsupported sign-in step "${details.prompt.name}".`);
  });

  router.post('/login', body, async (ctx) => {
    ctx.state.route = 'interaction:login';
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'login') ctx.throw(400, 'This sign-in step has already been completed.');
    const client = await clientOf(details);
    const parsed = loginForm.safeParse(ctx.request.body ?? {});
    if (!parsed.success) return renderLogin(ctx, { uid: details.uid, clientName: client.name, error: TOO_LONG }, 400);
    const form = parsed.data;

    if (await refusedBeforePassword(ctx, details)) return;

    const ip = String(ctx.state.clientIp ?? ctx.ip);
    const key = usernameKey(form.username);
    const zone = await risk.zoneOf(ip);
    const retryAfter = await risk.throttle.retryAfter({ usernameKey: key, ip, zone, now: risk.now().getTime() });
    if (retryAfter > 0) {
      metrics.signIn('rate_limited');
      ctx.status = 429;
      ctx.set('Retry-After', String(retryAfter));
      ctx.type = 'html';
      ctx.body = views.render('throttled', { seconds: retryAfter });
      return;
    }

    const result = await accounts.authenticate(form.username, form.password);
    if (!result.ok) {
      metrics.signIn(result.reason);
      if (result.reason === 'invalid_credentials') {
        const known = await accounts.findByUsername(form.username);
        await risk.throttle.recordFailure({ usernameKey: key, userId: known?.id ?? null, ip, zone, now: risk.now().getTime() });
      }
      log.info({ event: 'sign_in', result: result.reason, ip, client: client.id }, 'sign-in refused');
      return renderLogin(ctx, { uid: details.uid, clientName: client.name, username: form.username, error: result.reason === 'account_disabled' ? DISABLED : INVALID }, result.reason === 'account_disabled' ? 403 : 200);
    }

    const user = { id: result.user.id, username: result.user.username };
    const { context } = await contextFor(ctx, details, user);
    const decision = await risk.assessor.assess(context, 'password');
    const terminal = decision.findings.find((f) => f.code === 'known_terminal')?.details.terminalId;
    if (typeof terminal === 'string') await risk.touchTerminal(terminal, context.at.getTime());
    if (decision.outcome !== 'allow') {
      await risk.history.record({ ...context, user }, decision.outcome);
      metrics.signIn(decision.outcome === 'deny' ? 'blocked' : 'step_up');
      await refuse(ctx, decision, client.name);
      return;
    }
    await risk.history.record({ ...context, user }, 'success');
    metrics.signIn('success');
    log.info({ event: 'sign_in', result: 'success', sub: user.id, ip, client: client.id, decisionId: decision.decisionId }, 'signed in');
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      {
        login: {
          accountId: user.id,
          acr: PASSWORD_LOGIN.acr,
          amr: [...PASSWORD_LOGIN.amr],
          remember: false,
          // Read by ttl.Session (oidc/provider.ts): the decision's session lifetime.
          wardgateSessionLifetime: decision.sessionLifetime,
          wardgateDecisionId: decision.decisionId,
        },
      },
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
