/**
 * Decisions and audit. Recorded sign-in decisions, filtered by person, outcome and time, each read
 * as sentences for the service desk, and one decision by its reference; the audit log filtered by
 * type, actor, subject and time, with the hash chain's verification and the FHIR export.
 * Operations: listDecisions, getDecision, listAudit, verifyAudit (exportAudit is linked: the
 * session cookie authorises the download).
 */
import type { PageDeps } from '../routes.ts';
import { instantOf, OUTCOME_LABELS, when } from '../format.ts';
import { defined, optional, pager, queryText } from '../kit.ts';
import { zonesFor } from './zones.ts';

export function decisionPages({ router, kit }: PageDeps) {
  router.get('/decisions', async (ctx) => {
    const reference = queryText(ctx, 'reference').trim();
    if (reference) return ctx.redirect(`/admin/decisions/${encodeURIComponent(reference)}`);
    const { zone, zones } = await zonesFor(kit, ctx, ctx.query.zone);
    const filters = { username: queryText(ctx, 'username'), outcome: queryText(ctx, 'outcome'), from: queryText(ctx, 'from'), to: queryText(ctx, 'to'), zone };
    const query = defined({
      username: optional(filters.username),
      outcome: optional(filters.outcome),
      from: instantOf(filters.from, zone),
      to: instantOf(filters.to, zone),
      cursor: optional(queryText(ctx, 'cursor')),
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
        ...pager(ctx, found.ok ? found.value.nextCursor : null),
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
    const filters = { type: queryText(ctx, 'type'), actor: queryText(ctx, 'actor'), subject: queryText(ctx, 'subject'), from: queryText(ctx, 'from'), to: queryText(ctx, 'to'), zone };
    const window = defined({ from: instantOf(filters.from, zone), to: instantOf(filters.to, zone) });
    const query = defined({ type: optional(filters.type), actor: optional(filters.actor), subject: optional(filters.subject), ...window, cursor: optional(queryText(ctx, 'cursor')), limit: '50' });
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
        ...pager(ctx, found.ok ? found.value.nextCursor : null),
        verification,
        fhir: exportQuery('fhir'),
        ndjson: exportQuery('ndjson'),
        when,
      },
      found.ok ? 200 : found.status,
    );
  });
}
