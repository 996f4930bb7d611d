/**
 * What a signal is: one question about a sign-in, answered with findings (codes and details, no
 * points: the engine adds those from the policy's weights). A signal reads data only through the
 * ports, never catches a port's error (the engine turns a throw into `signal_error:<id>` and the
 * signal's failure mode), and never imports another signal. Details are plain JSON, written for
 * the service desk: instants as ISO 8601 UTC, local times spelled out with their timezone.
 */
import type { Policy, SignalId } from '../policy.ts';
import type { RiskPorts } from '../ports.ts';
import type { RawFinding, RiskContext } from '../types.ts';

export interface Signal {
  id: SignalId;
  /** false: it can judge before the password is checked (no user needed). */
  needsUser: boolean;
  evaluate(context: RiskContext, ports: RiskPorts, policy: Policy): Promise<RawFinding[]>;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
