/**
 * The interaction routes: where oidc-provider sends a browser that must sign in or consent.
 *
 * Sign-in is judged by the risk engine twice. Before the password is checked, context that needs
 * no password to judge (a blocked country, an automation client) is refused with a page that says
 * nothing about the password. After a correct password, the whole context decides: allow finishes
 * the sign-in (acr urn:wardgate:acr:1fa, amr pwd, the policy's session lifetime), first offering to
 * register a security key after a trusted sign-in; step_up continues to a WebAuthn assertion and
 * only a verified one finishes (acr phr); deny never issues a code. Whoever is refused sees why in
 * plain words with a reference for the service desk, and the relying app receives access_denied.
 * The interaction cookie is SameSite=Lax, so a cross-site POST finds no interaction; it is scoped
 * to this uid by its path, or behind an https issuer (__Host-, Path=/) by cookie-binding.ts.
 * Every password or key check is reserved with the throttle first and audited once
 * (signin/attempt-keeper.ts).
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
import type { AuditLog } from '../../audit/log.ts';
import type { Assessor, AttemptNote } from '../../signin/assessor.ts';
import type { AttemptKeeper } from '../../signin/attempt-keeper.ts';
import { attemptFailed, steppedUp } from '../../signin/attempts.ts';
import { ACCEPT_CH, requestedAcrOf, riskContextFrom } from '../../signin/context.ts';
import type { SignInHistory } from '../../signin/history.ts';
import type { Throttle } from '../../signin/throttle.ts';
import type { Zone } from '../../store/failed-attempts.ts';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { isAppError } from '../../errors.ts';
import { ACR_PHR, PASSWORD_LOGIN } from '../acr.ts';
import type { VersionedPolicy } from '../../risk/policy.ts';
import type { WebAuthnStore } from '../../store/webauthn.ts';
import type { WebAuthn } from '../../webauthn/service.ts';
import { readCeremonyForm, sameOriginJson } from '../../webauthn/requests.ts';
import { grantConsent } from './consent.ts';
import { offlineAccessAllowed } from '../clients.ts';
import { ACR_UPGRADE } from './policy.ts';
import { clientIpOf } from '../../http/client-ip.ts';

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
  webauthn: WebAuthn;
  states: WebAuthnStore;
  activePolicy(): Promise<VersionedPolicy>;
  throttle: Throttle;
  /** Reserves, fails and succeeds each password or key check with its audit entry (signin/attempt-keeper.ts). */
  attempts: AttemptKeeper;
  audit: AuditLog;
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

  type Client = Awaited<ReturnType<typeof clientOf>>;

  const contextFor = (ctx: ParameterizedContext, details: Details, client: Client, user?: RiskContext['user']) =>
    riskContextFrom(ctx, { client: { id: client.id, sensitivity: client.sensitivity }, requestedAcr: requestedAcrOf(details.params), user, at: risk.now() });

  // A waiting step-up or enrollment lives five minutes, and any new sign-in in the interaction ends it.
  const STATE_TTL_MS = 5 * 60_000;

  /** The URL that ends the interaction with access_denied (the relying app learns no more). */
  const deniedUrl = (ctx: ParameterizedContext, decision: Decision) =>
    provider.interactionResult(
      ctx.req,
      ctx.res,
      { error: 'access_denied', error_description: decision.outcome === 'deny' ? `Sign-in blocked (reference ${decision.decisionId})` : `Stronger proof needed (reference ${decision.decisionId})` },
      { mergeWithLastSubmission: false },
    );

  /** Renders the step-up page: the WebAuthn button when the person has a key (`canStepUp`), else how to get one. */
  const stepUpPage = async (ctx: ParameterizedContext, uid: string, canStepUp: boolean, data: { clientName: string; reference: string; username?: string; error?: string }, status = 200) => {
    const returnUrl = await deniedUrl(ctx, { decisionId: data.reference, outcome: 'step_up' } as Decision);
    ctx.type = 'html';
    ctx.status = status;
    ctx.body = canStepUp
      ? views.render('step-up', { ...data, returnUrl, action: `/interaction/${uid}/webauthn/step-up`, optionsUrl: `/interaction/${uid}/webauthn/step-up/options` })
      : views.render('enroll-needed', { ...data, returnUrl });
  };

  /**
   * A decision other than allow: deny shows the blocked page; step_up continues to WebAuthn when
   * the person has a key (remembering that the password was right), else explains how to get one.
   * Either way no code is issued here, and the relying app receives access_denied if they leave.
   */
  const refuse = async (ctx: ParameterizedContext, decision: Decision, clientName: string, stepUp?: { uid: string; userId: string; passwordAt: number | null; username?: string }) => {
    if (decision.outcome === 'step_up' && stepUp && (await risk.webauthn.hasCredential(stepUp.userId))) {
      // Replaces whatever this interaction had waiting.
      await risk.states.putState({ interaction_uid: stepUp.uid, user_id: stepUp.userId, decision_id: decision.decisionId, stage: 'step_up', password_at: stepUp.passwordAt, expires_at: risk.now().getTime() + STATE_TTL_MS });
      return stepUpPage(ctx, stepUp.uid, true, { clientName, reference: decision.decisionId, username: stepUp.username });
    }
    await risk.states.deleteState(ctx.params.uid as string);
    if (decision.outcome === 'step_up') return stepUpPage(ctx, stepUp?.uid ?? '', false, { clientName, reference: decision.decisionId });
    const returnUrl = await deniedUrl(ctx, decision);
    ctx.type = 'html';
    ctx.status = 403;
    ctx.body = views.render('blocked', { clientName, reference: decision.decisionId, returnUrl });
  };

  /** Finishes the sign-in; oidc-provider then redirects to the relying app with a code. */
  const finishLogin = async (ctx: ParameterizedContext, login: { userId: string; acr: string; amr: string[]; lifetime: number; decisionId: string }) => {
    await risk.states.deleteState(ctx.params.uid as string);
    const ts = Math.floor(risk.now().getTime() / 1000);
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      {
        login: {
          accountId: login.userId,
          acr: login.acr,
          amr: login.amr,
          remember: false,
          ts,
          // Read by ttl.Session (oidc/provider.ts): when the session the decision allows ends. An
          // absolute time, so re-applying this result (consent merges it) never extends it.
          wardgateSessionExpiresAt: ts + Math.max(60, login.lifetime),
          wardgateDecisionId: login.decisionId,
        },
      },
      { mergeWithLastSubmission: false },
    );
  };

  /** The session lifetime a recorded decision allows (the policy's default when it is gone). */
  const lifetimeOf = async (decisionId: string) =>
    (await risk.assessor.decision(decisionId))?.sessionLifetime || Math.round((await risk.activePolicy()).document.sessionLifetimes.defaultHours * 3600);

  const TRUSTED = ['known_terminal', 'on_premises', 'on_shift'];

  /**
   * Allowed: finish, unless the person has no security key yet and sits in a trusted context, where
   * registering one is offered (and required once the policy's grace period has passed).
   */
  const allow = async (ctx: ParameterizedContext, uid: string, user: { id: string; createdAt: number }, decision: Decision) => {
    const trusted = TRUSTED.every((code) => decision.findings.some((f) => f.code === code));
    if (trusted && !(await risk.webauthn.hasCredential(user.id))) {
      await risk.states.putState({ interaction_uid: uid, user_id: user.id, decision_id: decision.decisionId, stage: 'enroll', password_at: risk.now().getTime(), expires_at: risk.now().getTime() + STATE_TTL_MS });
      return enrollOffer(ctx, uid, user);
    }
    await finishLogin(ctx, { userId: user.id, acr: PASSWORD_LOGIN.acr, amr: [...PASSWORD_LOGIN.amr], lifetime: decision.sessionLifetime, decisionId: decision.decisionId });
  };

  const enrollmentRequired = async (createdAt: number) => risk.now().getTime() - createdAt > (await risk.activePolicy()).document.enrollment.graceDays * 86_400_000;

  const enrollOffer = async (ctx: ParameterizedContext, uid: string, user: { createdAt: number }, error?: string) => {
    ctx.type = 'html';
    ctx.status = error ? 400 : 200;
    ctx.body = views.render('enroll-offer', {
      required: await enrollmentRequired(user.createdAt),
      action: `/interaction/${uid}/webauthn/register`,
      optionsUrl: `/interaction/${uid}/webauthn/register/options`,
      skipAction: `/interaction/${uid}/enroll/skip`,
      error,
    });
  };

  /** Judges what needs no password; true when the sign-in was refused (and the page is set). */
  const refusedBeforePassword = async (ctx: ParameterizedContext, details: Details, client: Client, note: AttemptNote = {}) => {
    const context = contextFor(ctx, details, client);
    const decision = await risk.assessor.evaluate(context, 'pre_password');
    if (decision.outcome !== 'deny') return false;
    await risk.assessor.record(decision, context, 'pre_password', note);
    metrics.signIn('blocked');
    await refuse(ctx, decision, client.name);
    return true;
  };

  const renderLogin = (ctx: ParameterizedContext, data: Record<string, unknown>, status = 200) => {
    ctx.type = 'html';
    ctx.status = status;
    ctx.set('Accept-CH', ACCEPT_CH);
    ctx.body = views.render('login', data);
  };

  /** 429 with Retry-After: the throttled page, or JSON for the page script's options request. */
  const tooManyAttempts = (ctx: ParameterizedContext, wait: number, asJson = false) => {
    metrics.signIn('rate_limited');
    ctx.status = 429;
    ctx.set('Retry-After', String(wait));
    if (asJson) ctx.body = { error: 'rate_limited', error_description: `Too many attempts. Wait ${wait} seconds.` };
    else {
      ctx.type = 'html';
      ctx.body = views.render('throttled', { seconds: wait });
    }
  };

  /** Where an attempt comes from: its address and zone, and the time it is judged at. */
  const originOf = async (ctx: ParameterizedContext) => {
    const ip = clientIpOf(ctx);
    return { ip, zone: await risk.zoneOf(ip), now: risk.now().getTime() };
  };

  router.get('/', async (ctx) => {
    ctx.state.route = 'interaction:show';
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const client = await clientOf(details);
    if (details.prompt.name === 'login') {
      if (await refusedBeforePassword(ctx, details, client)) return;
      const accountId = details.session?.accountId;
      if (accountId && details.prompt.reasons.includes(ACR_UPGRADE)) {
        // The relying app asked for more than this session has: re-evaluate it, no password asked.
        const user = await accounts.findById(accountId);
        if (user && !user.disabled) {
          const context = contextFor(ctx, details, client, { id: user.id, username: user.username });
          const decision = await risk.assessor.assess(context, 'session');
          // phr cannot come from a password: even an allow continues to the security key.
          await refuse(ctx, decision.outcome === 'allow' ? { ...decision, outcome: 'step_up' } : decision, client.name, { uid: details.uid, userId: user.id, passwordAt: null, username: user.username });
          return;
        }
      }
      const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
      renderLogin(ctx, { uid: details.uid, clientName: client.name, username: hint });
      return;
    }
    if (details.prompt.name === 'consent') {
      // offline_access is refused at consent to an app IT did not allow it (consent.ts): not offered either.
      const allowed = offlineAccessAllowed(await provider.Client.find(client.id));
      const scopes = String(details.params.scope ?? '').split(' ').filter((scope) => scope && (scope !== 'offline_access' || allowed)).map((scope) => SCOPE_TEXT[scope] ?? scope);
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
    // A new attempt ends whatever an earlier one left waiting (a step-up, an offer to register a key).
    await risk.states.deleteState(details.uid);
    const client = await clientOf(details);
    const origin = await originOf(ctx);
    const parsed = loginForm.safeParse(ctx.request.body ?? {});
    if (!parsed.success) {
      const typed = (ctx.request.body as Record<string, unknown> | undefined)?.username;
      await risk.audit.append(
        attemptFailed({ method: 'password', reason: 'invalid_input', userId: null, typedUsername: typeof typed === 'string' ? typed : null, ip: origin.ip, clientId: client.id, at: origin.now }),
      );
      return renderLogin(ctx, { uid: details.uid, clientName: client.name, error: TOO_LONG }, 400);
    }
    const form = parsed.data;

    if (await refusedBeforePassword(ctx, details, client, { typedUsername: form.username })) return;

    const key = usernameKey(form.username);
    const held = await risk.attempts.begin({ kind: 'password', usernameKey: key, userId: null, ...origin, method: 'password', typedUsername: form.username, clientId: client.id });
    if ('retryAfter' in held) return tooManyAttempts(ctx, held.retryAfter);
    try {
      const result = await accounts.authenticate(form.username, form.password);
      if (!result.ok) {
        metrics.signIn(result.reason);
        const disabled = result.reason === 'account_disabled';
        // A disabled account's password was right: that is no guess to count, but an attempt to audit.
        await risk.attempts.fail(held, { reason: disabled ? 'account_disabled' : result.userId ? 'wrong_password' : 'unknown_user', userId: result.userId, countsAsGuess: !disabled });
        log.info({ event: 'sign_in', result: result.reason, ip: origin.ip, client: client.id }, 'sign-in refused');
        return renderLogin(ctx, { uid: details.uid, clientName: client.name, username: form.username, error: disabled ? DISABLED : INVALID }, disabled ? 403 : 200);
      }

      const user = { id: result.user.id, username: result.user.username };
      const context = contextFor(ctx, details, client, user);
      const decision = await risk.assessor.evaluate(context, 'password');
      const allowed = decision.outcome === 'allow';
      // The decision, its entry, the history and (when the password met the required proof) the
      // reset of this person's failures in this zone: one transaction.
      await risk.attempts.succeed(held, async () => {
        await risk.assessor.record(decision, context, 'password', allowed ? { acr: PASSWORD_LOGIN.acr, amr: PASSWORD_LOGIN.amr } : {});
        await risk.history.record({ ...context, user }, decision.outcome === 'allow' ? 'success' : decision.outcome, allowed ? PASSWORD_LOGIN.acr : null);
        if (allowed) await risk.throttle.clear({ userId: user.id, usernameKey: key, zone: origin.zone, now: origin.now });
      });
      const terminal = decision.findings.find((f) => f.code === 'known_terminal')?.details.terminalId;
      if (typeof terminal === 'string') await risk.touchTerminal(terminal, context.at.getTime());
      if (!allowed) {
        metrics.signIn(decision.outcome === 'deny' ? 'blocked' : 'step_up');
        await refuse(ctx, decision, client.name, { uid: details.uid, userId: user.id, passwordAt: context.at.getTime() });
        return;
      }
      metrics.signIn('success');
      log.info({ event: 'sign_in', result: 'success', sub: user.id, ip: origin.ip, client: client.id, decisionId: decision.decisionId }, 'signed in');
      await allow(ctx, details.uid, { id: user.id, createdAt: result.user.createdAt }, decision);
    } finally {
      await risk.attempts.abandon(held);
    }
  });

  // WebAuthn, step by step: options (JSON, fetched by public/webauthn.js), then the ceremony's
  // result posted as a normal form, so that every outcome is an ordinary page or redirect.
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: `${bodyLimitBytes}b` });

  const stateFor = async (uid: string, stage: 'step_up' | 'enroll') => {
    const state = await risk.states.findState(uid, risk.now().getTime());
    return state && state.stage === stage ? state : undefined;
  };

  router.post('/webauthn/:ceremony/options', sameOriginJson, json, async (ctx) => {
    ctx.state.route = 'interaction:webauthn_options';
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const waiting = await risk.states.findState(details.uid, risk.now().getTime());
    if (await throttled(ctx, waiting?.user_id ?? null, true)) return;
    const ceremony = ctx.params.ceremony;
    if (ceremony === 'passkey') {
      if (details.prompt.name !== 'login') ctx.throw(400, 'This sign-in step has already been completed.');
      ctx.body = await risk.webauthn.authenticationOptions('passkey', details.uid, null);
      return;
    }
    if (ceremony === 'step-up') {
      const state = waiting?.stage === 'step_up' ? waiting : undefined;
      if (!state) return ctx.throw(400, 'There is no step-up waiting in this sign-in. Start again.');
      ctx.body = await risk.webauthn.authenticationOptions('step_up', details.uid, state.user_id);
      return;
    }
    if (ceremony === 'register') {
      const state = waiting?.stage === 'enroll' ? waiting : undefined;
      const user = state && (await accounts.findById(state.user_id));
      if (!state || !user) return ctx.throw(400, 'Registering a key is only offered right after a trusted sign-in. Start again.');
      ctx.body = await risk.webauthn.registrationOptions({ id: user.id, username: user.username, displayName: user.displayName }, 'register', details.uid);
      return;
    }
    ctx.throw(404, 'There is nothing at this address.');
  });

  // Security-key checks are rate limited like passwords, on their own counter: per person (for a
  // passkey, whose person is not known yet, per address) and per address.
  /** The throttle's per-name bucket for keys: the person when known, else this address (never one shared by all). */
  const webauthnKey = (ip: string, userId: string | null) => userId ?? `ip:${ip}`;
  const throttled = async (ctx: ParameterizedContext, userId: string | null, asJson = false) => {
    const origin = await originOf(ctx);
    const wait = await risk.throttle.retryAfter({ kind: 'webauthn', usernameKey: webauthnKey(origin.ip, userId), ...origin });
    if (wait <= 0) return false;
    tooManyAttempts(ctx, wait, asJson);
    return true;
  };

  router.post('/webauthn/step-up', body, async (ctx) => {
    ctx.state.route = 'interaction:webauthn_step_up';
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const state = await stateFor(details.uid, 'step_up');
    const client = await clientOf(details);
    if (!state) return ctx.throw(400, 'There is no step-up waiting in this sign-in. Start again.');
    const origin = await originOf(ctx);
    const owner = await accounts.findById(state.user_id);
    const held = await risk.attempts.begin({ kind: 'webauthn', usernameKey: webauthnKey(origin.ip, state.user_id), userId: state.user_id, ...origin, method: 'step_up', typedUsername: null, clientId: client.id });
    if ('retryAfter' in held) return tooManyAttempts(ctx, held.retryAfter);
    try {
      if (await refusedBeforePassword(ctx, details, client)) return;
      if (!owner || owner.disabled) {
        await risk.attempts.fail(held, { reason: 'account_disabled', userId: state.user_id, countsAsGuess: false });
        await risk.states.deleteState(details.uid);
        return renderLogin(ctx, { uid: details.uid, clientName: client.name, error: DISABLED }, 403);
      }
      let proof: Awaited<ReturnType<WebAuthn['verifyAuthentication']>>;
      try {
        const posted = readCeremonyForm<AuthenticationResponseJSON>(ctx.request.body);
        proof = await risk.webauthn.verifyAuthentication({ response: posted.response, ceremony: 'step_up', binding: details.uid, expectedUserId: state.user_id });
      } catch (error) {
        if (!isAppError(error, 'webauthn_failed')) throw error;
        const reason = String(error.details?.reason ?? 'refused');
        await risk.attempts.fail(held, { reason: `webauthn:${reason}`, userId: state.user_id, countsAsGuess: true, credentialId: typeof error.details?.credentialId === 'string' ? error.details.credentialId : null });
        log.info({ event: 'step_up', result: 'failed', reason, sub: state.user_id, client: client.id }, 'security key refused');
        if (reason === 'too_many_failures') {
          await risk.states.deleteState(details.uid);
          return refuse(ctx, { decisionId: state.decision_id, outcome: 'deny' } as Decision, client.name);
        }
        return stepUpPage(ctx, details.uid, await risk.webauthn.hasCredential(state.user_id), { clientName: client.name, reference: state.decision_id, error: error.message }, 400);
      }
      const withPassword = state.password_at !== null || (details.session?.amr as string[] | undefined)?.includes('pwd');
      const amr = withPassword ? ['pwd', proof.method, 'user', 'mfa'] : [proof.method, 'user', 'mfa'];
      const user = { id: owner.id, username: owner.username };
      const context = contextFor(ctx, details, client, user);
      // A completed step-up is a successful sign-in: history (for impossible travel and new
      // devices), the reset of every failure of the person (a verified key), and its entry.
      await risk.attempts.succeed(held, async () => {
        await risk.history.record({ ...context, user }, 'success', ACR_PHR);
        await risk.throttle.clear({ userId: user.id, usernameKey: usernameKey(user.username), zone: 'everywhere', now: origin.now });
        await risk.audit.append(steppedUp({ method: 'step_up', userId: user.id, username: user.username, decisionId: state.decision_id, acr: ACR_PHR, amr, credentialId: proof.credentialId, ip: origin.ip, clientId: client.id, at: origin.now }));
      });
      metrics.signIn('success');
      log.info({ event: 'step_up', result: 'success', sub: state.user_id, client: client.id, decisionId: state.decision_id }, 'stepped up with a security key');
      await finishLogin(ctx, { userId: state.user_id, acr: ACR_PHR, amr, lifetime: await lifetimeOf(state.decision_id), decisionId: state.decision_id });
    } finally {
      await risk.attempts.abandon(held);
    }
  });

  router.post('/webauthn/passkey', body, async (ctx) => {
    ctx.state.route = 'interaction:webauthn_passkey';
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'login') ctx.throw(400, 'This sign-in step has already been completed.');
    const client = await clientOf(details);
    const origin = await originOf(ctx);
    const held = await risk.attempts.begin({ kind: 'webauthn', usernameKey: webauthnKey(origin.ip, null), userId: null, ...origin, method: 'passkey', typedUsername: null, clientId: client.id });
    if ('retryAfter' in held) return tooManyAttempts(ctx, held.retryAfter);
    try {
      if (await refusedBeforePassword(ctx, details, client)) return;
      let proof: Awaited<ReturnType<WebAuthn['verifyAuthentication']>>;
      try {
        const posted = readCeremonyForm<AuthenticationResponseJSON>(ctx.request.body);
        proof = await risk.webauthn.verifyAuthentication({ response: posted.response, ceremony: 'passkey', binding: details.uid, expectedUserId: null });
      } catch (error) {
        if (!isAppError(error, 'webauthn_failed')) throw error;
        const reason = String(error.details?.reason ?? 'refused');
        const userId = typeof error.details?.userId === 'string' ? error.details.userId : null;
        await risk.attempts.fail(held, { reason: `webauthn:${reason}`, userId, countsAsGuess: true, credentialId: typeof error.details?.credentialId === 'string' ? error.details.credentialId : null });
        log.info({ event: 'sign_in', result: 'failed', method: 'passkey', reason, client: client.id }, 'security key refused');
        return renderLogin(ctx, { uid: details.uid, clientName: client.name, passkeyError: error.message }, 400);
      }
      const account = await accounts.findById(proof.userId);
      if (!account || account.disabled) {
        await risk.attempts.fail(held, { reason: 'account_disabled', userId: proof.userId, countsAsGuess: false, credentialId: proof.credentialId });
        return renderLogin(ctx, { uid: details.uid, clientName: client.name, error: DISABLED }, 403);
      }
      const user = { id: account.id, username: account.username };
      const context = contextFor(ctx, details, client, user);
      // A verified key is phishing-resistant proof, and the context is still judged: deny still denies.
      const decision = await risk.assessor.evaluate(context, 'password');
      const amr = [proof.method, 'user', 'mfa'];
      const denied = decision.outcome === 'deny';
      await risk.attempts.succeed(held, async () => {
        await risk.assessor.record(decision, context, 'password', denied ? {} : { acr: ACR_PHR, amr });
        await risk.history.record({ ...context, user }, denied ? 'deny' : 'success', denied ? null : ACR_PHR);
        if (!denied) await risk.throttle.clear({ userId: user.id, usernameKey: usernameKey(user.username), zone: 'everywhere', now: origin.now });
      });
      if (denied) {
        metrics.signIn('blocked');
        return refuse(ctx, decision, client.name);
      }
      metrics.signIn('success');
      log.info({ event: 'sign_in', result: 'success', method: 'passkey', sub: user.id, client: client.id, decisionId: decision.decisionId }, 'signed in with a security key');
      await finishLogin(ctx, { userId: user.id, acr: ACR_PHR, amr, lifetime: decision.sessionLifetime, decisionId: decision.decisionId });
    } finally {
      await risk.attempts.abandon(held);
    }
  });

  router.post('/webauthn/register', body, async (ctx) => {
    ctx.state.route = 'interaction:webauthn_register';
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const state = await stateFor(details.uid, 'enroll');
    const user = state && (await accounts.findById(state.user_id));
    if (!state || !user) return ctx.throw(400, 'Registering a key is only offered right after a trusted sign-in. Start again.');
    const client = await clientOf(details);
    const origin = await originOf(ctx);
    // The password again: whoever sits at the workstation now must be the person who signed in.
    // It is a password check like any other: reserved, counted and audited.
    const held = await risk.attempts.begin({ kind: 'password', usernameKey: usernameKey(user.username), userId: user.id, ...origin, method: 'enroll', typedUsername: null, clientId: client.id });
    if ('retryAfter' in held) return tooManyAttempts(ctx, held.retryAfter);
    try {
      const posted = readCeremonyForm<RegistrationResponseJSON>(ctx.request.body);
      const again = await accounts.authenticate(user.username, posted.password ?? '');
      if (!again.ok || again.user.id !== user.id) {
        await risk.attempts.fail(held, { reason: 'wrong_password', userId: user.id, countsAsGuess: true });
        return enrollOffer(ctx, details.uid, user, 'To register a key, type your password again. It was not right.');
      }
      await risk.attempts.succeed(held, async () => {});
      await risk.webauthn.verifyRegistration({ response: posted.response, ceremony: 'register', binding: details.uid, userId: user.id, nickname: posted.nickname });
    } catch (error) {
      if (!isAppError(error, 'webauthn_failed')) throw error;
      return enrollOffer(ctx, details.uid, user, error.message);
    } finally {
      await risk.attempts.abandon(held);
    }
    await finishLogin(ctx, { userId: user.id, acr: PASSWORD_LOGIN.acr, amr: [...PASSWORD_LOGIN.amr], lifetime: await lifetimeOf(state.decision_id), decisionId: state.decision_id });
  });

  router.post('/enroll/skip', body, async (ctx) => {
    ctx.state.route = 'interaction:enroll_skip';
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const state = await stateFor(details.uid, 'enroll');
    const user = state && (await accounts.findById(state.user_id));
    if (!state || !user) return ctx.throw(400, 'There is nothing to skip here. Start again.');
    if (await enrollmentRequired(user.createdAt)) return enrollOffer(ctx, details.uid, user, 'Registering a security key is required for your account now.');
    await finishLogin(ctx, { userId: user.id, acr: PASSWORD_LOGIN.acr, amr: [...PASSWORD_LOGIN.amr], lifetime: await lifetimeOf(state.decision_id), decisionId: state.decision_id });
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
