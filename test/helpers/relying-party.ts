/**
 * A relying app built with openid-client (a client Wardgate did not write): registers itself
 * through Wardgate's client registry, then runs the code flow with PKCE S256.
 */
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { ClientInput } from '../../src/oidc/clients.ts';
import type { TestServer } from './server.ts';

export const REDIRECT_URI = 'https://rp.example.test/callback';

export interface RelyingParty {
  clientId: string;
  clientSecret: string | undefined;
  config: oidc.Configuration;
  /** A fresh authorization URL with its PKCE verifier, state and nonce. */
  start(params?: Record<string, string>): Promise<{ url: string; verifier: string; state: string; nonce: string }>;
  /** Redeems the code in `callback`; openid-client validates the ID token claims. */
  finish(callback: string, started: { verifier: string; state: string; nonce: string }): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers>;
  /** Verifies an ID token's signature against Wardgate's published JWKS. */
  verifyIdToken(idToken: string): Promise<JWTPayload>;
}

/** `customFetch`: how the app reaches Wardgate (through a TLS-terminating proxy, say); plain fetch by default. */
export async function createRelyingParty(server: TestServer, input: Partial<ClientInput> = {}, options: { customFetch?: oidc.CustomFetch } = {}): Promise<RelyingParty> {
  const { client_id: clientId, client_secret: clientSecret } = await server.clients.register({
    client_name: 'Ward rounds',
    redirect_uris: [REDIRECT_URI],
    post_logout_redirect_uris: ['https://rp.example.test/signed-out'],
    grant_types: ['authorization_code', 'refresh_token'],
    ...input,
  } as ClientInput);
  const auth = clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None();
  const config = await oidc.discovery(new URL(server.issuer), clientId, undefined, auth, {
    execute: [oidc.allowInsecureRequests],
    ...(options.customFetch ? { [oidc.customFetch]: options.customFetch } : {}),
  });
  const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`));
  return {
    clientId,
    clientSecret,
    config,
    async start(params = {}) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const scope = params.scope ?? 'openid profile email roles fhirUser offline_access';
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope,
        // OpenID Connect issues a refresh token for offline_access only with prompt=consent.
        ...(scope.includes('offline_access') ? { prompt: 'consent' } : {}),
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...params,
      });
      return { url: url.href, verifier, state, nonce };
    },
    async finish(callback, started) {
      return oidc.authorizationCodeGrant(config, new URL(callback), {
        pkceCodeVerifier: started.verifier,
        expectedState: started.state,
        expectedNonce: started.nonce,
        idTokenExpected: true,
      });
    },
    async verifyIdToken(idToken) {
      const { payload } = await jwtVerify(idToken, jwks, { issuer: server.issuer, audience: clientId });
      return payload;
    },
  };
}
