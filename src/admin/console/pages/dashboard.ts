/**
 * The dashboard: the last 24 hours of sign-in decisions by outcome, the findings seen most often,
 * and what report-only rules would have decided. Operation: decisionSummary.
 */
import type { PageDeps } from '../routes.ts';

export function dashboardPages({ router, kit }: PageDeps) {
  router.get('/', async (ctx) => {
    const to = new Date();
    const from = new Date(to.getTime() - 24 * 3600_000);
    const summary = kit.has('decisionSummary') ? await kit.invoke(ctx, 'decisionSummary', { query: { from: from.toISOString(), to: to.toISOString() } }) : undefined;
    kit.render(ctx, 'dashboard', { title: 'Dashboard', nav: 'dashboard', summary, from, to });
  });
}
