/**
 * The OpenID Provider: panva's oidc-provider configured for Wardgate. Authorization code flow with
 * PKCE S256 for every client, refresh-token rotation, userinfo, JWKS, RP-initiated and back-channel
 * logout, client credentials, introspection and revocation. Keys come from the database; every
 * artifact is stored through the knex adapter; pages are Wardgate's own views.
 */
import crypto from 'node:crypto';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Accounts } from '../accounts/accounts.ts';
import type { Config } from '../config.ts';
import type { Views } from '../http/views.ts';
import { SIGN_IN_EXPIRED } from '../http/messages.ts';
import type { Logger } from '../log.ts';
import { ACR_VALUES } from './acr.ts';
import { offlineAccessAllowed } from './clients.ts';
import { cookieSettings } from './cookies.ts';
import { CLAIMS, SCOPES, createFindAccount } from './account-claims.ts';
import type { LoadedKeys } from './keys.ts';
import { loadExistingGrant } from './interactions/consent.ts';
import { createOutboundFetch } from './outbound-fetch.ts';
import { createInteractionPolicy } from './interactions/policy.ts';

export interface ProviderDeps {
  config: Config;
  keys: LoadedKeys;
  adapter: NonNullable<Configuration['adapter']>;
  accounts: Accounts;
  views: Views;
  log: Logger;
}

function clientLabel(ctx: KoaContextWithOIDC): string | undefined {
  return ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId;
}

const ERROR_TEXT: Record<string, string> = {
  invalid_redirect_uri: 'The application sent you to Wardgate with a return address it has not registered, so Wardgate will not send you back there. Contact the application\'s support team.',
  invalid_client: 'The application that sent you here is not registered with Wardgate.',
  invalid_request: 'The application sent an incomplete or malformed sign-in request.',
  access_denied: 'Access was denied.',
  session_not_found: SIGN_IN_EXPIRED,
  invalid_token: 'This link or session is no longer valid. Go back to the application and start again.',
};

export function createProvider({ config, keys, adapter, accounts, views, log }: ProviderDeps): Provider {
  const configuration: Configuration = {
    adapter,
    jwks: keys.jwks as Configuration['jwks'],
    cookies: cookieSettings(config.issuer, keys.cookieKeys),
    findAccount: createFindAccount(accounts),
    claims: CLAIMS,
    scopes: SCOPES,
    acrValues: [...ACR_VALUES],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
    extraClientMetadata: {
      properties: ['sensitivity', 'first_party', 'offline_access_allowed'],
      validator(_ctx, key, value) {
        if (key === 'sensitivity' && value !== undefined && value !== 'standard' && value !== 'high') {
          throw new Error('sensitivity must be standard or high');
        }
        if ((key === 'first_party' || key === 'offline_access_allowed') && value !== undefined && typeof value !== 'boolean') {
          throw new Error(`${key} must be a boolean`);
        }
      },
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      userinfoSigningAlgValues: ['ES256', 'RS256'],
      introspectionSigningAlgValues: ['ES256', 'RS256'],
      requestObjectSigningAlgValues: ['ES256', 'RS256'],
    },
    fetch: createOutboundFetch(config.outboundAllowedNetworks) as Configuration['fetch'],
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    pkce: { required: () => true },
    rotateRefreshToken: () => true,
    // Logout ends what the session gave: a token is bound to its sign-in session (it stops working
    // when the session ends, at RP-initiated logout or otherwise) unless it carries offline_access
    // for a client IT allowed to hold it (clients.ts offline_access_allowed; consent.ts refuses the
    // scope to every other client). Only then does oidc-provider keep the grant at logout.
    expiresWithSession: async (ctx, token) => !(token.scopes.has('offline_access') && offlineAccessAllowed(ctx.oidc.client)),
    // A client with the refresh_token grant gets a refresh token with every code: bound to the
    // session like the access token (so it can renew access while the person is signed in), or
    // offline for a client allowed offline_access that was granted it.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    loadExistingGrant,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: createInteractionPolicy() },
    ttl: {
      AccessToken: config.ttl.accessToken,
      AuthorizationCode: 60,
      ClientCredentials: config.ttl.accessToken,
      IdToken: config.ttl.idToken,
      Interaction: 3600,
      RefreshToken: config.ttl.refreshToken,
      // A new sign-in lasts as long as its risk decision says (e.g. until the shift ends plus
      // grace); later saves keep the expiry it got, so using the session never extends it.
      Session(ctx, session) {
        const login = (ctx?.oidc?.result as { login?: { wardgateSessionExpiresAt?: number } } | undefined)?.login;
        if (login?.wardgateSessionExpiresAt) return Math.max(1, Math.min(login.wardgateSessionExpiresAt - Math.floor(Date.now() / 1000), config.ttl.session));
        const exp = (session as { exp?: number }).exp;
        if (typeof exp === 'number') return Math.max(1, exp - Math.floor(Date.now() / 1000));
        return config.ttl.session;
      },
      Grant: config.ttl.refreshToken,
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.type = 'html';
          ctx.body = views.render('logout', { form, clientName: clientLabel(ctx) });
        },
        async postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          ctx.body = views.render('logged-out', { clientName: clientLabel(ctx) });
        },
      },
      backchannelLogout: { enabled: true },
      // Lets a relying app ask for an essential acr ({"id_token":{"acr":{"essential":true,"value":"phr"}}},
      // or the same under "userinfo"; signin/context.ts requestedAcrOf reads both).
      claimsParameter: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // A client may introspect its own tokens; a resource server needs scope wardgate:introspect.
        async allowedPolicy(ctx, client, token) {
          if (token.clientId === client.clientId) return true;
          return client.clientAuthMethod !== 'none' && String(client.scope ?? '').split(' ').includes('wardgate:introspect');
        },
      },
      revocation: {
        enabled: true,
        async allowedPolicy(_ctx, client, token) {
          return token.clientId === client.clientId;
        },
      },
      userinfo: { enabled: true },
    },
    async renderError(ctx, out, error) {
      const reference = crypto.randomUUID();
      log.info({ reference, error: out.error, description: out.error_description, cause: (error as Error).message }, 'oidc error page');
      ctx.type = 'html';
      ctx.body = views.render('error', {
        title: out.error === 'access_denied' ? 'Access denied' : 'Sign-in could not continue',
        message: ERROR_TEXT[out.error] ?? out.error_description ?? 'The sign-in request could not be completed.',
        reference,
      });
    },
  };

  const provider = new Provider(config.issuer, configuration);
  // Forwarding headers are rewritten at the edge (http/client-ip.ts): only a trusted proxy's remain.
  provider.proxy = true;

  provider.on('server_error', (ctx, error) => log.error({ err: error, route: ctx.oidc?.route }, 'oidc server error'));
  provider.on('grant.error', (_ctx, error) => log.info({ error: (error as { error?: string }).error, description: (error as { error_description?: string }).error_description }, 'grant refused'));
  provider.on('grant.revoked', (_ctx, grantId) => log.info({ grantId }, 'grant revoked'));
  provider.on('backchannel.success', (_ctx, client) => log.info({ client: client.clientId }, 'back-channel logout delivered'));
  provider.on('backchannel.error', (_ctx, error, client) => log.warn({ err: error, client: client.clientId }, 'back-channel logout delivery failed'));
  provider.on('end_session.success', (ctx) => log.info({ event: 'logout', client: ctx.oidc.client?.clientId }, 'signed out'));
  return provider;
}
