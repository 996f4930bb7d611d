/**
 * The dashboard: the last 24 hours of sign-in decisions by outcome, the findings seen most often,
 * and what report-only rules would have decided. Operation: decisionSummary.
 */
import type { PageDeps } from '../routes.ts';
import { findingLabel, OUTCOME_LABELS } from '../format.ts';
import type { z } from 'zod';
import type { summarySchema } from '../../api/resources/decisions.ts';

type DecisionSummary = z.output<typeof summarySchema>;

export function dashboardPages({ router, kit }: PageDeps) {
  router.get('/', async (ctx) => {
    const summary = await kit.invoke<DecisionSummary>(ctx, 'decisionSummary', { query: { hours: '24' } });
    kit.render(ctx, 'dashboard', { title: 'Dashboard', nav: 'dashboard', summary, outcomes: OUTCOME_LABELS, findingLabel });
  });
}
