/** Queries for `decisions`: every sign-in decision with its findings, rules and context. */
import { chunks, isPostgres, type Db } from './db.ts';

export interface DecisionRow {
  id: string;
  at: number;
  phase: 'pre_password' | 'password' | 'session';
  user_id: string | null;
  username: string | null;
  client_id: string;
  outcome: string;
  score: number;
  findings: string;
  determining_rules: string;
  report_only: string;
  required_acr: string | null;
  session_lifetime: number | null;
  policy_version: number;
  ip: string;
  country: string | null;
  terminal_id: string | null;
  user_agent: string | null;
  /** The relying app's sensitivity when it decided (null on rows from before it was kept). */
  client_sensitivity?: 'standard' | 'high' | null;
  /** JSON array of the acr values the app asked for (null on rows from before it was kept). */
  requested_acr?: string | null;
}

export interface DecisionFilter {
  userId?: string;
  username?: string;
  outcome?: string;
  phase?: DecisionRow['phase'];
  clientId?: string;
  from?: number;
  to?: number;
}

/** The rows of a raw query: an array on SQLite, `{ rows }` on PostgreSQL. */
const rowsOf = (result: unknown): unknown[] => (Array.isArray(result) ? result : ((result as { rows: unknown[] }).rows ?? []));

export function createDecisionStore(db: Db) {
  const table = () => db<DecisionRow>('decisions');
  return {
    async insert(row: DecisionRow): Promise<void> {
      await table().insert(row);
    },
    async find(id: string): Promise<DecisionRow | undefined> {
      return table().where({ id }).first();
    },
    /**
     * Decisions at or after `from` and before `to` (epoch ms), in (at, id) order, the next `limit`
     * after `after`: replay reads a window a page at a time (policy/replay.ts).
     */
    async pageForReplay(from: number, to: number, after: { at: number; id: string } | null, limit: number): Promise<DecisionRow[]> {
      const query = table().where('at', '>=', from).andWhere('at', '<', to);
      if (after) query.andWhere((q) => q.where('at', '>', after.at).orWhere((same) => same.where('at', '=', after.at).andWhere('id', '>', after.id)));
      return query.orderBy([{ column: 'at' }, { column: 'id' }]).limit(limit);
    },
    async latestFor(userId: string): Promise<DecisionRow | undefined> {
      return table().where({ user_id: userId }).whereNot({ phase: 'pre_password' }).orderBy('at', 'desc').first();
    },

    /**
     * A page of decisions, newest first (by time, then id), after the keyset `before` when given.
     * `from` is inclusive, `to` exclusive (epoch ms).
     */
    async listPage(filter: DecisionFilter, before: { at: number; id: string } | undefined, limit: number): Promise<DecisionRow[]> {
      const query = table().orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit);
      if (filter.userId !== undefined) query.where({ user_id: filter.userId });
      if (filter.username !== undefined) query.where({ username: filter.username });
      if (filter.outcome !== undefined) query.where({ outcome: filter.outcome });
      if (filter.phase !== undefined) query.where({ phase: filter.phase });
      if (filter.clientId !== undefined) query.where({ client_id: filter.clientId });
      if (filter.from !== undefined) query.where('at', '>=', filter.from);
      if (filter.to !== undefined) query.where('at', '<', filter.to);
      if (before) query.where((w) => w.where('at', '<', before.at).orWhere((same) => same.where('at', before.at).andWhere('id', '<', before.id)));
      return query;
    },

    /** Decisions by id (for explaining audit entries); unknown ids are left out. */
    async findMany(ids: readonly string[]): Promise<DecisionRow[]> {
      const rows: DecisionRow[] = [];
      for (const chunk of chunks(ids, 500)) rows.push(...(await table().whereIn('id', chunk)));
      return rows;
    },

    /** How many decisions since `since` (epoch ms) had each outcome. */
    async outcomeCounts(since: number): Promise<Record<string, number>> {
      const rows = (await table().where('at', '>=', since).groupBy('outcome').select('outcome').count({ n: '*' })) as Array<{ outcome: string; n: number | string }>;
      return Object.fromEntries(rows.map((r) => [r.outcome, Number(r.n)]));
    },

    /** The finding codes seen most often since `since`, counted in SQL over the JSON `findings` column. */
    async findingCounts(since: number, limit: number): Promise<Array<{ code: string; count: number }>> {
      const sql = isPostgres(db)
        ? `select f->>'code' as code, count(*) as n from decisions d cross join lateral jsonb_array_elements(d.findings::jsonb) f where d.at >= ? group by 1 order by count(*) desc, (f->>'code') collate "C" asc limit ?`
        : `select json_extract(f.value, '$.code') as code, count(*) as n from decisions d, json_each(d.findings) f where d.at >= ? group by 1 order by 2 desc, 1 asc limit ?`;
      return (rowsOf(await db.raw(sql, [since, limit])) as Array<{ code: string; n: number | string }>).map((r) => ({ code: r.code, count: Number(r.n) }));
    },

    /** Report-only rules that matched since `since`, with what they would have decided, counted in SQL. */
    async reportOnlyCounts(since: number, limit: number): Promise<Array<{ rule: string; wouldBe: string; count: number }>> {
      const sql = isPostgres(db)
        ? `select r->>'rule' as rule, r->>'wouldBe' as would_be, count(*) as n from decisions d cross join lateral jsonb_array_elements(d.report_only::jsonb) r where d.at >= ? group by 1, 2 order by count(*) desc, (r->>'rule') collate "C" asc, (r->>'wouldBe') collate "C" asc limit ?`
        : `select json_extract(r.value, '$.rule') as rule, json_extract(r.value, '$.wouldBe') as would_be, count(*) as n from decisions d, json_each(d.report_only) r where d.at >= ? group by 1, 2 order by 3 desc, 1 asc, 2 asc limit ?`;
      return (rowsOf(await db.raw(sql, [since, limit])) as Array<{ rule: string; would_be: string; n: number | string }>).map((r) => ({ rule: r.rule, wouldBe: r.would_be, count: Number(r.n) }));
    },
  };
}

export type DecisionStore = ReturnType<typeof createDecisionStore>;
