/**
 * Decisions and audit. Recorded sign-in decisions, filtered by person, outcome and time, each read
 * as sentences for the service desk, and one decision by its reference; the audit log filtered by
 * type, actor, subject and time, with the hash chain's verification and the FHIR export.
 * Operations: listDecisions, getDecision, listAudit, verifyAudit (exportAudit is linked: the
 * session cookie authorises the download).
 */
import type { ParameterizedContext } from 'koa';
import type { PageDeps } from '../routes.ts';
import { instantOf, OUTCOME_LABELS, when } from '../format.ts';
import { defined, optional } from '../kit.ts';
import { zonesFor } from './zones.ts';

const text = (ctx: ParameterizedContext, name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string) : '');

/** The same page's address with another cursor (the filters kept). */
const withCursor = (ctx: ParameterizedContext, cursor: string) => {
  const params = new URLSearchParams(ctx.querystring);
  params.set('cursor', cursor);
  return `${ctx.path}?${params}`;
};
const withoutCursor = (ctx: ParameterizedContext) => {
  const params = new URLSearchParams(ctx.querystring);
  params.delete('cursor');
  return `${ctx.path}${params.size ? `?${params}` : ''}`;
};

export function decisionPages({ router, kit }: PageDeps) {
  router.get('/decisions', async (ctx) => {
    const reference = text(ctx, 'reference').trim();
    if (reference) return ctx.redirect(`/admin/decisions/${encodeURIComponent(reference)}`);
    const { zone, zones } = await zonesFor(kit, ctx, ctx.query.zone);
    const filters = { username: text(ctx, 'username'), outcome: text(ctx, 'outcome'), from: text(ctx, 'from'), to: text(ctx, 'to'), zone };
    const query = defined({
      username: optional(filters.username),
      outcome: optional(filters.outcome),
      from: instantOf(filters.from, zone),
      to: instantOf(filters.to, zone),
      cursor: optional(text(ctx, 'cursor')),
      limit: '25',
    });
    const found = await kit.attempt<{ items: Array<Record<string, unknown>>; nextCursor: string | null }>(ctx, 'listDecisions', { query });
    kit.render(
      ctx,
      'decisions',
      {
        title: 'Decisions',
        nav: 'decisions',
        filters,
        zones,
        decisions: found.ok ? found.value.items : [],
        failure: found.ok ? undefined : found,
        next: found.ok && found.value.nextCursor ? withCursor(ctx, found.value.nextCursor) : undefined,
        first: query.cursor ? withoutCursor(ctx) : undefined,
        outcomes: OUTCOME_LABELS,
        when,
      },
      found.ok ? 200 : found.status,
    );
  });

  router.get('/decisions/:id', async (ctx) => {
    const found = await kit.attempt<Record<string, unknown>>(ctx, 'getDecision', { params: { id: ctx.params.id } });
    if (!found.ok) return ctx.throw(found.status, found.status === 404 ? `No decision has the reference "${ctx.params.id}".` : found.message);
    const { zone, zones } = await zonesFor(kit, ctx, ctx.query.zone);
    kit.render(ctx, 'decision', { title: `Decision ${ctx.params.id}`, nav: 'decisions', decision: found.value, zone, zones, outcomes: OUTCOME_LABELS, when });
  });

  router.get('/audit', async (ctx) => {
    const { zone, zones } = await zonesFor(kit, ctx, ctx.query.zone);
    const filters = { type: text(ctx, 'type'), actor: text(ctx, 'actor'), subject: text(ctx, 'subject'), from: text(ctx, 'from'), to: text(ctx, 'to'), zone };
    const window = defined({ from: instantOf(filters.from, zone), to: instantOf(filters.to, zone) });
    const query = defined({ type: optional(filters.type), actor: optional(filters.actor), subject: optional(filters.subject), ...window, cursor: optional(text(ctx, 'cursor')), limit: '50' });
    const [found, verification] = await Promise.all([
      kit.attempt<{ items: Array<Record<string, unknown>>; nextCursor: string | null }>(ctx, 'listAudit', { query }),
      kit.invoke<{ valid: boolean; checked: number; firstBrokenId?: number }>(ctx, 'verifyAudit'),
    ]);
    const exportQuery = (format: string) => `/admin/api/v1/audit/export?${new URLSearchParams({ format, ...window } as Record<string, string>)}`;
    kit.render(
      ctx,
      'audit',
      {
        title: 'Audit log',
        nav: 'audit',
        filters,
        zones,
        entries: found.ok ? found.value.items : [],
        failure: found.ok ? undefined : found,
        next: found.ok && found.value.nextCursor ? withCursor(ctx, found.value.nextCursor) : undefined,
        first: query.cursor ? withoutCursor(ctx) : undefined,
        verification,
        fhir: exportQuery('fhir'),
        ndjson: exportQuery('ndjson'),
        when,
      },
      found.ok ? 200 : found.status,
    );
  });
}
