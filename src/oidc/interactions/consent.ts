/**
 * Consent: a grant records which scopes and claims a relying app may have for an account. Clients
 * marked first-party (the hospital's own apps) are granted what they ask for without a prompt.
 * `offline_access` is granted only to a client IT allowed to hold it (`offline_access_allowed`);
 * for any other it is recorded as refused, so the app gets tokens that end with the session and is
 * not asked about it again.
 */
import type Provider from 'oidc-provider';
import type { Grant, KoaContextWithOIDC } from 'oidc-provider';
import { AppError } from '../../errors.ts';
import { USER_SCOPES } from '../account-claims.ts';
import { offlineAccessAllowed } from '../clients.ts';
import { SIGN_IN_EXPIRED } from '../../http/messages.ts';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Grants `scopes`, but offline_access only to a client allowed it: for others it is refused. */
function addScopes(grant: Grant, scopes: string[], client: unknown): void {
  const refuse = scopes.includes('offline_access') && !offlineAccessAllowed(client);
  grant.addOIDCScope(scopes.filter((scope) => !(refuse && scope === 'offline_access')).join(' '));
  if (refuse) grant.rejectOIDCScope('offline_access');
}

/** Adds what the consent prompt found missing to the interaction's grant; returns its id. */
export async function grantConsent(provider: Provider, details: Details): Promise<string> {
  const { prompt, params, session } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session!.accountId, clientId: String(params.client_id) });
  if (!grant) throw new AppError('interaction_expired', SIGN_IN_EXPIRED);
  const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (missing.missingOIDCScope) addScopes(grant, missing.missingOIDCScope, await provider.Client.find(String(params.client_id)));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  return grant.save();
}

/**
 * oidc-provider's loadExistingGrant: the session's grant for this client; for a first-party client
 * the grant is created or extended with the requested scopes and claims, so no consent is shown.
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const client = oidc.client!;
  const grantId = (oidc.result?.consent as { grantId?: string } | undefined)?.grantId ?? oidc.session!.grantIdFor(client.clientId);
  const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!(client as unknown as { first_party?: boolean }).first_party) return existing;
  const grant = existing ?? new oidc.provider.Grant({ clientId: client.clientId, accountId: oidc.session!.accountId! });
  // Only what a person can grant: service scopes (wardgate:*) are never given away silently.
  addScopes(grant, [...oidc.requestParamOIDCScopes].filter((s) => USER_SCOPES.includes(s)), client);
  const claims = [...oidc.requestParamClaims].filter((c) => !['sub', 'sid', 'auth_time', 'acr', 'amr', 'iss'].includes(c));
  if (claims.length) grant.addOIDCClaims(claims);
  await grant.save();
  return grant;
}
