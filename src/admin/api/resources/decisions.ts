/**
 * /decisions: the recorded sign-in decisions, explained in sentences for the service desk ("why was
 * Dr Grey blocked?"), newest first with cursor pagination, and a summary of the last hours for the
 * console's dashboard (outcomes, top findings, report-only hits), counted in SQL.
 */
import { z } from 'zod';
import { AppError } from '../../../errors.ts';
import { explain, explainFinding, type ExplainContext } from '../../../risk/explain.ts';
import { decisionOf } from '../../../signin/assessor.ts';
import type { DecisionRow } from '../../../store/decisions.ts';
import type { AdminDeps } from '../deps.ts';
import { operation } from '../operation.ts';
import { checkWindow, idParams, pageLimit, windowQuery } from '../router.ts';

export const outcomeSchema = z.enum(['allow', 'step_up', 'deny']);
export const phaseSchema = z.enum(['pre_password', 'password', 'session']);

export const decisionSchema = z
  .object({
    id: z.string().meta({ description: 'The decision id, shown as the reference on a blocked or step-up page' }),
    at: z.string().meta({ description: 'ISO 8601 UTC' }),
    phase: phaseSchema.meta({ description: 'pre_password: judged before the password (recorded only when it blocked); password: after the password; session: an existing session re-checked' }),
    username: z.string().nullable(),
    userId: z.string().nullable(),
    clientId: z.string(),
    outcome: outcomeSchema,
    score: z.number(),
    findings: z.array(
      z.object({
        code: z.string(),
        points: z.number(),
        details: z.record(z.string(), z.unknown()),
        sentence: z.string().meta({ description: 'The finding in words, with its points' }),
      }),
    ),
    determiningRules: z.array(z.string()).meta({ description: 'threshold:stepUp, threshold:deny, rule:<id>, failure_mode:<signal>' }),
    reportOnly: z.array(z.object({ rule: z.string(), wouldBe: outcomeSchema })),
    requiredAcr: z.string().nullable(),
    sessionLifetime: z.number().meta({ description: 'Seconds' }),
    policyVersion: z.number().int(),
    ip: z.string(),
    country: z.string().nullable(),
    terminalId: z.string().nullable(),
    userAgent: z.string().nullable().meta({ description: 'The device as summarised when deciding (browser, version, OS)' }),
    explanation: z.array(z.string()).meta({ description: 'The verdict, then one sentence per finding, then report-only hits' }),
  })
  .meta({ id: 'Decision' });

export const summarySchema = z
  .object({
    since: z.string().meta({ description: 'Start of the window, ISO 8601 UTC; the window ends now' }),
    hours: z.number().int(),
    total: z.number().int(),
    byOutcome: z.object({ allow: z.number().int(), step_up: z.number().int(), deny: z.number().int() }),
    topFindings: z.array(z.object({ code: z.string(), count: z.number().int() })).meta({ description: 'The ten finding codes seen in most decisions, most first' }),
    reportOnlyHits: z.array(z.object({ rule: z.string(), wouldBe: outcomeSchema, count: z.number().int() })).meta({ description: 'Report-only rules that matched, with what they would have decided' }),
  })
  .meta({ id: 'DecisionSummary' });

const listQuery = z
  .object({
    username: z.string().min(1).max(255).optional().meta({ description: 'Decisions about this person (their account, by username)' }),
    outcome: outcomeSchema.optional(),
    phase: phaseSchema.optional(),
    clientId: z.string().min(1).max(255).optional().meta({ description: 'The relying app' }),
    ...windowQuery,
    limit: pageLimit,
    cursor: z.string().max(200).optional().meta({ description: 'nextCursor of the previous page' }),
  })
  .strict();

export function decisionView(row: DecisionRow, context: ExplainContext = {}): z.output<typeof decisionSchema> {
  const decision = decisionOf(row);
  return {
    id: row.id,
    at: new Date(Number(row.at)).toISOString(),
    phase: row.phase,
    username: row.username,
    userId: row.user_id,
    clientId: row.client_id,
    outcome: decision.outcome,
    score: decision.score,
    findings: decision.findings.map((f) => ({ code: f.code, points: f.points, details: f.details ?? {}, sentence: explainFinding(f, context) })),
    determiningRules: decision.determiningRules,
    reportOnly: decision.reportOnly,
    requiredAcr: decision.requiredAcr,
    sessionLifetime: decision.sessionLifetime,
    policyVersion: decision.policyVersion,
    ip: row.ip,
    country: row.country,
    terminalId: row.terminal_id,
    userAgent: row.user_agent,
    explanation: explain(decision, context),
  };
}

/** Cursor: the last item's time and id, so the next page starts strictly after it. */
const encodeCursor = (row: DecisionRow) => Buffer.from(JSON.stringify([Number(row.at), row.id])).toString('base64url');

function decodeCursor(cursor: string): { at: number; id: string } {
  let value: unknown = null;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    // Not JSON: refused below, like any other cursor this API did not give out.
  }
  if (!Array.isArray(value) || value.length !== 2 || !Number.isSafeInteger(value[0]) || typeof value[1] !== 'string') {
    throw new AppError('invalid_input', 'cursor: not a cursor this API gave out', { details: { issues: [{ path: 'cursor', message: 'not a cursor this API gave out; use nextCursor of the previous page' }] } });
  }
  return { at: value[0] as number, id: value[1] as string };
}


export function decisionOperations(deps: AdminDeps) {
  /** Each decision with the sentences naming its person (display name) and sites. */
  const views = async (rows: DecisionRow[]) => {
    const [sites, people] = await Promise.all([deps.sites.names(), deps.users.displayNames([...new Set(rows.map((r) => r.user_id).filter((id): id is string => Boolean(id)))])]);
    return rows.map((row) => decisionView(row, { sites, person: (row.user_id && people.get(row.user_id)) || row.username || undefined }));
  };

  return [
    operation({
      id: 'listDecisions',
      method: 'get',
      path: '/decisions',
      tag: 'decisions',
      summary: 'Recorded sign-in decisions, newest first, explained',
      query: listQuery,
      response: {
        status: 200,
        description: 'A page of decisions; nextCursor is null on the last page',
        schema: z.object({ items: z.array(decisionSchema), nextCursor: z.string().nullable() }),
      },
      handle: async ({ query }) => {
        checkWindow(query);
        const before = query.cursor ? decodeCursor(query.cursor) : undefined;
        // By the account when the username is known (its decisions keep the user id), else as recorded.
        const user = query.username ? await deps.accounts.findByUsername(query.username) : undefined;
        const rows = await deps.decisions.listPage(
          {
            ...(user ? { userId: user.id } : query.username ? { username: query.username } : {}),
            outcome: query.outcome,
            phase: query.phase,
            clientId: query.clientId,
            from: query.from?.getTime(),
            to: query.to?.getTime(),
          },
          before,
          query.limit + 1,
        );
        const page = rows.slice(0, query.limit);
        return { items: await views(page), nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!) : null };
      },
    }),
    // Before /decisions/{id}: the router tries routes in this order, and "summary" is not an id.
    operation({
      id: 'decisionSummary',
      method: 'get',
      path: '/decisions/summary',
      tag: 'decisions',
      summary: 'Decisions of the last hours: by outcome, top findings, report-only hits',
      query: z.object({ hours: z.coerce.number().int().min(1).max(720).default(24).meta({ description: 'The window, ending now (1 to 720)' }) }).strict(),
      response: { status: 200, description: 'The summary', schema: summarySchema },
      handle: async ({ query }) => {
        const since = deps.now().getTime() - query.hours * 3600_000;
        const [outcomes, topFindings, reportOnly] = await Promise.all([
          deps.decisions.outcomeCounts(since),
          deps.decisions.findingCounts(since, 10),
          deps.decisions.reportOnlyCounts(since, 20),
        ]);
        const byOutcome = { allow: outcomes.allow ?? 0, step_up: outcomes.step_up ?? 0, deny: outcomes.deny ?? 0 };
        return {
          since: new Date(since).toISOString(),
          hours: query.hours,
          total: byOutcome.allow + byOutcome.step_up + byOutcome.deny,
          byOutcome,
          topFindings,
          reportOnlyHits: reportOnly.map((r) => ({ ...r, wouldBe: r.wouldBe as z.infer<typeof outcomeSchema> })),
        };
      },
    }),
    operation({
      id: 'getDecision',
      method: 'get',
      path: '/decisions/{id}',
      tag: 'decisions',
      summary: 'One decision, explained (the reference on a blocked or step-up page)',
      params: idParams,
      response: { status: 200, description: 'The decision', schema: decisionSchema },
      errors: [404],
      handle: async ({ params }) => {
        const row = await deps.decisions.find(params.id);
        if (!row) throw new AppError('not_found', `No decision "${params.id}".`);
        return (await views([row]))[0]!;
      },
    }),
  ];
}
