/**
 * The policy document: weights per finding code, thresholds, lists, session lifetimes, each
 * signal's failure mode and budget, and rules. Validated by zod; stored as immutable versions
 * elsewhere. Rules can only make a decision stricter, so no rule can open a hole.
 */
import { z } from 'zod';
import { policyLimitIssues } from './policy-limits.ts';

export const SIGNAL_IDS = ['shift', 'terminal', 'network', 'geo', 'posture', 'velocity', 'app'] as const;
export type SignalId = (typeof SIGNAL_IDS)[number];

export const WEIGHTED_CODES = [
  'on_shift', 'off_shift', 'near_shift_edge', 'known_terminal', 'unknown_device', 'on_premises', 'remote',
  'country_not_allowed', 'impossible_travel', 'location_unknown', 'outdated_browser', 'unsupported_os',
  'automation_client', 'new_device', 'repeated_failures', 'ip_failures', 'password_spraying', 'sensitive_app', 'phr_requested',
] as const;
export type WeightedCode = (typeof WEIGHTED_CODES)[number];

export type Condition =
  | { finding: WeightedCode | `signal_error:${SignalId}` }
  | { scoreAtLeast: number }
  | { clientSensitivity: 'standard' | 'high' }
  | { clientId: string }
  | { acrRequested: string }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

const findingRef = z.union([z.enum(WEIGHTED_CODES), z.templateLiteral(['signal_error:', z.enum(SIGNAL_IDS)])]);

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.object({ finding: findingRef }).strict(),
    z.object({ scoreAtLeast: z.number().int().min(0) }).strict(),
    z.object({ clientSensitivity: z.enum(['standard', 'high']) }).strict(),
    z.object({ clientId: z.string().min(1) }).strict(),
    z.object({ acrRequested: z.string().min(1) }).strict(),
    z.object({ all: z.array(conditionSchema).min(1) }).strict(),
    z.object({ any: z.array(conditionSchema).min(1) }).strict(),
    z.object({ not: conditionSchema }).strict(),
  ]),
);

export const ruleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'must be lower-case letters, digits and -' }),
    description: z.string().min(1).max(500),
    when: conditionSchema,
    outcome: z.enum(['step_up', 'deny']),
    mode: z.enum(['enforce', 'report_only']),
  })
  .strict();
export type Rule = z.infer<typeof ruleSchema>;

const version = z.string().regex(/^\d+(\.\d+){0,2}$/, { message: 'must be a version like 10 or 10.15' });

const signalSettings = z
  .object({
    failureMode: z.enum(['step_up', 'deny']).default('step_up'),
    budgetMs: z.number().int().min(1).max(5000).default(50),
  })
  .strict();

/** The document's shape. Read through `policySchema`, which checks its size first. */
const policyObjectSchema = z
  .object({
    weights: z.partialRecord(z.enum(WEIGHTED_CODES), z.number().int().min(0).max(1000)),
    thresholds: z
      .object({ stepUp: z.number().int().min(1), deny: z.number().int().min(1) })
      .strict()
      .refine((t) => t.deny > t.stepUp, { message: 'deny must be above stepUp', path: ['deny'] }),
    lists: z
      .object({
        /** ISO 3166-1 alpha-2; null means "the countries of the hospital's sites". */
        allowedCountries: z.array(z.string().regex(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 code' })).nullable(),
        /** Browser family (as ua-parser-js names it) → lowest acceptable major version. */
        minimumBrowserVersions: z.record(z.string().min(1), z.number().int().min(0)),
        /** OS name (as ua-parser-js names it) and the version below which it is unsupported. */
        unsupportedOs: z.array(z.object({ name: z.string().min(1), below: version }).strict()),
      })
      .strict(),
    shift: z.object({ graceBeforeMinutes: z.number().int().min(0).max(720), graceAfterMinutes: z.number().int().min(0).max(720) }).strict(),
    travel: z.object({ maxSpeedKmh: z.number().positive() }).strict(),
    device: z.object({ newDeviceDays: z.number().int().min(1).max(3650) }).strict(),
    velocity: z
      .object({
        windowMinutes: z.number().int().min(1).max(1440),
        userFailures: z.number().int().min(1),
        ipFailures: z.number().int().min(1),
        sprayingUsernames: z.number().int().min(2),
      })
      .strict(),
    sessionLifetimes: z
      .object({
        /** A trusted sign-in on shift lasts until the shift ends plus grace, at most this long. */
        maxHours: z.number().min(0.25).max(24),
        /** An allowed sign-in with no shift to follow. */
        defaultHours: z.number().min(0.25).max(24),
      })
      .strict(),
    signals: z.partialRecord(z.enum(SIGNAL_IDS), signalSettings).default({}),
    /** Security keys: offered after a trusted sign-in, required once graceDays have passed since the account was created. */
    enrollment: z.object({ graceDays: z.number().int().min(0).max(3650) }).strict().default({ graceDays: 14 }),
    rules: z.array(ruleSchema).superRefine((rules, ctx) => {
      const seen = new Set<string>();
      rules.forEach((rule, i) => {
        if (seen.has(rule.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate rule id "${rule.id}"` });
        seen.add(rule.id);
      });
    }),
  })
  .strict();

/**
 * A policy document as it comes in (the admin API, the console, a simulation or replay draft): its
 * size limits (policy-limits.ts) are checked on the raw value first, and only a document within
 * them is read by the recursive schema, so that a condition nested a thousand deep is a 422 naming
 * its path rather than an exhausted stack.
 */
export const policySchema = z.preprocess((document, ctx) => {
  for (const issue of policyLimitIssues(document)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, input: document });
  return document;
}, policyObjectSchema);

/**
 * A stored version as it is read back: without the size limits, which came later than the first
 * saved versions, so that a version saved before them still loads (and keeps deciding sign-ins).
 */
export const storedPolicySchema = policyObjectSchema;

export type Policy = z.infer<typeof policyObjectSchema>;
export type PolicyInput = z.input<typeof policyObjectSchema>;

/** A policy as the engine receives it: the document and the version it was stored as. */
export interface VersionedPolicy {
  version: number;
  document: Policy;
}

export function signalSettingsOf(policy: Policy, id: SignalId): { failureMode: 'step_up' | 'deny'; budgetMs: number } {
  const s = policy.signals[id];
  return { failureMode: s?.failureMode ?? 'step_up', budgetMs: s?.budgetMs ?? 50 };
}

/**
 * Out of the box: a trusted sign-in (known terminal, on premises, on shift, current browser on a
 * supported OS) scores 0 and is allowed; any one doubt steps up; a blocked country, impossible
 * travel or an automation client is denied by rule.
 */
export const DEFAULT_POLICY: Policy = policySchema.parse({
  weights: {
    on_shift: 0,
    known_terminal: 0,
    on_premises: 0,
    near_shift_edge: 10,
    new_device: 20,
    off_shift: 40,
    unknown_device: 40,
    remote: 40,
    location_unknown: 20,
    outdated_browser: 40,
    unsupported_os: 40,
    repeated_failures: 40,
    ip_failures: 40,
    password_spraying: 60,
    sensitive_app: 0,
    phr_requested: 0,
    country_not_allowed: 100,
    impossible_travel: 100,
    automation_client: 100,
  },
  thresholds: { stepUp: 40, deny: 200 },
  lists: {
    allowedCountries: null,
    minimumBrowserVersions: { Chrome: 120, Chromium: 120, Edge: 120, Firefox: 115, Safari: 16, 'Mobile Safari': 16, 'Samsung Internet': 23, Opera: 105 },
    unsupportedOs: [
      { name: 'Windows', below: '10' },
      { name: 'Mac OS', below: '11' },
      { name: 'macOS', below: '11' },
      { name: 'iOS', below: '16' },
      { name: 'Android', below: '11' },
    ],
  },
  shift: { graceBeforeMinutes: 30, graceAfterMinutes: 60 },
  travel: { maxSpeedKmh: 900 },
  device: { newDeviceDays: 90 },
  velocity: { windowMinutes: 15, userFailures: 5, ipFailures: 20, sprayingUsernames: 5 },
  sessionLifetimes: { maxHours: 12, defaultHours: 8 },
  signals: {},
  enrollment: { graceDays: 14 },
  rules: [
    { id: 'deny-country-not-allowed', description: 'Sign-ins from outside the allowed countries are blocked.', when: { finding: 'country_not_allowed' }, outcome: 'deny', mode: 'enforce' },
    { id: 'deny-impossible-travel', description: 'A sign-in that implies faster travel than an airliner since the last one is blocked.', when: { finding: 'impossible_travel' }, outcome: 'deny', mode: 'enforce' },
    { id: 'deny-automation', description: 'Headless browsers, command-line clients and scripts cannot sign in.', when: { finding: 'automation_client' }, outcome: 'deny', mode: 'enforce' },
    { id: 'step-up-sensitive-apps', description: 'High-sensitivity apps and apps asking for phishing-resistant proof always need a security key.', when: { any: [{ finding: 'sensitive_app' }, { finding: 'phr_requested' }] }, outcome: 'step_up', mode: 'enforce' },
  ],
});
