/** Zod parsing for the hospital services: bad input becomes AppError('invalid_input', '<field>: <message>'). */
import type { z } from 'zod';
import { AppError, invalidInput } from '../errors.ts';

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw invalidInput(parsed.error.issues, what);
}

/** invalid_input for one field: its name in the message and in `details.issues` (the admin API's pointer). */
export function invalidField(field: string, message: string): AppError {
  return new AppError('invalid_input', `${field}: ${message}`, { details: { issues: [{ path: field, message }] } });
}
