/**
 * The simulator: what Wardgate would decide for a sign-in described by IT (a person, an address, a
 * browser, a time, a terminal, an app), under the active policy or a draft, with nothing written.
 *
 * The context is built as a real sign-in builds it (signin/context.ts, oidc/interactions/routes.ts):
 * the person by username, the app's sensitivity from its registration, the acr values it asks for.
 * A real sign-in is judged first without the person (a deny there is the decision, before the
 * password is checked), then in full; the simulator does the same and says which it was. A
 * terminal is named by its id, since its credential is a secret no one keeps: an enrolled terminal
 * stands in for its cookie, a revoked one is judged as its old cookie would be (unknown_device,
 * revoked), and one never enrolled, or no terminal, is refused (422 naming /terminalId). Throttling
 * (429 before the password) and the account's password are not simulated; a disabled account is
 * judged, and the answer says a real sign-in would stop at the password.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import type { Accounts } from '../accounts/accounts.ts';
import { CLIENT_HINT_HEADERS, describeDevice } from '../device/user-agent.ts';
import { AppError } from '../errors.ts';
import type { Sites } from '../hospital/sites.ts';
import type { Terminals } from '../hospital/terminals.ts';
import type { ClientRegistry } from '../oidc/clients.ts';
import type { Policies } from '../policy/policies.ts';
import { explain, explainFinding, signalOf, type ExplainContext } from '../risk/explain.ts';
import { policySchema, type VersionedPolicy } from '../risk/policy.ts';
import type { TerminalInfo } from '../risk/ports.ts';
import type { Decision, Finding, Outcome, RiskContext } from '../risk/types.ts';
import type { Assessor } from './assessor.ts';
import { requestedAcrOf } from './context.ts';

/** The app a simulation assumes when none is named: standard sensitivity, an id no app can have. */
export const DEFAULT_SIMULATION_CLIENT = { id: '(simulation)', sensitivity: 'standard' } as const;

export const simulationRequestSchema = z
  .object({
    username: z.string().min(1).max(128),
    ip: z
      .string()
      .max(45)
      .refine((v) => isIP(v) !== 0, { message: 'must be an IPv4 or IPv6 address' })
      .meta({ description: 'The client address as Wardgate would see it (after trusted proxies)' }),
    userAgent: z.string().max(1024).meta({ description: 'The browser\'s User-Agent header' }),
    at: z.iso
      .datetime({ offset: true })
      .optional()
      .meta({ description: 'When the sign-in happens, ISO 8601 with an offset; now when absent' }),
    terminalId: z.string().min(1).max(64).optional().meta({ description: 'An enrolled terminal (active or revoked) the browser is at; none: not at a terminal' }),
    clientId: z.string().min(1).max(128).optional().meta({ description: 'The relying app; none: a standard-sensitivity app' }),
    acrValues: z
      .union([z.string().max(1024), z.array(z.string().min(1).max(255)).max(20)])
      .optional()
      .meta({ description: 'acr values the app asks for: space-separated as in acr_values, or a list' }),
    clientHints: z.partialRecord(z.enum(CLIENT_HINT_HEADERS), z.string().max(512)).optional().meta({ description: 'Client hint headers (Sec-CH-UA*), lower-case names' }),
    policy: policySchema.optional().meta({ description: 'A draft policy document to decide with instead of the active version; not saved' }),
  })
  .strict();

export type SimulationRequest = z.output<typeof simulationRequestSchema>;

export interface SimulatedFinding {
  code: string;
  signal: string | null;
  points: number;
  details: Record<string, unknown>;
  sentence: string;
}

export interface Simulation {
  outcome: Outcome;
  score: number;
  requiredAcr: string | null;
  sessionLifetime: number;
  policyVersion: number | 'draft';
  /** pre_password: a real sign-in is refused before the password is checked; password: judged in full. */
  phase: 'pre_password' | 'password';
  findings: SimulatedFinding[];
  determiningRules: string[];
  reportOnly: Decision['reportOnly'];
  explanation: string[];
  accountDisabled: boolean;
  context: {
    userId: string;
    username: string;
    displayName: string;
    ip: string;
    userAgent: string;
    device: string;
    clientHints: Record<string, string>;
    at: string;
    terminal: TerminalInfo | null;
    client: { id: string; sensitivity: 'standard' | 'high' };
    requestedAcr: string[];
  };
}

export interface SimulatorDeps {
  accounts: Pick<Accounts, 'findByUsername'>;
  terminals: Pick<Terminals, 'get'>;
  clients: Pick<ClientRegistry, 'findMetadata'>;
  sites: Pick<Sites, 'get'>;
  policies: Pick<Policies, 'active'>;
  assessor: Pick<Assessor, 'simulate'>;
  now: () => Date;
}

/** Names for the sentences: the person's display name and the names of the sites the findings mention. */
export async function explainContextFor(findings: readonly Finding[], person: string | undefined, sites: Pick<Sites, 'get'>): Promise<ExplainContext> {
  const ids = [...new Set(findings.map((f) => f.details.siteId).filter((id): id is string => typeof id === 'string'))];
  const named = await Promise.all(ids.map(async (id) => [id, (await sites.get(id))?.name] as const));
  return { ...(person ? { person } : {}), sites: Object.fromEntries(named.filter((entry): entry is readonly [string, string] => typeof entry[1] === 'string')) };
}

/** A string is read as a real sign-in reads acr_values; a list is taken as it is. */
const acrList = (v: SimulationRequest['acrValues']) => (typeof v === 'string' ? requestedAcrOf({ acr_values: v }) : [...new Set(v ?? [])]);

export function createSimulator(deps: SimulatorDeps) {
  return {
    async simulate(request: SimulationRequest): Promise<Simulation> {
      const issues: Array<{ path: string; message: string }> = [];
      const user = await deps.accounts.findByUsername(request.username);
      if (!user) issues.push({ path: 'username', message: `no user "${request.username}"` });

      let client: RiskContext['client'] = DEFAULT_SIMULATION_CLIENT;
      if (request.clientId !== undefined) {
        const metadata = await deps.clients.findMetadata(request.clientId);
        if (!metadata) issues.push({ path: 'clientId', message: `no relying app "${request.clientId}"` });
        else client = { id: metadata.client_id, sensitivity: metadata.sensitivity === 'high' ? 'high' : 'standard' };
      }

      let terminal: TerminalInfo | null = null;
      if (request.terminalId !== undefined) {
        const found = await deps.terminals.get(request.terminalId);
        if (!found) issues.push({ path: 'terminalId', message: `no terminal "${request.terminalId}"` });
        else if (found.status === 'pending') issues.push({ path: 'terminalId', message: `terminal "${found.name}" is not enrolled yet: no browser holds its credential` });
        else terminal = { id: found.id, name: found.name, siteId: found.siteId, unit: found.unit, status: found.status };
      }
      if (issues.length || !user) {
        throw new AppError('invalid_input', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { details: { issues } });
      }

      const policy: VersionedPolicy = request.policy ? { version: 0, document: request.policy } : await deps.policies.active();
      const at = request.at ? new Date(request.at) : deps.now();
      const clientHints: Record<string, string> = { ...request.clientHints };
      // The terminal's cookie, stood in for: a marker only the simulation's terminals port knows.
      const marker = terminal ? `simulation:${terminal.id}` : undefined;
      const ports = { terminals: { identify: async (credential: string) => (credential === marker ? terminal : null) } };
      const context: RiskContext = {
        ip: request.ip,
        userAgent: request.userAgent,
        clientHints,
        ...(marker ? { terminalCredential: marker } : {}),
        client,
        requestedAcr: acrList(request.acrValues),
        at,
      };

      // As a real sign-in: first without the person (a deny there ends it), then in full.
      const before = await deps.assessor.simulate(context, policy, { ports, phase: 'pre_password' });
      const phase = before.outcome === 'deny' ? 'pre_password' : 'password';
      const decision = phase === 'pre_password' ? before : await deps.assessor.simulate({ ...context, user: { id: user.id, username: user.username } }, policy, { ports });

      const names = await explainContextFor(decision.findings, user.displayName, deps.sites);
      const words: ExplainContext = { ...names, ...(request.policy ? { policy: 'a draft policy' } : {}) };
      const [verdict, ...rest] = explain(decision, words);
      const notes = [
        ...(phase === 'pre_password' ? ['A real sign-in is refused before the password is checked.'] : []),
        ...(user.disabled ? ['The account is disabled: a real sign-in stops at the password, whatever this decision.'] : []),
      ];
      return {
        outcome: decision.outcome,
        score: decision.score,
        requiredAcr: decision.requiredAcr,
        sessionLifetime: decision.sessionLifetime,
        policyVersion: request.policy ? 'draft' : decision.policyVersion,
        phase,
        findings: decision.findings.map((f) => ({ code: f.code, signal: signalOf(f.code), points: f.points, details: f.details, sentence: explainFinding(f, words) })),
        determiningRules: decision.determiningRules,
        reportOnly: decision.reportOnly,
        explanation: [verdict!, ...notes, ...rest],
        accountDisabled: user.disabled,
        context: {
          userId: user.id,
          username: user.username,
          displayName: user.displayName,
          ip: context.ip,
          userAgent: context.userAgent,
          device: describeDevice(context.userAgent, clientHints).summary,
          clientHints,
          at: at.toISOString(),
          terminal,
          client,
          requestedAcr: context.requestedAcr,
        },
      };
    },
  };
}

export type Simulator = ReturnType<typeof createSimulator>;
