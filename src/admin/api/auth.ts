/**
 * Who may call the admin API. Two kinds of caller:
 * - a Bearer access token Wardgate issued with scope `wardgate:admin` (client credentials of an
 *   admin client; a token issued to a person counts only while that person is an enabled it-admin);
 * - a person signed in to Wardgate in this browser (the console), with role `it-admin`, whose
 *   session was proven phishing-resistantly (acr `phr`). Changes made this way must come from a
 *   page of Wardgate's own origin.
 * Anything else is refused (401 without credentials, 403 with the wrong ones) and the refusal is
 * audited. Refusals of callers who proved nothing (401) are audited up to
 * ANONYMOUS_REFUSALS_PER_MINUTE from one address a minute; past that the address gets 429 with
 * Retry-After, and one `rate_limited` entry says so, so that nobody can fill the audit log (or hold
 * its append lock) by knocking.
 */
import type { ParameterizedContext } from 'koa';
import type Provider from 'oidc-provider';
import type { Accounts, User } from '../../accounts/accounts.ts';
import type { AuditLog } from '../../audit/log.ts';
import { AppError } from '../../errors.ts';
import { fromOwnPage } from '../../http/same-origin.ts';
import { ACR_PHR } from '../../oidc/acr.ts';
import { clientIpOf } from '../../http/client-ip.ts';

export const ADMIN_SCOPE = 'wardgate:admin';
export const ADMIN_ROLE = 'it-admin';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const ANONYMOUS_REFUSALS_PER_MINUTE = 20;
const WINDOW_MS = 60_000;
const MAX_TRACKED_ADDRESSES = 10_000;

export type Principal =
  | { kind: 'client'; clientId: string; actor: string; name: string }
  | { kind: 'user'; userId: string; username: string; actor: string; name: string; via: 'session' | 'token' };

export interface AdminAuthDeps {
  provider: Provider;
  accounts: Accounts;
  audit: AuditLog;
  issuer: string;
  now?: () => number;
}

const isAdmin = (user: User | undefined): user is User => Boolean(user && !user.disabled && user.roles.includes(ADMIN_ROLE));

function userPrincipal(user: User, via: 'session' | 'token'): Principal {
  return { kind: 'user', userId: user.id, username: user.username, actor: user.id, name: user.displayName, via };
}

export function createAdminAuth(deps: AdminAuthDeps) {
  const issuerOrigin = new URL(deps.issuer).origin;
  // oidc-provider's session cookie: `__Host-session` behind an https issuer (oidc/cookies.ts).
  const sessionCookie = deps.provider.cookieName('session');

  async function recordRefusal(ctx: ParameterizedContext, reason: string, actor: string | null): Promise<void> {
    await deps.audit.append({
      type: 'admin.access_denied',
      actor,
      subject: ctx.path,
      data: { method: ctx.method, path: ctx.path, reason, ip: clientIpOf(ctx) },
    });
  }

  const now = deps.now ?? Date.now;
  /** Anonymous refusals per address in the current minute (this process). */
  const anonymous = new Map<string, { start: number; count: number }>();
  const countAnonymous = (ip: string): { count: number; retryAfter: number } => {
    const at = now();
    let window = anonymous.get(ip);
    if (!window || at - window.start >= WINDOW_MS) {
      if (anonymous.size >= MAX_TRACKED_ADDRESSES) {
        for (const [address, w] of anonymous) if (at - w.start >= WINDOW_MS) anonymous.delete(address);
      }
      window = { start: at, count: 0 };
      anonymous.set(ip, window);
    }
    window.count++;
    return { count: window.count, retryAfter: Math.max(1, Math.ceil((window.start + WINDOW_MS - at) / 1000)) };
  };

  async function refuse(ctx: ParameterizedContext, status: 401 | 403, reason: string, message: string, who: { actor?: string | null; bearer?: string } = {}): Promise<never> {
    if (status === 401) {
      const { count, retryAfter } = countAnonymous(clientIpOf(ctx));
      if (count > ANONYMOUS_REFUSALS_PER_MINUTE) {
        if (count === ANONYMOUS_REFUSALS_PER_MINUTE + 1) await recordRefusal(ctx, 'rate_limited', who.actor ?? null);
        ctx.set('Retry-After', String(retryAfter));
        throw new AppError('rate_limited', `Too many refused requests from this address; try again in ${retryAfter} s.`);
      }
    }
    await recordRefusal(ctx, reason, who.actor ?? null);
    if (status === 401) {
      ctx.set('WWW-Authenticate', who.bearer ? `Bearer realm="wardgate-admin", error="${who.bearer}"` : 'Bearer realm="wardgate-admin"');
      throw new AppError('unauthorized', message);
    }
    if (who.bearer) ctx.set('WWW-Authenticate', `Bearer realm="wardgate-admin", error="${who.bearer}", scope="${ADMIN_SCOPE}"`);
    throw new AppError('forbidden', message);
  }

  async function byToken(ctx: ParameterizedContext, value: string): Promise<Principal> {
    const token = (await deps.provider.AccessToken.find(value)) ?? (await deps.provider.ClientCredentials.find(value));
    if (!token) return refuse(ctx, 401, 'invalid_token', 'The access token is not valid: it is unknown, expired or revoked.', { bearer: 'invalid_token' });
    const actor = `client:${token.clientId}`;
    const client = token.clientId ? await deps.provider.Client.find(token.clientId) : undefined;
    if (!client) return refuse(ctx, 401, 'client_gone', 'The access token belongs to a client that is no longer registered.', { actor, bearer: 'invalid_token' });
    const scopes = String(token.scope ?? '').split(' ');
    if (!scopes.includes(ADMIN_SCOPE) || !String(client.scope ?? '').split(' ').includes(ADMIN_SCOPE)) {
      return refuse(ctx, 403, 'insufficient_scope', `The access token does not carry the scope ${ADMIN_SCOPE}.`, { actor, bearer: 'insufficient_scope' });
    }
    const accountId = (token as { accountId?: string }).accountId;
    if (accountId) {
      const user = await deps.accounts.findById(accountId);
      if (!isAdmin(user)) return refuse(ctx, 403, 'not_it_admin', `The person this token was issued to is not an enabled ${ADMIN_ROLE}.`, { actor: accountId, bearer: 'insufficient_scope' });
      return userPrincipal(user, 'token');
    }
    return { kind: 'client', clientId: client.clientId, actor, name: String(client.clientName ?? client.clientId) };
  }

  /** The person signed in to this browser, and what keeps them from the admin API, if anything. */
  async function sessionCheck(ctx: ParameterizedContext): Promise<{ user?: User; problem?: 'signed_out' | 'not_admin' | 'acr_too_weak' }> {
    const session = await deps.provider.Session.get(ctx as never);
    const user = session.accountId ? await deps.accounts.findById(session.accountId) : undefined;
    if (!user) return { problem: 'signed_out' };
    if (!isAdmin(user)) return { user, problem: 'not_admin' };
    if (session.acr !== ACR_PHR) return { user, problem: 'acr_too_weak' };
    return { user };
  }

  async function bySession(ctx: ParameterizedContext): Promise<Principal> {
    const { user, problem } = await sessionCheck(ctx);
    if (!user) return refuse(ctx, 401, 'no_session', 'Sign in to call the admin API: a Bearer token or a Wardgate session is needed.');
    if (problem === 'not_admin') return refuse(ctx, 403, 'not_it_admin', `Only people with the role ${ADMIN_ROLE} may use the admin API.`, { actor: user.id });
    if (problem === 'acr_too_weak') {
      return refuse(ctx, 403, 'acr_too_weak', 'The admin API needs a sign-in confirmed with a security key (acr phr); this session was confirmed with a password only.', { actor: user.id });
    }
    if (!SAFE_METHODS.has(ctx.method) && !fromOwnPage(ctx, issuerOrigin)) {
      return refuse(ctx, 403, 'cross_origin', 'Changes through a signed-in session must come from Wardgate\'s own pages.', { actor: user.id });
    }
    return userPrincipal(user, 'session');
  }

  return {
    /** The caller, or a refusal (thrown, and audited). */
    async authenticate(ctx: ParameterizedContext): Promise<Principal> {
      const authorization = ctx.get('authorization');
      if (authorization) {
        const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization.trim());
        if (!match) return refuse(ctx, 401, 'malformed_authorization', 'The Authorization header must be "Bearer <access token>".', { bearer: 'invalid_request' });
        return byToken(ctx, match[1]!);
      }
      if (ctx.cookies.get(sessionCookie)) return bySession(ctx);
      return refuse(ctx, 401, 'no_credentials', 'Sign in to call the admin API: a Bearer token or a Wardgate session is needed.');
    },
    /** Records a refusal the console made itself (a person without the role, a cross-origin change). */
    recordRefusal,
    /** The console's check: the same rules, answered without throwing. */
    async consolePrincipal(ctx: ParameterizedContext): Promise<{ principal?: Principal; user?: User; problem?: 'signed_out' | 'not_admin' | 'acr_too_weak' }> {
      if (!ctx.cookies.get(sessionCookie)) return { problem: 'signed_out' };
      const { user, problem } = await sessionCheck(ctx);
      if (!user || user.disabled) return { problem: 'signed_out' };
      return problem ? { user, problem } : { user, principal: userPrincipal(user, 'session') };
    },
  };
}

export type AdminAuth = ReturnType<typeof createAdminAuth>;
