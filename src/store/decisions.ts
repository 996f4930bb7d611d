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
    async latestFor(userId: string): Promise<DecisionRow | undefined> {
      return table().where({ user_id: userId }).whereNot({ phase: 'pre_password' }).orderBy('at', 'desc').first();
    },
  };
}

export type DecisionStore = ReturnType<typeof createDecisionStore>;
