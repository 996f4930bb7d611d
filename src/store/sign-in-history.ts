/** Queries for `sign_in_history`: where and on what device each user signed in, and how it ended. */
import type { Db } from './db.ts';

export interface HistoryRow {
  user_id: string;
  at: number;
  ip: string;
  country: string | null;
  latitude: number | null;
  longitude: number | null;
  accuracy_km: number | null;
  device_hash: string;
  outcome: 'success' | 'step_up' | 'deny';
  /** The assurance a success reached (null for the others and for rows from before it was kept). */
  acr?: string | null;
}

export function createHistoryStore(db: Db) {
  const table = () => db<HistoryRow>('sign_in_history');
  return {
    async insert(row: HistoryRow): Promise<void> {
      await table().insert(row);
    },
    async lastSuccess(userId: string, before: number): Promise<HistoryRow | undefined> {
      return table().where({ user_id: userId, outcome: 'success' }).andWhere('at', '<', before).orderBy('at', 'desc').first();
    },
    async deviceSeen(userId: string, deviceHash: string, since: number): Promise<boolean> {
      const row = await table().where({ user_id: userId, device_hash: deviceHash, outcome: 'success' }).andWhere('at', '>=', since).first('at');
      return row !== undefined;
    },
  };
}

export type HistoryStore = ReturnType<typeof createHistoryStore>;
