/**
 * Mounts the admin API's operations under /admin/api/v1: authenticate, validate path parameters,
 * query and body with the operation's schemas, run the handler, answer JSON. Errors are always
 * JSON here (`{ error, error_description, errors?, reference }`), whatever the Accept header says.
 * `invoke` runs an operation in process with the same validation, for the web console. Both run an
 * operation that changes state in one unit of work: its changes and its audit entry commit
 * together, and a failure anywhere (the audit append included) leaves nothing changed.
 */
import crypto from 'node:crypto';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { AppError, isAppError } from '../../errors.ts';
import { invalidField } from '../../hospital/input.ts';
import type { Logger } from '../../log.ts';
import type { AdminAuth } from './auth.ts';
import { buildOpenApi } from './openapi.ts';
import { RawBody, type Call, type Operation } from './operation.ts';
import { asUnprocessable, parseOrThrow } from './validation.ts';
import { clientIpOf } from '../../http/client-ip.ts';
import type { Db } from '../../store/db.ts';
import { inTransaction } from '../../store/unit-of-work.ts';

export const ADMIN_API_PREFIX = '/admin/api/v1';

const koaPath = (path: string) => path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
const empty = z.object({}).strict();

/** Whether an operation may change state, and so runs in a unit of work: all but GETs and read-only POSTs. */
const changesState = (op: Operation) => op.method !== 'get' && !op.readOnly;

export function createAdminApi(deps: { operations: Operation[]; auth: AdminAuth; db: Db; log: Logger; issuer: string; bodyLimitBytes: number }) {
  /** Validates an operation's input and runs it; errors come out as AppErrors with 422 for input. */
  const run = async (op: Operation, raw: { params: unknown; query: unknown; body: unknown }, call: Call): Promise<unknown> => {
    const params = parseOrThrow(op.params ?? empty, raw.params, 'path');
    const query = parseOrThrow(op.query ?? empty, raw.query, 'query');
    const body = op.body ? parseOrThrow(op.body, raw.body, 'body') : undefined;
    const handle = () => op.handle({ params, query, body } as never, call);
    try {
      return await (changesState(op) ? inTransaction(deps.db, handle) : handle());
    } catch (error) {
      throw asUnprocessable(error);
    }
  };

  const byId = new Map(deps.operations.map((op) => [op.id, op]));
  if (byId.size !== deps.operations.length) throw new Error('admin API: duplicate operation id');
  const router = new Router({ prefix: ADMIN_API_PREFIX });
  // Built when first asked for, not at start-up (it converts every schema).
  let document: Record<string, unknown> | undefined;
  const limit = `${deps.bodyLimitBytes}b`;
  const parseBody = bodyParser({
    enableTypes: ['json', 'text'],
    extendTypes: { text: ['text/csv'] },
    jsonLimit: limit,
    textLimit: limit,
    jsonStrict: true,
    onError(error, ctx) {
      const tooLarge = (error as { status?: number }).status === 413;
      if (tooLarge) throw new AppError('payload_too_large', `The request body is larger than ${deps.bodyLimitBytes} bytes.`);
      ctx.throw(400, `The body is not valid JSON: ${(error as Error).message}`);
    },
  });

  // The document describes the API; reading it needs no credentials.
  router.get('/openapi.json', (ctx) => {
    document ??= buildOpenApi(deps.operations, `${deps.issuer}${ADMIN_API_PREFIX}`);
    ctx.body = document;
  });

  for (const op of deps.operations) {
    router[op.method](op.id, koaPath(op.path), async (ctx) => {
      const principal = await deps.auth.authenticate(ctx);
      let body: unknown;
      if (op.body) {
        const expected = op.bodyType ?? 'application/json';
        if (!ctx.is(expected)) throw new AppError('unsupported_media_type', `The body must be sent as ${expected} (it was ${ctx.get('content-type') || 'sent without a Content-Type'}).`);
        await parseBody(ctx, async () => {});
        body = (ctx.request as { body?: unknown }).body;
      }
      const result = await run(op, { params: ctx.params, query: { ...ctx.query }, body }, { principal, ip: clientIpOf(ctx) });
      ctx.status = op.response.status;
      if (result instanceof RawBody) {
        ctx.type = result.type;
        if (result.filename) ctx.attachment(result.filename);
        ctx.body = result.body;
      } else if (op.response.status !== 204) {
        ctx.body = result;
      }
    });
  }

  /** Every error as JSON `{ error, error_description, errors?, reference }`, whatever was asked. */
  const respondWithError = (ctx: ParameterizedContext, raw: unknown) => {
    const error = raw as Error & { status?: number; expose?: boolean };
    const status = isAppError(error) ? error.status : (error.status ?? 500);
    const reference = crypto.randomUUID();
    const code = isAppError(error) ? error.code : status === 413 ? 'payload_too_large' : status < 500 ? 'invalid_request' : 'internal_error';
    if (status >= 500) deps.log.error({ err: error, reference, path: ctx.path }, 'admin API request failed');
    else deps.log.info({ errorCode: code, status, reference, path: ctx.path, message: error.message }, 'admin API request refused');
    const errors = isAppError(error) ? error.details?.errors : undefined;
    ctx.status = status;
    ctx.type = 'json';
    ctx.body = {
      error: code,
      error_description: status >= 500 ? 'Something went wrong on our side; the reference is in the server log.' : error.message,
      ...(errors ? { errors } : {}),
      reference,
    };
  };

  const routes = router.routes();
  /**
   * Everything under the prefix: the operations, and JSON answers for what matches none (404, or
   * 405 with Allow when the path exists for other methods). Nothing else runs for these paths.
   */
  const middleware = async (ctx: ParameterizedContext, next: () => Promise<unknown>) => {
    if (ctx.path !== ADMIN_API_PREFIX && !ctx.path.startsWith(`${ADMIN_API_PREFIX}/`)) return next();
    ctx.state.route = 'admin-api';
    ctx.set('Cache-Control', 'no-store');
    try {
      let matched = true;
      await routes(ctx as never, async () => {
        matched = false;
      });
      if (matched) return;
      const found = router.match(ctx.path, ctx.method);
      if (found.path.length > 0 && !found.route) {
        const allowed = [...new Set(found.path.flatMap((layer) => layer.methods))];
        ctx.set('Allow', allowed.join(', '));
        throw new AppError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}; allowed: ${allowed.join(', ')}.`);
      }
      throw new AppError('not_found', `There is no admin API operation ${ctx.method} ${ctx.path}.`);
    } catch (error) {
      respondWithError(ctx, error);
    }
  };

  return {
    middleware,
    operations: deps.operations,
    /** Runs an operation for the console, validated exactly as over HTTP. */
    invoke(id: string, input: { params?: unknown; query?: unknown; body?: unknown }, call: Call): Promise<unknown> {
      const op = byId.get(id);
      if (!op) throw new Error(`admin API: no operation ${id}`);
      return run(op, { params: input.params ?? {}, query: input.query ?? {}, body: input.body }, call);
    },
  };
}

export type AdminApi = ReturnType<typeof createAdminApi>;

/** The path parameters of an operation on one resource by its id (`/sites/{id}`). */
export const idParams = z.object({ id: z.string().min(1).max(64) }).strict();

/** Query-string helpers shared by the list operations. */
export const queryDate = z.iso.datetime({ offset: true }).transform((v) => new Date(v));
export const pageLimit = z.coerce.number().int().min(1).max(500).default(50);

/** The fields of a [from, to) window in a query, and its check (422 at /to unless to is after from). */
export const windowQuery = {
  from: queryDate.optional().meta({ description: 'Inclusive, ISO 8601 with an offset' }),
  to: queryDate.optional().meta({ description: 'Exclusive, ISO 8601 with an offset' }),
};

export function checkWindow(window: { from?: Date; to?: Date }): void {
  if (window.from && window.to && window.from >= window.to) {
    throw invalidField('to', 'must be after from');
  }
}
