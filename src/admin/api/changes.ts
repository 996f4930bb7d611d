/**
 * Admin changes in the audit log: who (the principal), what (resource, action, id) and the state
 * before and after, on the same hash chain as sign-ins. Callers pass views without secrets: no
 * password hashes, client secrets or key material ever reach the log.
 */
import type { AuditLog } from '../../audit/log.ts';
import type { Call } from './operation.ts';

export type ChangeAction = 'create' | 'update' | 'delete' | 'import' | 'activate' | 'revoke' | 'disable' | 'enable' | 'reset_credentials' | 'enrollment_link' | 'export';

export interface Change {
  resource: string;
  action: ChangeAction;
  id: string;
  before?: unknown;
  after?: unknown;
  /** Anything else worth keeping (counts of an import, a version number). */
  details?: Record<string, unknown>;
}

export function createChanges(audit: AuditLog) {
  return {
    async record(call: Call, change: Change): Promise<void> {
      await audit.append({
        type: `admin.${change.resource}.${change.action}`,
        actor: call.principal.actor,
        subject: `${change.resource}/${change.id}`,
        data: {
          resource: change.resource,
          action: change.action,
          id: change.id,
          actor: { kind: call.principal.kind, name: call.principal.name, ...(call.principal.kind === 'user' ? { username: call.principal.username, via: call.principal.via } : { clientId: call.principal.clientId }) },
          ip: call.ip,
          before: change.before ?? null,
          after: change.after ?? null,
          ...(change.details ? { details: change.details } : {}),
        },
      });
    },
  };
}

export type Changes = ReturnType<typeof createChanges>;
