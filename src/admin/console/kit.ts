/**
 * What every console page shares: rendering a view inside the console's layout, calling an admin
 * API operation in process (`adminApi.invoke`, validated and audited exactly as over HTTP) and
 * turning its 422 into errors shown beside the fields they name, a one-time notice after a
 * post/redirect/get, and reading the submitted form's strings.
 */
import type { ParameterizedContext } from 'koa';
import type { User } from '../../accounts/accounts.ts';
import { isAppError } from '../../errors.ts';
import type { Views } from '../../http/views.ts';
import type { Principal } from '../api/auth.ts';
import type { AdminApi } from '../api/router.ts';
import type { Call } from '../api/operation.ts';
import type { FieldError } from '../api/validation.ts';

const NOTICE_COOKIE = 'wardgate_admin_notice';

/** One error the API named: a JSON pointer into the body (or query) and its message. */
/** One bad line of an imported CSV file. */
export interface LineError {
  line: number;
  column?: string;
  message: string;
}

/** A failed operation, ready to show: the summary, errors per form field, and CSV lines. */
export interface Failure {
  ok: false;
  status: number;
  message: string;
  /** Errors by form field name (see `fieldOf`). */
  fields: Record<string, string[]>;
  /** Errors no field on the page can show. */
  general: string[];
  lines: LineError[];
}
export type Attempt<T> = { ok: true; value: T } | Failure;

export interface Signed {
  principal: Principal;
  user: User;
  call: Call;
}

/**
 * Which form field shows an error at a pointer: a field name, or a field and where inside it (a
 * document field such as a policy's JSON shows "thresholds/deny: must be above stepUp").
 */
export type FieldOf = (pointer: string) => string | { field: string; at: string } | undefined;

/** The form field a pointer belongs to: its first segment (`/networks/2` → `networks`). */
export const firstSegment: FieldOf = (pointer) => pointer.split('/')[1]?.replaceAll('~1', '/').replaceAll('~0', '~') ?? '';

/** A field holding a JSON document: errors inside it say where (`/policy/thresholds/deny`). */
export const documentField = (name: string): FieldOf => (pointer) => {
  const segments = pointer.split('/').slice(1);
  if (segments[0] !== name) return firstSegment(pointer);
  return segments.length > 1 ? { field: name, at: segments.slice(1).join('/') } : name;
};

export function createKit(deps: { views: Views; adminApi: AdminApi; secureCookies: boolean; signOut: string }) {
  const noticeCookie = { httpOnly: true, sameSite: 'lax' as const, signed: true, path: '/admin', secure: deps.secureCookies };

  const signed = (ctx: ParameterizedContext): Signed => ctx.state.console as Signed;

  return {
    /** A page in the console layout; `nav` marks the current section. */
    render(ctx: ParameterizedContext, view: string, data: Record<string, unknown>, status = 200) {
      const notice = ctx.cookies.get(NOTICE_COOKIE, { signed: true });
      if (notice) ctx.cookies.set(NOTICE_COOKIE, null, noticeCookie);
      ctx.type = 'html';
      ctx.status = status;
      const who = ctx.state.console as Signed | undefined;
      ctx.body = deps.views.render(`admin/${view}`, { notice: notice ? decodeURIComponent(notice) : undefined, user: who?.user, signOut: deps.signOut, ...data });
    },

    /** Post/redirect/get: the notice is shown once on the page redirected to. */
    redirect(ctx: ParameterizedContext, path: string, notice?: string) {
      if (notice) ctx.cookies.set(NOTICE_COOKIE, encodeURIComponent(notice), { ...noticeCookie, maxAge: 60_000 });
      ctx.status = 303;
      ctx.redirect(path);
    },

    /** Runs an operation as the signed-in admin; errors are thrown (the error page shows them). */
    invoke<T = unknown>(ctx: ParameterizedContext, id: string, input: { params?: unknown; query?: unknown; body?: unknown } = {}): Promise<T> {
      return deps.adminApi.invoke(id, input, signed(ctx).call) as Promise<T>;
    },

    /**
     * Runs an operation; a refusal the person can fix (400, 404, 409, 422) comes back as a Failure
     * whose errors are sorted by the form field they name (`fieldOf` maps a pointer to a field).
     */
    async attempt<T = unknown>(
      ctx: ParameterizedContext,
      id: string,
      input: { params?: unknown; query?: unknown; body?: unknown },
      fieldOf: FieldOf = firstSegment,
    ): Promise<Attempt<T>> {
      try {
        return { ok: true, value: (await deps.adminApi.invoke(id, input, signed(ctx).call)) as T };
      } catch (error) {
        if (!isAppError(error) || error.status >= 500) throw error;
        return failure(error.status, error.message, (error.details?.errors as unknown[] | undefined) ?? [], fieldOf);
      }
    },
  };
}

export type Kit = ReturnType<typeof createKit>;

/** Sorts an API's errors into fields, CSV lines and the rest. */
export function failure(status: number, message: string, errors: unknown[], fieldOf: FieldOf = firstSegment): Failure {
  const result: Failure = { ok: false, status, message, fields: {}, general: [], lines: [] };
  for (const raw of errors) {
    const e = raw as Partial<FieldError & LineError>;
    if (typeof e.line === 'number') {
      result.lines.push({ line: e.line, ...(e.column !== undefined ? { column: String(e.column) } : {}), message: String(e.message ?? '') });
      continue;
    }
    const found = typeof e.pointer === 'string' ? fieldOf(e.pointer) : undefined;
    const field = typeof found === 'object' ? found.field : found;
    const message = typeof found === 'object' ? `${found.at}: ${String(e.message ?? '')}` : String(e.message ?? '');
    if (field) (result.fields[field] ??= []).push(message);
    else result.general.push(e.pointer ? `${e.pointer}: ${message}` : message);
  }
  if (!errors.length) {
    // A conflict names its field the way services do: "username: "x" is already taken".
    const named = /^([A-Za-z][A-Za-z0-9]*): (.+)$/s.exec(message);
    const found = named ? fieldOf(`/${named[1]}`) : undefined;
    const field = typeof found === 'object' ? found.field : found;
    if (named && field) (result.fields[field] ??= []).push(named[2]!);
    else result.general.push(message);
  }
  return result;
}

/** The submitted urlencoded form, every value a string (the last one when a name repeats). */
export function formOf(ctx: ParameterizedContext): Record<string, string> {
  const body = ((ctx.request as { body?: unknown }).body ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    const one = Array.isArray(value) ? value.at(-1) : value;
    if (typeof one === 'string') out[key] = one;
  }
  return out;
}

/** A query parameter as typed; '' when it is absent or repeated. */
export function queryText(ctx: ParameterizedContext, name: string): string {
  const value = ctx.query[name];
  return typeof value === 'string' ? value : '';
}

/** A paged list's links, its filters kept: the next page (when there is one) and back to the first (when not on it). */
export function pager(ctx: ParameterizedContext, nextCursor: string | null | undefined): { next?: string; first?: string } {
  const withCursor = (cursor: string | undefined) => {
    const params = new URLSearchParams(ctx.querystring);
    if (cursor) params.set('cursor', cursor);
    else params.delete('cursor');
    return `${ctx.path}${params.size ? `?${params}` : ''}`;
  };
  return { next: nextCursor ? withCursor(nextCursor) : undefined, first: optional(queryText(ctx, 'cursor')) ? withCursor(undefined) : undefined };
}

/** A form value as the API wants it: empty → absent, a number when it reads as one, else as typed (the API names what is wrong). */
export function optional(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
export function numberOrText(value: string | undefined): number | string | undefined {
  const trimmed = optional(value);
  if (trimmed === undefined) return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}
/** One entry per non-empty line (networks, one CIDR per line). */
export function lines(value: string | undefined): string[] {
  return (value ?? '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
}
/** Drops the keys whose value is undefined (the API refuses nothing for absence, but keeps bodies tidy). */
export function defined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
