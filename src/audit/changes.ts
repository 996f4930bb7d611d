/**
 * Changes IT makes, in the audit log as `admin.<resource>.<action>`: who (an admin API caller, or a
 * person at the command line), what (resource, action, id) and the state before and after, on the
 * same hash chain as sign-ins. The admin API and the `wardgate` command record the same change
 * alike, so the export and its FHIR mapping read them alike. Callers pass views without secrets: no
 * password hashes, client secrets, enrollment links or key material ever reach the log.
 *
 * An entry belongs to its change: record it inside the change's unit of work
 * (store/unit-of-work.ts), so that both commit or neither does.
 */
import type { AuditLog } from './log.ts';

export type ChangeAction = 'create' | 'update' | 'delete' | 'import' | 'activate' | 'revoke' | 'disable' | 'enable' | 'reset_credentials' | 'enrollment_link' | 'export' | 'rotate';

export interface Change {
  resource: string;
  action: ChangeAction;
  id: string;
  before?: unknown;
  after?: unknown;
  /** Anything else worth keeping (counts of an import, a version number). */
  details?: Record<string, unknown>;
}

/**
 * Who made a change: an admin API caller (a client with a token, or a person), or a person running
 * the `wardgate` command, named by their operating-system account (`actor` = `cli:<account>`).
 */
export type ChangeActor =
  | { kind: 'client'; clientId: string; actor: string; name: string }
  | { kind: 'user'; userId: string; username: string; actor: string; name: string; via: 'session' | 'token' }
  | { kind: 'cli'; actor: string; name: string };

/** The caller of a change and the address it came from (none from the command line). */
export interface ChangeCall {
  principal: ChangeActor;
  ip: string | null;
}

/** The person at the command line, as the audit log names them. */
export function cliCall(account: string): ChangeCall {
  return { principal: { kind: 'cli', actor: `cli:${account}`, name: account }, ip: null };
}

const actorData = (principal: ChangeActor): Record<string, unknown> => {
  switch (principal.kind) {
    case 'user':
      return { kind: 'user', name: principal.name, username: principal.username, via: principal.via };
    case 'client':
      return { kind: 'client', name: principal.name, clientId: principal.clientId };
    case 'cli':
      return { kind: 'cli', name: principal.name };
  }
};

export function createChanges(audit: AuditLog) {
  return {
    async record(call: ChangeCall, change: Change): Promise<void> {
      await audit.append({
        type: `admin.${change.resource}.${change.action}`,
        actor: call.principal.actor,
        subject: `${change.resource}/${change.id}`,
        data: {
          resource: change.resource,
          action: change.action,
          id: change.id,
          actor: actorData(call.principal),
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
