/**
 * POST /simulate and POST /policy/replay: trying the risk policy without touching anyone's sign-in.
 * A simulation decides one described sign-in (signin/simulation.ts); a replay judges the decisions
 * recorded in a window again under a draft (policy/replay.ts). Neither writes anything: no
 * decision, history, failure count, audit entry or terminal sighting.
 */
import { z } from 'zod';
import { replay } from '../../../policy/replay.ts';
import { policySchema } from '../../../risk/policy.ts';
import { createSimulator, simulationRequestSchema } from '../../../signin/simulation.ts';
import type { AdminDeps } from '../deps.ts';
import { operation } from '../operation.ts';
import { outcomeSchema, phaseSchema } from './decisions.ts';

/** The longest window a replay reads. */
export const MAX_REPLAY_DAYS = 31;

const simulationSchema = z
  .object({
    outcome: outcomeSchema,
    score: z.number().int(),
    requiredAcr: z.string().nullable().meta({ description: 'urn:wardgate:acr:1fa on allow, phr on step_up, null on deny' }),
    sessionLifetime: z.number().int().meta({ description: 'Seconds a session would last (0 on deny)' }),
    policyVersion: z.union([z.number().int(), z.literal('draft')]).meta({ description: 'The active version decided, or "draft" when a draft was given' }),
    phase: z.enum(['pre_password', 'password']).meta({ description: 'pre_password: a real sign-in is refused before the password is checked' }),
    findings: z.array(
      z.object({
        code: z.string(),
        signal: z.string().nullable(),
        points: z.number().int(),
        details: z.record(z.string(), z.unknown()),
        sentence: z.string().meta({ description: 'The finding in plain words, with its points' }),
      }),
    ),
    determiningRules: z.array(z.string()).meta({ description: 'threshold:stepUp, threshold:deny, rule:<id>, failure_mode:<signal>' }),
    reportOnly: z.array(z.object({ rule: z.string(), wouldBe: outcomeSchema })),
    explanation: z.array(z.string()).meta({ description: 'The decision as the service desk reads it, one sentence a line' }),
    accountDisabled: z.boolean(),
    context: z.object({
      userId: z.string(),
      username: z.string(),
      displayName: z.string(),
      ip: z.string(),
      userAgent: z.string(),
      device: z.string(),
      clientHints: z.record(z.string(), z.string()),
      at: z.string(),
      terminal: z.object({ id: z.string(), name: z.string(), siteId: z.string(), unit: z.string().nullable(), status: z.enum(['active', 'revoked']) }).nullable(),
      client: z.object({ id: z.string(), sensitivity: z.enum(['standard', 'high']) }),
      requestedAcr: z.array(z.string()),
    }),
  })
  .meta({ id: 'Simulation' });

const dateTime = z.iso.datetime({ offset: true });

const replayRequestSchema = z
  .object({
    policy: policySchema.meta({ description: 'The draft policy document; not saved' }),
    from: dateTime.meta({ description: 'Start of the window (inclusive), ISO 8601 with an offset' }),
    to: dateTime.meta({ description: `End of the window (exclusive), after from and at most ${MAX_REPLAY_DAYS} days later` }),
  })
  .strict()
  .superRefine((body, ctx) => {
    const span = Date.parse(body.to) - Date.parse(body.from);
    if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (span > MAX_REPLAY_DAYS * 86_400_000) ctx.addIssue({ code: 'custom', path: ['to'], message: `the window is at most ${MAX_REPLAY_DAYS} days` });
  });

const replaySchema = z
  .object({
    window: z.object({ from: z.string(), to: z.string() }),
    total: z.number().int().meta({ description: 'Decisions recorded in the window' }),
    changed: z.number().int().meta({ description: 'How many the draft decides otherwise' }),
    unchanged: z.number().int(),
    transitions: z.record(z.string(), z.number().int()).meta({ description: 'Changes by kind: "allow→step_up": n' }),
    examples: z
      .array(
        z.object({
          decisionId: z.string(),
          at: z.string(),
          phase: phaseSchema,
          username: z.string().nullable(),
          clientId: z.string(),
          from: outcomeSchema,
          to: outcomeSchema,
          score: z.number().int().meta({ description: 'The score under the draft' }),
          previousScore: z.number().int(),
          determiningRules: z.array(z.string()),
          policyVersion: z.number().int().meta({ description: 'The version that made the recorded decision' }),
        }),
      )
      .meta({ description: 'Up to 20 changed decisions, every kind of change shown' }),
    recordedUnder: z.array(z.object({ policyVersion: z.number().int(), count: z.number().int() })),
    notReplayed: z.array(z.string()).meta({ description: 'Draft settings (JSON pointers) that differ from the active policy but change what signals find, which replay cannot judge again' }),
  })
  .meta({ id: 'Replay' });

export function simulateOperations(deps: AdminDeps) {
  const simulator = createSimulator(deps);
  return [
    operation({
      id: 'simulate',
      method: 'post',
      readOnly: true,
      path: '/simulate',
      tag: 'simulate',
      summary: 'Decide a described sign-in, under the active policy or a draft, with nothing written',
      description:
        'Builds the context a real sign-in would (the person by username, the app by clientId, an enrolled terminal by its id, ' +
        'the address, browser and time) and returns the decision with each finding in words. An unknown username, clientId or ' +
        'terminalId, or a terminal never enrolled, is 422 naming the field; a revoked terminal is judged as its old cookie would be.',
      body: simulationRequestSchema,
      response: { status: 200, description: 'The decision', schema: simulationSchema },
      handle: async ({ body }) => simulator.simulate(body),
    }),
    operation({
      id: 'replayPolicy',
      method: 'post',
      readOnly: true,
      path: '/policy/replay',
      tag: 'policy',
      summary: 'How a draft policy would have decided the sign-ins recorded in a window',
      description:
        'Judges the findings of every decision recorded in [from, to) again under the draft (weights, thresholds, rules, ' +
        'report-only rules, failure modes) and counts the outcomes that change. The signals are not run again, so settings ' +
        'that change what they find are listed in notReplayed. Writes nothing.',
      body: replayRequestSchema,
      response: { status: 200, description: 'What the draft changes', schema: replaySchema },
      handle: async ({ body }) => {
        const active = await deps.policies.active();
        return replay(deps.decisions, body.policy, { from: new Date(body.from), to: new Date(body.to) }, { active: active.document });
      },
    }),
  ];
}
