/**
 * Ward terminals: list by site and status, register one (its one-time enrollment link shown once,
 * with a QR code for the workstation to scan), a new link for a terminal that lost its credential,
 * and revoking one for good after a confirmation. Operations: listTerminals, createTerminal,
 * getTerminal, updateTerminal, reissueTerminalEnrollment, listSites.
 */
import type { ParameterizedContext } from 'koa';
import type { PageDeps } from '../routes.ts';
import { when } from '../format.ts';
import { defined, formOf, optional, queryText, type Failure } from '../kit.ts';
import { qrSvg } from '../qr.ts';
import type { z } from 'zod';
import type { pendingTerminalSchema, terminalSchema } from '../../api/resources/terminals.ts';

type Terminal = z.output<typeof terminalSchema>;
type Pending = z.output<typeof pendingTerminalSchema>;

const LABELS = { name: 'Name', siteId: 'Site', unit: 'Unit' };
export const STATUS_LABELS: Record<string, string> = { pending: 'Waiting for enrollment', active: 'Active', revoked: 'Revoked' };

export function terminalPages({ router, kit, form }: PageDeps) {
  const page = async (ctx: ParameterizedContext, extra: { values?: Record<string, unknown>; failure?: Failure; created?: Pending & { qr: string } } = {}, status = 200) => {
    const siteId = queryText(ctx, 'siteId');
    const state = queryText(ctx, 'status');
    const [{ items: sites }, found] = await Promise.all([
      kit.invoke<{ items: Array<{ id: string; name: string }> }>(ctx, 'listSites'),
      kit.attempt<{ items: Terminal[] }>(ctx, 'listTerminals', { query: defined({ siteId: optional(siteId), status: optional(state) }) }),
    ]);
    kit.render(
      ctx,
      'terminals',
      {
        title: 'Terminals',
        nav: 'terminals',
        terminals: found.ok ? found.value.items : [],
        searchFailure: found.ok ? undefined : found,
        sites,
        siteNames: Object.fromEntries(sites.map((s) => [s.id, s.name])),
        filters: { siteId, status: state },
        values: extra.values ?? (siteId ? { siteId } : {}),
        failure: extra.failure,
        created: extra.created,
        labels: LABELS,
        statuses: STATUS_LABELS,
        when,
      },
      status,
    );
  };

  /** The enrollment link, with its QR code, in this answer only: no redirect, nothing kept to show it again. */
  const showLink = async (ctx: ParameterizedContext, pending: Pending) =>
    page(ctx, { created: { ...pending, qr: await qrSvg(pending.enrollmentUrl, `Enrollment link of ${pending.name} as a QR code`) } });

  router.get('/terminals', (ctx) => page(ctx));

  router.post('/terminals', form, async (ctx) => {
    const values = formOf(ctx);
    const result = await kit.attempt<Pending>(ctx, 'createTerminal', { body: defined({ name: optional(values.name) ?? '', siteId: optional(values.siteId) ?? '', unit: optional(values.unit) }) });
    if (!result.ok) return page(ctx, { values, failure: result }, result.status);
    await showLink(ctx, result.value);
  });

  /** The terminal the path names; an unknown one is the error page's 404. */
  const found = (ctx: ParameterizedContext) => kit.invoke<Terminal>(ctx, 'getTerminal', { params: { id: ctx.params.id } });

  router.get('/terminals/:id/revoke', async (ctx) => {
    const terminal = await found(ctx);
    kit.render(ctx, 'terminal-revoke', { title: `Revoke ${terminal.name}?`, nav: 'terminals', terminal });
  });

  router.post('/terminals/:id/revoke', form, async (ctx) => {
    const terminal = await found(ctx);
    const result = await kit.attempt<Terminal>(ctx, 'updateTerminal', { params: { id: terminal.id }, body: { status: 'revoked' } });
    if (!result.ok) return kit.render(ctx, 'terminal-revoke', { title: `Revoke ${terminal.name}?`, nav: 'terminals', terminal, failure: result }, result.status);
    kit.redirect(ctx, '/admin/terminals', `Terminal "${terminal.name}" revoked: sign-ins from it now count as from an unknown device.`);
  });

  router.post('/terminals/:id/reissue', form, async (ctx) => {
    const terminal = await found(ctx);
    const result = await kit.attempt<Pending>(ctx, 'reissueTerminalEnrollment', { params: { id: terminal.id } });
    if (!result.ok) return page(ctx, { failure: result }, result.status);
    await showLink(ctx, result.value);
  });
}
