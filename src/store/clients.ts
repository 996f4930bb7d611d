/** Queries for `clients`: relying apps' metadata, their secret sealed apart from it. */
import type { Db } from './db.ts';

export interface ClientRow {
  client_id: string;
  metadata: string;
  secret_encrypted: string | null;
  created_at: number;
  updated_at: number;
}

export function createClientStore(db: Db) {
  const table = () => db<ClientRow>('clients');
  return {
    async find(clientId: string): Promise<ClientRow | undefined> {
      return table().where({ client_id: clientId }).first();
    },
    async list(): Promise<ClientRow[]> {
      return table().orderBy('client_id');
    },
    /** Inserts unless the id exists; true when inserted. */
    async insertIfAbsent(row: ClientRow): Promise<boolean> {
      const inserted = await table().insert(row).onConflict('client_id').ignore().returning('client_id');
      return inserted.length === 1;
    },
    /** Replaces a client's metadata (the secret stays); true when the client exists. */
    async updateMetadata(clientId: string, metadata: string, updatedAt: number): Promise<boolean> {
      return (await table().where({ client_id: clientId }).update({ metadata, updated_at: updatedAt })) === 1;
    },
    async delete(clientId: string): Promise<number> {
      return table().where({ client_id: clientId }).delete();
    },
  };
}

export type ClientStore = ReturnType<typeof createClientStore>;
