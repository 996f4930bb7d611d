/** Queries for `audit_log`: append-only rows, each carrying the hash of the one before it. */
import type { Knex } from 'knex';
import { countRows, escapeLike, type Db } from './db.ts';

export interface AuditRow {
  id?: number;
  at: number;
  type: string;
  actor: string | null;
  subject: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

/** An entry with the username and display name of its actor when the actor is a user. */
export interface AuditListRow extends AuditRow {
  actor_username: string | null;
  actor_display_name: string | null;
}

/**
 * `type` matches exactly, `typePrefix` the start of the type (`admin.`); `actors` any of these
 * actors; `from` inclusive and `to` exclusive (epoch ms); `afterId` only entries after that id.
 */
export interface AuditFilter {
  type?: string;
  typePrefix?: string;
  actors?: readonly string[];
  subject?: string;
  from?: number;
  to?: number;
  afterId?: number;
}

const likePrefix = (text: string) => `${escapeLike(text)}%`;

function applyFilter(query: Knex.QueryBuilder, filter: AuditFilter): Knex.QueryBuilder {
  if (filter.type !== undefined) query.where('audit_log.type', filter.type);
  if (filter.typePrefix !== undefined) query.whereRaw("audit_log.type like ? escape '\\'", [likePrefix(filter.typePrefix)]);
  if (filter.actors !== undefined) query.whereIn('audit_log.actor', [...filter.actors]);
  if (filter.subject !== undefined) query.where('audit_log.subject', filter.subject);
  if (filter.from !== undefined) query.where('audit_log.at', '>=', filter.from);
  if (filter.to !== undefined) query.where('audit_log.at', '<', filter.to);
  if (filter.afterId !== undefined) query.where('audit_log.id', '>', filter.afterId);
  return query;
}

export function createAuditStore(db: Db) {
  const table = () => db<AuditRow>('audit_log');
  const filtered = (filter: AuditFilter) =>
    applyFilter(
      db('audit_log').leftJoin('users', 'users.id', 'audit_log.actor').select('audit_log.*', 'users.username as actor_username', 'users.display_name as actor_display_name'),
      filter,
    ) as Knex.QueryBuilder<AuditListRow, AuditListRow[]>;
  return {
    async last(): Promise<AuditRow | undefined> {
      return table().orderBy('id', 'desc').first();
    },
    async insert(row: AuditRow): Promise<void> {
      await table().insert(row);
    },
    async page(afterId: number, limit: number): Promise<AuditRow[]> {
      return table().where('id', '>', afterId).orderBy('id').limit(limit);
    },

    /** A page of entries, newest first, with ids below `beforeId` when given; a user actor's username joined. */
    async listPage(filter: AuditFilter, beforeId: number | undefined, limit: number): Promise<AuditListRow[]> {
      const query = filtered(filter).orderBy('audit_log.id', 'desc').limit(limit);
      if (beforeId !== undefined) query.where('audit_log.id', '<', beforeId);
      return query;
    },

    /** How many entries match (to bound an export before reading it). */
    async countMatching(filter: AuditFilter): Promise<number> {
      return countRows(applyFilter(db('audit_log'), filter));
    },

    /** Every matching entry in chain order (oldest first), up to `limit`; for exports. */
    async matching(filter: AuditFilter, limit: number): Promise<AuditListRow[]> {
      return filtered(filter).orderBy('audit_log.id', 'asc').limit(limit);
    },
  };
}
