/** Queries for `decisions`: every sign-in decision with its findings, rules and context. */
import type { Db } from './db.ts';

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
  };
}

export type DecisionStore = ReturnType<typeof createDecisionStore>;
