/** Queries for `users`. Usernames are unique by their normalised key (see accounts/usernames.ts). */
import type { Db } from './db.ts';

export interface UserRow {
  id: string;
  username: string;
  username_key: string;
  display_name: string;
  email: string | null;
  roles: string;
  fhir_user: string | null;
  password_hash: string | null;
  disabled: boolean | number;
  created_at: number;
  updated_at: number;
}

export function createUserStore(db: Db) {
  const table = () => db<UserRow>('users');
  return {
    async findById(id: string): Promise<UserRow | undefined> {
      return table().where({ id }).first();
    },
    async findByKey(usernameKey: string): Promise<UserRow | undefined> {
      return table().where({ username_key: usernameKey }).first();
    },
    /** Inserts unless the username is taken; true when inserted. */
    async insertIfAbsent(row: UserRow): Promise<boolean> {
      const inserted = await table().insert(row).onConflict('username_key').ignore().returning('id');
      return inserted.length === 1;
    },
    async update(id: string, changes: Partial<Omit<UserRow, 'id' | 'created_at'>>): Promise<number> {
      return table().where({ id }).update(changes);
    },
  };
}

export type UserStore = ReturnType<typeof createUserStore>;
