/**
 * The risk context of a sign-in, read from the request at the edge: the client IP (trusted proxies
 * only, see http/client-ip.ts), the user agent and client hints, the terminal cookie, the relying
 * app's sensitivity, and the assurance it asked for (acr_values or an essential acr claim).
 */
import type { ParameterizedContext } from 'koa';
import { CLIENT_HINT_HEADERS } from '../device/user-agent.ts';
import { TERMINAL_COOKIE } from '../hospital/terminals.ts';
import type { RiskContext } from '../risk/types.ts';
import { clientIpOf } from '../http/client-ip.ts';

type ClaimRequest = { essential?: boolean; value?: unknown; values?: unknown };

/**
 * The acr values a relying app asked for in an authorization request's parameters: `acr_values`,
 * and an essential `acr` claim in the `claims` parameter, under `id_token` or `userinfo` alike.
 */
export function requestedAcrOf(params: Record<string, unknown>): string[] {
  const values = new Set(String(params.acr_values ?? '').split(' ').filter(Boolean));
  if (typeof params.claims === 'string') {
    try {
      const claims = JSON.parse(params.claims) as Partial<Record<'id_token' | 'userinfo', { acr?: ClaimRequest | null } | null>>;
      for (const acr of [claims?.id_token?.acr, claims?.userinfo?.acr]) {
        if (!acr?.essential) continue;
        for (const v of [acr.value, ...(Array.isArray(acr.values) ? acr.values : [])]) if (typeof v === 'string') values.add(v);
      }
    } catch {
      // oidc-provider has already refused a malformed claims parameter before any interaction.
    }
  }
  return [...values];
}

export function riskContextFrom(
  ctx: ParameterizedContext,
  input: { client: RiskContext['client']; requestedAcr: string[]; user?: RiskContext['user']; at: Date },
): RiskContext {
  const clientHints: Record<string, string> = {};
  for (const name of CLIENT_HINT_HEADERS) {
    const value = ctx.get(name);
    if (value) clientHints[name] = value.slice(0, 512);
  }
  const terminalCredential = ctx.cookies.get(TERMINAL_COOKIE) || undefined;
  return {
    ...(input.user ? { user: input.user } : {}),
    ip: clientIpOf(ctx),
    userAgent: ctx.get('user-agent').slice(0, 1024),
    clientHints,
    ...(terminalCredential ? { terminalCredential } : {}),
    client: input.client,
    requestedAcr: input.requestedAcr,
    at: input.at,
  };
}

/** Accept-CH for the sign-in page, so that the password POST carries the client hints. */
export const ACCEPT_CH = CLIENT_HINT_HEADERS.filter((h) => h !== 'sec-ch-ua' && h !== 'sec-ch-ua-mobile' && h !== 'sec-ch-ua-platform').join(', ');
