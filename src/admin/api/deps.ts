/** What the admin API's operations work with: the same services the CLI and sign-in use. */
import type Provider from 'oidc-provider';
import type { Accounts } from '../../accounts/accounts.ts';
import type { AuditLog } from '../../audit/log.ts';
import type { Sites } from '../../hospital/sites.ts';
import type { Shifts } from '../../hospital/shifts.ts';
import type { Terminals } from '../../hospital/terminals.ts';
import type { ClientRegistry } from '../../oidc/clients.ts';
import type { Policies } from '../../policy/policies.ts';
import type { Assessor } from '../../signin/assessor.ts';
import type { Db } from '../../store/db.ts';
import type { DecisionStore } from '../../store/decisions.ts';
import type { PayloadStore } from '../../store/oidc-payloads.ts';
import type { UserStore } from '../../store/users.ts';
import type { WebAuthn } from '../../webauthn/service.ts';
import type { Changes } from '../../audit/changes.ts';

export interface AdminDeps {
  db: Db;
  issuer: string;
  provider: Provider;
  accounts: Accounts;
  users: UserStore;
  payloads: PayloadStore;
  webauthn: WebAuthn;
  sites: Sites;
  terminals: Terminals;
  shifts: Shifts;
  clients: ClientRegistry;
  policies: Policies;
  assessor: Assessor;
  decisions: DecisionStore;
  audit: AuditLog;
  changes: Changes;
  now: () => Date;
  /**
   * Clients Wardgate registers itself (the account page, the console, the demo app, the bootstrap
   * admin client), by id, with what they are: read-only over the API.
   */
  internalClients: Readonly<Record<string, string>>;
}
