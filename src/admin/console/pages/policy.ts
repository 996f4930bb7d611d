/**
 * The policy editor: a form for the thresholds, signal weights, allowed countries and the shift and
 * session settings BESIDE the JSON document, kept in sync by public/admin/policy.js, which also
 * asks the API to validate the draft as it is typed (validatePolicy) and shows each error beside
 * the field it names. On submit the server validates again; "Show changes" compares the draft with
 * the active version, "Save" stores it as a new version (active at once when asked), and the
 * versions list compares, loads, activates or rolls back. Operations: getPolicy, putPolicy,
 * validatePolicy, listPolicyVersions, getPolicyVersion, activatePolicyVersion, diffPolicy.
 */
import type { ParameterizedContext } from 'koa';
import { diffPolicies, type PolicyChange } from '../../../policy/diff.ts';
import { WEIGHTED_CODES } from '../../../risk/policy.ts';
import type { PageDeps } from '../routes.ts';
import { FINDING_LABELS, when } from '../format.ts';
import { failure, firstSegment, formOf, optional, type Failure } from '../kit.ts';
import type { z } from 'zod';
import type { policyVersionSchema } from '../../api/resources/policy.ts';

type Version = z.output<typeof policyVersionSchema>;
type VersionSummary = Omit<Version, 'document' | 'activatedAt' | 'activatedBy'>;

/** A setting of the form: where it lives in the document, and how it is typed. */
interface Setting {
  pointer: string;
  label: string;
  hint?: string;
  kind: 'integer' | 'number' | 'countries';
}

const SETTING_GROUPS: Array<{ id: string; legend: string; hint?: string; settings: Setting[] }> = [
  {
    id: 'thresholds',
    legend: 'Thresholds',
    hint: 'The findings\' points add up to a score; the thresholds turn it into a decision.',
    settings: [
      { pointer: '/thresholds/stepUp', label: 'Step-up threshold', hint: 'From this score, a security key is needed', kind: 'integer' },
      { pointer: '/thresholds/deny', label: 'Deny threshold', hint: 'From this score, the sign-in is blocked; above the step-up threshold', kind: 'integer' },
    ],
  },
  {
    id: 'weights',
    legend: 'Signal weights (points per finding)',
    settings: WEIGHTED_CODES.map((code) => ({ pointer: `/weights/${code}`, label: FINDING_LABELS[code], kind: 'integer' as const })),
  },
  {
    id: 'lists',
    legend: 'Lists',
    settings: [
      { pointer: '/lists/allowedCountries', label: 'Allowed countries', hint: 'Two-letter codes separated by commas, e.g. GB, IE. Empty: the countries of the hospital\'s sites', kind: 'countries' },
    ],
  },
  {
    id: 'times',
    legend: 'Shifts, sessions and keys',
    settings: [
      { pointer: '/shift/graceBeforeMinutes', label: 'Minutes before a shift that count as near it', kind: 'integer' },
      { pointer: '/shift/graceAfterMinutes', label: 'Minutes after a shift that count as near it', kind: 'integer' },
      { pointer: '/sessionLifetimes/maxHours', label: 'Longest session on shift (hours)', kind: 'number' },
      { pointer: '/sessionLifetimes/defaultHours', label: 'Session without a shift (hours)', kind: 'number' },
      { pointer: '/enrollment/graceDays', label: 'Days a new account may sign in without a key', kind: 'integer' },
      { pointer: '/travel/maxSpeedKmh', label: 'Fastest believable travel (km/h)', kind: 'number' },
    ],
  },
];

/** The value at a JSON pointer, or undefined. */
function at(document: unknown, pointer: string): unknown {
  let value: unknown = document;
  for (const segment of pointer.split('/').slice(1)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return value;
}

/** What a setting's field shows for the document's value. */
function shown(setting: Setting, value: unknown): string {
  if (setting.kind === 'countries') return Array.isArray(value) ? value.join(', ') : '';
  return value === undefined || value === null ? '' : String(value);
}

/** Errors from the API keyed by their pointer inside the document ('' for the document itself). */
const insideDocument = (pointer: string) => (pointer === '/document' || pointer.startsWith('/document/') ? pointer.slice('/document'.length) || '/' : firstSegment(pointer));

export function policyPages({ router, kit, form, documentForm }: PageDeps) {
  const page = async (
    ctx: ParameterizedContext,
    /** `compare`: a draft document to show the changes from the active version to. */
    extra: { draft?: string; comment?: string; activate?: boolean; failure?: Failure; compare?: unknown } = {},
    status = 200,
  ) => {
    const [active, { items: versions }] = await Promise.all([kit.invoke<Version>(ctx, 'getPolicy'), kit.invoke<{ items: VersionSummary[] }>(ctx, 'listPolicyVersions')]);
    let draft = extra.draft;
    let diff = extra.compare === undefined ? undefined : { title: `From the active version ${active.version} to this draft`, changes: diffPolicies(active.document, extra.compare) };
    let loaded: number | undefined;
    const edit = Number(ctx.query.edit);
    if (draft === undefined && Number.isInteger(edit) && edit > 0 && edit !== active.version) {
      const version = await kit.attempt<Version>(ctx, 'getPolicyVersion', { params: { n: String(edit) } });
      if (version.ok) {
        draft = JSON.stringify(version.value.document, null, 2);
        loaded = edit;
      }
    }
    const compare = Number(ctx.query.compare);
    if (!diff && Number.isInteger(compare) && compare > 0) {
      const result = await kit.attempt<{ from: number; to: number; changes: PolicyChange[] }>(ctx, 'diffPolicy', { query: { from: String(compare) } });
      if (result.ok) diff = { title: `From version ${result.value.from} to the active version ${result.value.to}`, changes: result.value.changes };
    }
    draft ??= JSON.stringify(active.document, null, 2);
    let parsed: unknown;
    try {
      parsed = JSON.parse(draft);
    } catch {
      parsed = undefined;
    }
    const errors = extra.failure?.fields ?? {};
    kit.render(
      ctx,
      'policy',
      {
        title: 'Policy',
        nav: 'policy',
        scripts: ['policy.js'],
        active,
        versions,
        loaded,
        draft,
        comment: extra.comment ?? '',
        activate: extra.activate ?? false,
        groups: SETTING_GROUPS.map((group) => ({
          ...group,
          settings: group.settings.map((s) => ({ ...s, id: `set${s.pointer.replaceAll('/', '-')}`, value: shown(s, at(parsed, s.pointer)), errors: errors[s.pointer] })),
        })),
        failure: extra.failure,
        errorList: Object.entries(errors).flatMap(([pointer, messages]) => messages.map((message) => ({ pointer, message }))),
        diff,
        json: (value: unknown) => (value === undefined ? '—' : JSON.stringify(value)),
        when,
      },
      status,
    );
  };

  router.get('/policy', (ctx) => page(ctx));

  router.post('/policy', documentForm, async (ctx) => {
    const values = formOf(ctx);
    const draft = values.document ?? '';
    const comment = values.comment ?? '';
    const activate = values.activate === 'on';
    let document: unknown;
    try {
      document = JSON.parse(draft);
    } catch (error) {
      return page(ctx, { draft, comment, activate, failure: failure(422, 'not JSON', [{ pointer: '/document', message: `The document is not valid JSON: ${(error as Error).message}` }], insideDocument) }, 422);
    }
    if (values.intent === 'diff') {
      const checked = await kit.invoke<{ valid: boolean; errors: Array<{ pointer: string; message: string }> }>(ctx, 'validatePolicy', { body: { document } });
      if (!checked.valid) {
        const errors = checked.errors.map((e) => ({ pointer: `/document${e.pointer}`, message: e.message }));
        return page(ctx, { draft, comment, activate, failure: failure(422, 'invalid', errors, insideDocument) }, 422);
      }
      return page(ctx, { draft, comment, activate, compare: document });
    }
    const saved = await kit.attempt<Version>(ctx, 'putPolicy', { body: { document, ...(optional(comment) ? { comment: comment.trim() } : {}), activate } }, insideDocument);
    if (!saved.ok) return page(ctx, { draft, comment, activate, failure: saved }, saved.status);
    kit.redirect(
      ctx,
      '/admin/policy',
      saved.value.active ? `Saved as version ${saved.value.version}, now active: the next sign-in is judged with it.` : `Saved as version ${saved.value.version}. It is not active yet: activate it from the list of versions.`,
    );
  });

  router.post('/policy/versions/:n/activate', form, async (ctx) => {
    const before = await kit.invoke<Version>(ctx, 'getPolicy');
    const result = await kit.attempt<Version>(ctx, 'activatePolicyVersion', { params: { n: ctx.params.n } });
    if (!result.ok) return page(ctx, { failure: result }, result.status);
    const n = result.value.version;
    kit.redirect(ctx, '/admin/policy', n < before.version ? `Rolled back: version ${n} is active again.` : `Version ${n} is now active.`);
  });
}
