/**
 * One admin API operation: its method and path, the zod schemas that validate its path parameters,
 * query and body, the schema of its answer, and a handler free of Koa. The router mounts it, the
 * OpenAPI document is generated from the same schemas, and the web console calls it in process
 * through `invoke` (admin/api/router.ts), so every caller is validated and audited the same way.
 * Every operation but a GET runs in one unit of work (store/unit-of-work.ts): what it changes and
 * the audit entry it records commit together, or neither does.
 */
import type { z } from 'zod';
import type { Principal } from './auth.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who is calling and from where; handlers pass it to `Changes.record` (audit/changes.ts) for the audit log. */
export interface Call {
  principal: Principal;
  ip: string;
}

/** An answer that is not JSON (a CSV template, an ndjson or FHIR download). */
export class RawBody {
  readonly type: string;
  readonly body: string;
  readonly filename: string | undefined;
  constructor(type: string, body: string, filename?: string) {
    this.type = type;
    this.body = body;
    this.filename = filename;
  }
}

export interface Operation<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  /** Stable, used as the OpenAPI operationId and by the console's `invoke`. */
  id: string;
  method: Method;
  /** OpenAPI style, relative to /admin/api/v1: `/sites/{id}`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Content type of the body; JSON unless said. A text body arrives as a string. */
  bodyType?: 'application/json' | 'text/csv';
  /** The success status and what it carries (no schema: no body, as for 204). */
  response: { status: 200 | 201 | 204; description: string; schema?: z.ZodType; contentType?: string };
  /** Error statuses this operation can give besides 400, 401, 403 and 422 (for the document). */
  errors?: Array<404 | 409>;
  /**
   * A POST that writes nothing (a check, a simulation, a replay): it runs outside a transaction,
   * so that a long read does not hold one open (on SQLite, the one connection every request needs).
   */
  readOnly?: true;
  handle(input: { params: z.output<P>; query: z.output<Q>; body: z.output<B> }, call: Call): Promise<unknown>;
}

/** Keeps the generic types of one operation while building the list (`satisfies` per entry). */
export function operation<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType>(op: Operation<P, Q, B>): Operation {
  return op as unknown as Operation;
}
