/**
 * Application errors with a stable `code` (in the style of jose and oidc-provider): callers
 * `switch` on the code, the HTTP edge maps it to a status, and `expose` decides whether the
 * message may be shown to the person on the other end.
 */
export type ErrorCode =
  | 'config_invalid'
  | 'config_unsafe_for_production'
  | 'database_unreachable'
  | 'key_encryption_failed'
  | 'invalid_input'
  | 'not_found'
  | 'conflict'
  | 'invalid_credentials'
  | 'unauthorized'
  | 'forbidden'
  | 'account_disabled'
  | 'interaction_expired'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'method_not_allowed'
  | 'webauthn_failed'
  | 'internal_error';

const defaultStatus: Record<ErrorCode, number> = {
  config_invalid: 500,
  config_unsafe_for_production: 500,
  database_unreachable: 503,
  key_encryption_failed: 500,
  invalid_input: 400,
  not_found: 404,
  conflict: 409,
  invalid_credentials: 401,
  unauthorized: 401,
  forbidden: 403,
  account_disabled: 403,
  interaction_expired: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  method_not_allowed: 405,
  webauthn_failed: 400,
  internal_error: 500,
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { status?: number; expose?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? defaultStatus[code];
    this.expose = options.expose ?? this.status < 500;
    this.details = options.details;
  }
}

export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}

/**
 * invalid_input for what a zod schema refused: the first issue in the message
 * (`<path, or what>: <message>`), every issue in `details.issues` (the admin API's pointers).
 */
export function invalidInput(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, what: string): AppError {
  const issue = issues[0]!;
  return new AppError('invalid_input', `${issue.path.join('.') || what}: ${issue.message}`, {
    details: { issues: issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
  });
}
