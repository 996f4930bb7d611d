/**
 * The dashboard: the last 24 hours of sign-in decisions by outcome, the findings seen most often,
 * and what report-only rules would have decided. Operation: decisionSummary.
 */
import type { PageDeps } from '../routes.ts';
import { findingLabel, OUTCOME_LABELS } from '../format.ts';

interface DecisionSummary {
  since: string;
  hours: number;
  total: number;
  byOutcome: { allow: number; step_up: number; deny: number };
  topFindings: Array<{ code: string; count: number }>;
  reportOnlyHits: Array<{ rule: string; wouldBe: string; count: number }>;
}

export function dashboardPages({ router, kit }: PageDeps) {
  router.get('/', async (ctx) => {
    const summary = await kit.invoke<DecisionSummary>(ctx, 'decisionSummary', { query: { hours: '24' } });
    kit.render(ctx, 'dashboard', { title: 'Dashboard', nav: 'dashboard', summary, outcomes: OUTCOME_LABELS, findingLabel });
  });
}
