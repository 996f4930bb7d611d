/**
 * oidc-provider's findAccount: the claims a relying app may read. A disabled or deleted user has
 * no account, which ends any session or token that points at them.
 */
import type { Account, FindAccount } from 'oidc-provider';
import type { Accounts } from '../accounts/accounts.ts';

/** Scopes a person can grant to a relying app. */
export const USER_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'roles', 'fhirUser'];
/** Scopes that give power over Wardgate itself: only ever held by clients registered with them. */
export const SERVICE_SCOPES = ['wardgate:admin', 'wardgate:introspect'];
export const SCOPES = [...USER_SCOPES, ...SERVICE_SCOPES];

export const CLAIMS = {
  acr: null,
  amr: null,
  auth_time: null,
  sid: null,
  // acr and amr ride with the openid scope so every ID token says how the person signed in.
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: ['name', 'preferred_username'],
  email: ['email'],
  roles: ['roles'],
  // SMART on FHIR: the FHIR resource (Practitioner/…) that is the signed-in person.
  fhirUser: ['fhirUser'],
};

export function createFindAccount(accounts: Accounts): FindAccount {
  return async (_ctx, sub): Promise<Account | undefined> => {
    const user = await accounts.findById(sub);
    if (!user || user.disabled) return undefined;
    return {
      accountId: user.id,
      async claims() {
        return {
          sub: user.id,
          name: user.displayName,
          preferred_username: user.username,
          ...(user.email ? { email: user.email } : {}),
          roles: user.roles,
          ...(user.fhirUser ? { fhirUser: user.fhirUser } : {}),
        };
      },
    };
  };
}
