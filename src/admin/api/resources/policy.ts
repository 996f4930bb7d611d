/**
 * /policy: the risk policy's versions (policy/policies.ts). Every save is a new immutable version
 * with its author (a person's username, or `client:<client_id>`) and comment; one version is
 * active, and activating an older one is the rollback. The document in a request is validated by
 * the policy's own schema (risk/policy.ts), so an invalid one is answered 422 with a JSON pointer
 * per error under `/document`; `validatePolicy` answers the same errors as data, with pointers
 * into the document itself, for an editor's inline messages. An activation applies to this
 * process's next sign-in at once (its cached policy is read again) and to other processes' next
 * decision. Simulation and `/policy/replay` live in their own modules.
 */
import { z } from 'zod';
import { AppError } from '../../../errors.ts';
import { diffPolicies } from '../../../policy/diff.ts';
import type { StoredPolicyVersion } from '../../../policy/policies.ts';
import { conditionSchema, policySchema } from '../../../risk/policy.ts';
import type { AdminDeps } from '../deps.ts';
import { operation, type Call } from '../operation.ts';
import { fieldErrors } from '../validation.ts';

// The condition schema is recursive: named, it becomes one component instead of a generated name.
if (!z.globalRegistry.has(conditionSchema)) z.globalRegistry.add(conditionSchema, { id: 'PolicyCondition' });

/** The policy document as the API describes it (components PolicyDocument and PolicyDocumentInput). */
export const policyDocumentSchema = policySchema.meta({ id: 'PolicyDocument', description: 'The risk policy document; docs/policy.md explains it field by field.' });

const MAX_VERSION = 2_147_483_647;
const versionNumber = z.coerce.number({ error: 'must be a version number (1, 2, …)' }).int({ error: 'must be a version number (1, 2, …)' }).min(1, { error: 'must be a version number (1, 2, …)' }).max(MAX_VERSION);

const versionFields = {
  version: z.number().int(),
  author: z.string().meta({ description: 'Username of the person who saved it, or client:<client_id>' }),
  comment: z.string().nullable(),
  createdAt: z.iso.datetime(),
  active: z.boolean(),
};

export const policyVersionSchema = z
  .object({
    ...versionFields,
    document: policyDocumentSchema,
    activatedAt: z.iso.datetime().nullable().meta({ description: 'When the active version was activated; null for the others' }),
    activatedBy: z.string().nullable().meta({ description: 'Who activated the active version; null for the others' }),
  })
  .meta({ id: 'PolicyVersion' });

const versionSummarySchema = z.object(versionFields).meta({ id: 'PolicyVersionSummary' });

const fieldErrorSchema = z.object({ pointer: z.string().meta({ description: 'JSON pointer into the document ("" for the document itself)' }), message: z.string() });

const changeSchema = z
  .object({
    pointer: z.string().meta({ description: 'JSON pointer into both documents' }),
    change: z.enum(['added', 'removed', 'changed']),
    from: z.unknown().optional().meta({ description: 'The value in `from` (changed, removed)' }),
    to: z.unknown().optional().meta({ description: 'The value in `to` (added, changed)' }),
  })
  .meta({ id: 'PolicyChange' });

const versionParams = z.object({ n: versionNumber }).strict();

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function view(v: StoredPolicyVersion) {
  return {
    version: v.version,
    author: v.author,
    comment: v.comment,
    createdAt: new Date(v.createdAt).toISOString(),
    active: v.active,
    document: v.document,
    activatedAt: iso(v.activatedAt),
    activatedBy: v.activatedBy,
  };
}

/** Who saved or activated a version, as the version records it. */
const authorOf = (call: Call) => (call.principal.kind === 'user' ? call.principal.username : call.principal.actor);

export function policyOperations(deps: AdminDeps) {
  const find = async (n: number) => {
    const found = await deps.policies.version(n);
    if (!found) throw new AppError('not_found', `No policy version ${n}.`);
    return found;
  };

  return [
    operation({
      id: 'getPolicy',
      method: 'get',
      path: '/policy',
      tag: 'policy',
      summary: 'The active policy version with its document',
      response: { status: 200, description: 'The active version', schema: policyVersionSchema },
      handle: async () => view(await deps.policies.current()),
    }),
    operation({
      id: 'putPolicy',
      method: 'put',
      path: '/policy',
      tag: 'policy',
      summary: 'Save a policy document as a new version (active only when asked)',
      description:
        'The document is validated as a whole; an invalid one is answered 422 with one error per problem, each with a JSON pointer that starts with /document (a deny threshold not above the step-up threshold: /document/thresholds/deny). Nothing is saved then.',
      body: z
        .object({
          document: policyDocumentSchema,
          comment: z.string().max(500).optional().meta({ description: 'Why this version; shown in the version list' }),
          activate: z.boolean().default(false).meta({ description: 'Make it the active version at once (default false: saved as a draft to review, diff and activate later)' }),
        })
        .strict(),
      response: { status: 201, description: 'The version as stored', schema: policyVersionSchema },
      handle: async ({ body }, call) => {
        const author = authorOf(call);
        const saved = await deps.policies.save(body.document, author, { ...(body.comment !== undefined ? { comment: body.comment } : {}), activate: body.activate });
        const stored = await find(saved.version);
        await deps.changes.record(call, {
          resource: 'policy',
          action: 'create',
          id: String(saved.version),
          after: { version: saved.version, author, comment: stored.comment, document: stored.document },
          details: { version: saved.version, activated: body.activate },
        });
        if (body.activate) {
          await deps.changes.record(call, {
            resource: 'policy',
            action: 'activate',
            id: String(saved.version),
            before: { version: saved.previous ?? null },
            after: { version: saved.version },
          });
        }
        return view(stored);
      },
    }),
    operation({
      id: 'validatePolicy',
      method: 'post',
      readOnly: true,
      path: '/policy/validate',
      tag: 'policy',
      summary: 'Check a policy document without saving it',
      description: 'Always 200 for a readable request: `valid` and every error, with pointers into the document itself (no /document prefix), for inline messages in an editor.',
      body: z
        .object({
          document: z.unknown().refine((value) => value !== undefined, { message: 'required' }).meta({ description: 'Any JSON; checked against PolicyDocument' }),
        })
        .strict(),
      response: {
        status: 200,
        description: 'Whether the document is valid, and why not',
        schema: z.object({ valid: z.boolean(), errors: z.array(fieldErrorSchema).meta({ description: 'Empty when valid' }) }).meta({ id: 'PolicyValidation' }),
      },
      handle: async ({ body }) => {
        const parsed = policySchema.safeParse(body.document);
        return parsed.success ? { valid: true, errors: [] } : { valid: false, errors: fieldErrors(parsed.error.issues) };
      },
    }),
    operation({
      id: 'listPolicyVersions',
      method: 'get',
      path: '/policy/versions',
      tag: 'policy',
      summary: 'Every version, newest first, without documents',
      response: { status: 200, description: 'The versions', schema: z.object({ items: z.array(versionSummarySchema) }) },
      handle: async () => ({
        items: (await deps.policies.versions()).map((v) => ({ version: v.version, author: v.author, comment: v.comment, createdAt: new Date(v.createdAt).toISOString(), active: v.active })),
      }),
    }),
    operation({
      id: 'getPolicyVersion',
      method: 'get',
      path: '/policy/versions/{n}',
      tag: 'policy',
      summary: 'One version with its document',
      params: versionParams,
      response: { status: 200, description: 'The version', schema: policyVersionSchema },
      errors: [404],
      handle: async ({ params }) => view(await find(params.n)),
    }),
    operation({
      id: 'activatePolicyVersion',
      method: 'post',
      path: '/policy/versions/{n}/activate',
      tag: 'policy',
      summary: 'Make a version the active one (an older one: a rollback)',
      description: 'Applies from the next sign-in. Activating the version already active changes nothing and is not audited.',
      params: versionParams,
      response: { status: 200, description: 'The version, now active', schema: policyVersionSchema },
      errors: [404],
      handle: async ({ params }, call) => {
        const result = await deps.policies.activate(params.n, authorOf(call));
        if (result.changed) {
          await deps.changes.record(call, { resource: 'policy', action: 'activate', id: String(params.n), before: { version: result.before }, after: { version: result.after } });
        }
        return view(await find(params.n));
      },
    }),
    operation({
      id: 'diffPolicy',
      method: 'get',
      path: '/policy/diff',
      tag: 'policy',
      summary: 'What changed between two versions, as JSON pointers',
      query: z
        .object({
          from: versionNumber.meta({ description: 'The older version (or any version)' }),
          to: versionNumber.optional().meta({ description: 'The version to compare it with; the active version when left out' }),
        })
        .strict(),
      response: {
        status: 200,
        description: 'The changes that turn `from` into `to`',
        schema: z.object({ from: z.number().int(), to: z.number().int(), changes: z.array(changeSchema) }).meta({ id: 'PolicyDiff' }),
      },
      errors: [404],
      handle: async ({ query }) => {
        const to = query.to ?? (await deps.policies.current()).version;
        const [a, b] = await Promise.all([find(query.from), find(to)]);
        return { from: query.from, to, changes: diffPolicies(a.document, b.document) };
      },
    }),
  ];
}
