/**
 * Wardgate's own relying apps (the demo app, the account page) are real OIDC clients of Wardgate,
 * built with openid-client: authorization code with PKCE, state and nonce kept in a signed,
 * HttpOnly cookie scoped to the app's path. Discovery happens on first use, over HTTP, to itself.
 */
import type { ParameterizedContext } from 'koa';
import * as oidc from 'openid-client';
import type { ClientStore } from '../store/clients.ts';
import type { ClientRegistry } from './clients.ts';

/**
 * Registers one of Wardgate's own apps as a public first-party client (PKCE, no consent page). It
 * follows the issuer, so it is registered again at every start.
 */
export async function registerFirstPartyClient(
  clients: ClientRegistry,
  store: ClientStore,
  client: { clientId: string; clientName: string; redirectUri: string; postLogoutRedirectUri: string },
): Promise<void> {
  await store.delete(client.clientId);
  await clients.register({
    client_id: client.clientId,
    client_name: client.clientName,
    redirect_uris: [client.redirectUri],
    post_logout_redirect_uris: [client.postLogoutRedirectUri],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    scope: 'openid profile',
    first_party: true,
  });
}

export interface Pending {
  verifier: string;
  state: string;
  nonce: string;
  /** Where the app goes after the callback (a path of its own). */
  next?: string;
}

export function createFirstPartyClient(options: { issuer: string; clientId: string; callbackPath: string; cookieName: string; cookiePath: string; secureCookies: boolean }) {
  const redirectUri = `${options.issuer}${options.callbackPath}`;
  const cookie = { httpOnly: true, sameSite: 'lax' as const, signed: true, path: options.cookiePath, secure: options.secureCookies };
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= oidc
      .discovery(new URL(options.issuer), options.clientId, undefined, oidc.None(), {
        execute: new URL(options.issuer).protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
      })
      .catch((error: unknown) => {
        discovered = undefined;
        throw error;
      });
    return discovered;
  };

  return {
    configuration,

    /** Starts a sign-in: remembers PKCE, state and nonce, returns the authorization URL. */
    async start(ctx: ParameterizedContext, params: Record<string, string>, next?: string): Promise<string> {
      const config = await configuration();
      const pending: Pending = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce(), ...(next ? { next } : {}) };
      ctx.cookies.set(options.cookieName, JSON.stringify(pending), { ...cookie, maxAge: 10 * 60 * 1000 });
      return oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
        ...params,
      }).href;
    },

    /** The sign-in this browser started, read once. */
    pending(ctx: ParameterizedContext): Pending | undefined {
      const saved = ctx.cookies.get(options.cookieName, { signed: true });
      ctx.cookies.set(options.cookieName, null, cookie);
      if (!saved) return undefined;
      try {
        return JSON.parse(saved) as Pending;
      } catch {
        return undefined;
      }
    },

    /** Redeems the code in the callback URL; openid-client checks state, nonce and the ID token. */
    async finish(ctx: ParameterizedContext, pending: Pending) {
      return oidc.authorizationCodeGrant(await configuration(), new URL(ctx.originalUrl, options.issuer), {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    },
  };
}
