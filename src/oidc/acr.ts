/**
 * Authentication context classes and methods (OpenID Connect Core §2, RFC 8176). The acr in a token
 * is always what actually happened, never what was asked for.
 */
export const ACR_1FA = 'urn:wardgate:acr:1fa';
export const ACR_PHR = 'phr';
export const ACR_VALUES = [ACR_1FA, ACR_PHR] as const;

/** A password sign-in accepted because the context was trusted. */
export const PASSWORD_LOGIN = { acr: ACR_1FA, amr: ['pwd'] } as const;
