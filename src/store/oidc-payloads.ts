/** Queries for `oidc_payloads`: every oidc-provider artifact (sessions, codes, tokens, grants…). */
import { chunks, type Db } from './db.ts';

export interface PayloadRow {
  type: string;
  id: string;
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  account_id: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

export function createPayloadStore(db: Db) {
  const table = () => db<PayloadRow>('oidc_payloads');
  /** Deletes grants outright: each Grant itself and every code and token issued under it. */
  const deleteGrants = (grantIds: readonly string[]) =>
    table()
      .whereIn('grant_id', [...grantIds])
      .orWhere((q) => q.where({ type: 'Grant' }).whereIn('id', [...grantIds]))
      .delete();
  return {
    async upsert(row: PayloadRow): Promise<void> {
      await table().insert(row).onConflict(['type', 'id']).merge(['payload', 'grant_id', 'user_code', 'uid', 'account_id', 'expires_at']);
    },
    async findBy(type: string, where: Partial<Pick<PayloadRow, 'id' | 'uid' | 'user_code'>>, now: number): Promise<PayloadRow | undefined> {
      return table()
        .where({ type, ...where })
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now))
        .first();
    },
    /** Atomically marks an artifact consumed; true only for the one caller that did it. */
    async consume(type: string, id: string, now: number): Promise<boolean> {
      const changed = await table().where({ type, id }).whereNull('consumed_at').update({ consumed_at: now });
      return changed === 1;
    },
    async grantIdOf(type: string, id: string): Promise<string | null> {
      const row = await table().where({ type, id }).first('grant_id');
      return row?.grant_id ?? null;
    },
    async destroy(type: string, id: string): Promise<void> {
      await table().where({ type, id }).delete();
    },
    /** Deletes one model's artifacts of a grant (oidc-provider calls this per model). */
    async revokeByGrantId(type: string, grantId: string): Promise<number> {
      return table().where({ type, grant_id: grantId }).delete();
    },
    /** Revokes a grant outright: the Grant itself and every code and token issued under it. */
    async revokeGrant(grantId: string): Promise<number> {
      return deleteGrants([grantId]);
    },
    /** Ends everything an account holds: sessions, grants, codes and tokens. */
    async revokeByAccountId(accountId: string): Promise<number> {
      const grants = db<PayloadRow>('oidc_payloads').where({ account_id: accountId }).whereNotNull('grant_id').select('grant_id');
      return table().where({ account_id: accountId }).orWhereIn('grant_id', grants).delete();
    },
    /**
     * Ends everything issued to a client: its grants and every code and token, whether under a grant
     * or not (client credentials). The payload has no column for the client, so the rows are found
     * by text and each confirmed by its parsed `clientId`.
     */
    async revokeByClientId(clientId: string): Promise<number> {
      const candidates = await table().where('payload', 'like', `%"clientId":${JSON.stringify(clientId)}%`).select('type', 'id', 'payload', 'grant_id');
      const mine = candidates.filter((row) => (JSON.parse(row.payload) as { clientId?: unknown }).clientId === clientId);
      if (mine.length === 0) return 0;
      const grants = [...new Set(mine.map((row) => (row.type === 'Grant' ? row.id : row.grant_id)).filter((id): id is string => Boolean(id)))];
      // A statement per model and thousand rows, then per thousand grants; not one per row.
      let removed = 0;
      for (const [type, rows] of Map.groupBy(mine, (row) => row.type)) {
        for (const ids of chunks(rows.map((row) => row.id))) removed += await table().where({ type }).whereIn('id', ids).delete();
      }
      for (const grantIds of chunks(grants)) removed += await deleteGrants(grantIds);
      return removed;
    },
    async deleteExpired(now: number): Promise<number> {
      return table().whereNotNull('expires_at').andWhere('expires_at', '<=', now).delete();
    },
  };
}

export type PayloadStore = ReturnType<typeof createPayloadStore>;
