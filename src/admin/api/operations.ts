/** Every operation of the admin API, one module per resource. */
import type { AdminDeps } from './deps.ts';
import type { Operation } from './operation.ts';
import { shiftOperations } from './resources/shifts.ts';
import { auditOperations } from './resources/audit.ts';
import { clientOperations } from './resources/clients.ts';
import { decisionOperations } from './resources/decisions.ts';
import { policyOperations } from './resources/policy.ts';
import { simulateOperations } from './resources/simulate.ts';
import { siteOperations } from './resources/sites.ts';
import { terminalOperations } from './resources/terminals.ts';
import { userOperations } from './resources/users.ts';

export function adminOperations(deps: AdminDeps): Operation[] {
  return [...siteOperations(deps), ...clientOperations(deps), ...policyOperations(deps), ...userOperations(deps), ...terminalOperations(deps), ...shiftOperations(deps), ...simulateOperations(deps), ...decisionOperations(deps), ...auditOperations(deps)];
}
