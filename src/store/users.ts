/** Queries for `users`. Usernames are unique by their normalised key (see accounts/usernames.ts). */
import { escapeLike, type Db } from './db.ts';

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
    /** Display names by account id, in one query. */
    async displayNames(ids: readonly string[]): Promise<Map<string, string>> {
      if (ids.length === 0) return new Map();
      const rows = await table().whereIn('id', [...ids]).select('id', 'display_name');
      return new Map(rows.map((row) => [row.id, row.display_name]));
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
    /**
     * A page of users in username-key order, after `afterKey` when given. `q` matches a part of the
     * username (by its key), display name or email, ignoring case (ASCII letters only on SQLite,
     * whose lower() folds no others); `role` one of the roles exactly.
     */
    async search(filter: { q?: string; qKey?: string; role?: string; disabled?: boolean; afterKey?: string; limit: number }): Promise<UserRow[]> {
      const query = table().orderBy('username_key').limit(filter.limit);
      if (filter.afterKey !== undefined) query.where('username_key', '>', filter.afterKey);
      if (filter.disabled !== undefined) query.where({ disabled: filter.disabled });
      // Roles are a JSON array of lower-case names, digits and "-": the quoted name matches one whole role.
      if (filter.role !== undefined) query.where('roles', 'like', `%${JSON.stringify(filter.role)}%`);
      if (filter.q !== undefined) {
        const like = (text: string) => `%${escapeLike(text)}%`;
        const q = like(filter.q.toLowerCase());
        query.where((w) =>
          w
            .whereRaw("username_key like ? escape '\\'", [like(filter.qKey ?? filter.q!.toLowerCase())])
            .orWhereRaw("lower(display_name) like ? escape '\\'", [q])
            .orWhereRaw("lower(email) like ? escape '\\'", [q]),
        );
      }
      return query;
    },
    /** How many security keys each of these users has (users without any are left out). */
    async securityKeyCounts(ids: string[]): Promise<Map<string, number>> {
      if (!ids.length) return new Map();
      const rows = (await db('webauthn_credentials').whereIn('user_id', ids).groupBy('user_id').select('user_id').count({ n: '*' })) as Array<{ user_id: string; n: number | string }>;
      return new Map(rows.map((r) => [r.user_id, Number(r.n)]));
    },
  };
}

export type UserStore = ReturnType<typeof createUserStore>;
