/**
 * Request validation for the admin API: zod issues become one error per field, each naming the
 * field by its JSON pointer (RFC 6901), and unknown fields are named one by one. A request that
 * fails validation is answered 422 with every error, never only the first.
 */
import type { z } from 'zod';
import { AppError, isAppError } from '../../errors.ts';

export interface FieldError {
  pointer: string;
  message: string;
}

const escape = (segment: PropertyKey) => String(segment).replaceAll('~', '~0').replaceAll('/', '~1');

export function pointerOf(path: ReadonlyArray<PropertyKey>): string {
  return path.map((segment) => `/${escape(segment)}`).join('');
}

/** Dotted paths (as the services report them, `networks.0`) as JSON pointers. */
export function pointerOfDotted(path: string): string {
  return path ? pointerOf(path.split('.')) : '';
}

export function fieldErrors(issues: ReadonlyArray<z.core.$ZodIssue>): FieldError[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ pointer: pointerOf([...issue.path, key]), message: `unknown field "${key}"` }));
    }
    return [{ pointer: pointerOf(issue.path), message: issue.message }];
  });
}

/** A 422 naming every error; the description lists them for a person reading the response. */
export function unprocessable(errors: FieldError[], what = 'request'): AppError {
  const description = errors.map((e) => `${e.pointer || `/(${what})`}: ${e.message}`).join('; ');
  return new AppError('invalid_input', `The ${what} is not valid: ${description}`, { status: 422, details: { errors } });
}

export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw unprocessable(fieldErrors(parsed.error.issues), what);
}

/**
 * A service's own invalid_input (it validates again, and knows things a schema cannot: an unknown
 * username, a site still in use) becomes the same 422 shape, with pointers from its issue paths.
 */
export function asUnprocessable(error: unknown): unknown {
  if (!isAppError(error, 'invalid_input') || error.status === 422) return error;
  const issues = (error.details?.issues as Array<{ path: string; message: string }> | undefined) ?? [];
  const errors = issues.length ? issues.map((i) => ({ pointer: pointerOfDotted(i.path), message: i.message })) : [{ pointer: '', message: error.message }];
  return new AppError('invalid_input', error.message, { status: 422, details: { ...error.details, errors } });
}
