/**
 * The demo relying app at /demo, a real OIDC client of Wardgate built with openid-client: code flow
 * with PKCE, state and nonce kept in a signed, HttpOnly cookie; the callback shows the ID token's
 * claims, acr and amr, and userinfo; sign-out goes through RP-initiated logout.
 */
import Router from '@koa/router';
import * as oidc from 'openid-client';
import type { Views } from '../http/views.ts';
import { createFirstPartyClient } from '../oidc/first-party-client.ts';
import { explainFinding } from '../risk/explain.ts';
import type { Finding } from '../risk/types.ts';
import { DEMO_CLIENT_ID } from './seed.ts';

const COOKIE = 'wardgate_demo';

export interface DemoDecision {
  id: string;
  outcome: string;
  score: number;
  findings: string;
  determining_rules: string;
  policy_version: number;
}

export interface DemoDeps {
  issuer: string;
  views: Views;
  secureCookies: boolean;
  latestDecision: (userId: string) => Promise<DemoDecision | undefined>;
  decisionById: (id: string) => Promise<DemoDecision | undefined>;
}

/** A stored decision as the demo pages show it. */
function present(row: DemoDecision | undefined) {
  return (
    row && {
      id: row.id,
      outcome: row.outcome,
      score: row.score,
      policyVersion: row.policy_version,
      rules: JSON.parse(row.determining_rules) as string[],
      findings: (JSON.parse(row.findings) as Finding[]).map((f) => ({ code: f.code, points: f.points, text: explainFinding(f) })),
    }
  );
}

export function createDemoRoutes(deps: DemoDeps) {
  const router = new Router({ prefix: '/demo' });
  const client = createFirstPartyClient({ issuer: deps.issuer, clientId: DEMO_CLIENT_ID, callbackPath: '/demo/callback', cookieName: COOKIE, cookiePath: '/demo', secureCookies: deps.secureCookies });

  router.use(async (ctx, next) => {
    ctx.state.route = `demo:${ctx.path.split('/')[2] || 'home'}`;
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.body = deps.views.render('demo/home', { signedOut: false });
  });

  router.get('/signed-out', (ctx) => {
    ctx.type = 'html';
    ctx.body = deps.views.render('demo/home', { signedOut: true });
  });

  router.post('/login', async (ctx) => {
    ctx.status = 303;
    ctx.redirect(await client.start(ctx, { scope: 'openid profile email roles fhirUser' }));
  });

  router.get('/callback', async (ctx) => {
    const pending = client.pending(ctx);
    if (!pending) return ctx.throw(400, 'The demo sign-in expired or was started in another browser. Start again from /demo.');
    if (typeof ctx.query.error === 'string' && ctx.query.state === pending.state) {
      // Wardgate refused (step-up or block): what the app received, and, this being the demo, why.
      const description = typeof ctx.query.error_description === 'string' ? ctx.query.error_description : '';
      const reference = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(description)?.[0];
      ctx.type = 'html';
      ctx.body = deps.views.render('demo/refused', { error: ctx.query.error, description, decision: present(reference ? await deps.decisionById(reference) : undefined) });
      return;
    }
    const config = await client.configuration();
    const tokens = await client.finish(ctx, pending).catch((error: unknown) => ctx.throw(400, `The sign-in did not complete: ${(error as Error).message}`));
    const idToken = tokens.claims()!;
    const claims = await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub);
    const decision = present(await deps.latestDecision(idToken.sub));
    const logout = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: `${deps.issuer}/demo/signed-out`,
    });
    ctx.type = 'html';
    ctx.body = deps.views.render('demo/result', {
      idToken,
      claims,
      decision,
      logoutUrl: `${logout.origin}${logout.pathname}`,
      logoutParams: [...logout.searchParams.entries()],
    });
  });

  return router;
}
