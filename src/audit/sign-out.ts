/**
 * Sign-outs in the audit log (`sign_out`): who, from which app, from where, and whether the whole
 * Wardgate session ended or only one app's part of it. oidc-provider emits `end_session.success`
 * synchronously after it has destroyed the session (RP-initiated logout, end_session confirm);
 * the session object still holds the account id in memory then. The listener only notes the facts
 * on the request; this middleware appends the entry before the response leaves, so the redirect
 * is never sent ahead of its audit record. A browser without a signed-in person is not audited.
 */
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { Logger } from '../log.ts';
import type { AuditLog } from './log.ts';
import { clientIpOf } from '../http/client-ip.ts';

const SIGN_OUT = Symbol('wardgate.signOut');

interface SignOut {
  accountId: string;
  clientId: string | null;
  /** all: the Wardgate session ended (every app); client: only this app's part of it. */
  scope: 'all' | 'client';
  clients: string[];
  ip: string;
}

export function auditSignOuts(deps: { provider: Provider; audit: AuditLog; accounts: { findById(id: string): Promise<{ username: string } | undefined> }; log: Logger }): Middleware {
  deps.provider.on('end_session.success', (ctx) => {
    const session = ctx.oidc.session as { accountId?: string; authorizations?: Record<string, unknown> } | undefined;
    if (!session?.accountId) return;
    const clientId = ctx.oidc.client?.clientId ?? null;
    const all = Boolean((ctx.oidc.params as { logout?: unknown } | undefined)?.logout);
    const note: SignOut = {
      accountId: session.accountId,
      clientId,
      scope: all ? 'all' : 'client',
      clients: all ? Object.keys(session.authorizations ?? {}) : clientId ? [clientId] : [],
      ip: clientIpOf(ctx),
    };
    (ctx.state as Record<symbol, unknown>)[SIGN_OUT] = note;
  });

  return async (ctx, next) => {
    await next();
    const note = (ctx.state as Record<symbol, SignOut | undefined>)[SIGN_OUT];
    if (!note) return;
    try {
      const user = await deps.accounts.findById(note.accountId);
      await deps.audit.append({
        type: 'sign_out',
        actor: note.accountId,
        subject: note.clientId,
        data: { username: user?.username ?? null, clientId: note.clientId, scope: note.scope, clients: note.clients, ip: note.ip },
      });
    } catch (error) {
      // The person is already signed out; a failed record must not turn that into an error page.
      deps.log.error({ err: error, accountId: note.accountId }, 'sign-out could not be audited');
    }
  };
}
