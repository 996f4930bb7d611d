/**
 * One trusted sign-in, as the benches make it: a clinician on shift, at an enrolled ward terminal,
 * on the site's network (loopback), whom the default policy allows without a step-up, signs in to
 * a first-party relying app through the whole authorization code flow (openid-client for the app,
 * the tests' TestBrowser for the browser), as the integration tests sign in.
 * Shared by bench/sign-in.ts (sequential timing) and bench/busy.ts (load).
 */
import * as oidc from 'openid-client';
import { signIn } from '../test/helpers/browser.ts';
import type { TestServer } from '../test/helpers/server.ts';
import { timed } from './measure.ts';

export const BENCH_PASSWORD = 'benchmark passphrase';
const REDIRECT_URI = 'https://bench.example/cb';

/** What one attempt came to: a code redeemed for tokens, or no code (stepped up or refused). */
export type Attempt = { code: true; flowMs: number; tokenMs: number } | { code: false; flowMs: number; status: number | undefined };

/**
 * Registers the relying app and `people` clinicians; returns a function that signs one of them in
 * (each in turn). With more than one, each also signs in from a workstation address of their own
 * in the site's network (127.10.x.y, sent as X-Forwarded-For, so the server must trust the loopback
 * proxy: WARDGATE_TRUST_PROXY=loopback), as a ward's people do: the throttle counts attempts per
 * person and per address, and a whole hospital signing in as one person from one address is refused.
 */
export async function trustedSignIn(wardgate: TestServer, people = 1): Promise<() => Promise<Attempt>> {
  const stamp = Date.now();
  const usernames: string[] = [];
  for (let i = 0; i < people; i++) usernames.push((await wardgate.clinician({ username: `bench.${stamp}.${i}`, password: BENCH_PASSWORD, displayName: `Bench ${i}` })).username);
  const { client_id, client_secret } = await wardgate.clients.register({ client_name: 'Bench', redirect_uris: [REDIRECT_URI], first_party: true });
  const rp = await oidc.discovery(new URL(wardgate.issuer), client_id, undefined, oidc.ClientSecretBasic(client_secret!), { execute: [oidc.allowInsecureRequests] });

  let next = 0;
  return async () => {
    const person = next++ % people;
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(rp, { redirect_uri: REDIRECT_URI, scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's' });
    const browser = await wardgate.browser();
    if (people > 1) browser.headers['x-forwarded-for'] = `127.10.${person >> 8}.${person & 255}`;
    const t0 = performance.now();
    const { callback, status } = await signIn(browser, url.href, { username: usernames[person]!, password: BENCH_PASSWORD });
    if (!callback) return { code: false, flowMs: performance.now() - t0, status };
    const [tokenMs] = await timed(() => oidc.authorizationCodeGrant(rp, new URL(callback), { pkceCodeVerifier: verifier, expectedState: 's' }));
    return { code: true, flowMs: performance.now() - t0, tokenMs };
  };
}
