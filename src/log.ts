/**
 * JSON logs through pino. Secrets never reach a log line: passwords, tokens, cookies, client
 * secrets and keys are redacted wherever they appear in the logged object.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export const redactPaths = [
  'password', '*.password', '*.*.password',
  'client_secret', '*.client_secret', '*.*.client_secret', 'clientSecret', '*.clientSecret',
  'secret', '*.secret',
  'token', '*.token', 'access_token', '*.access_token', 'refresh_token', '*.refresh_token', 'id_token', '*.id_token',
  'query.code', '*.query.code', 'body.code', '*.body.code', 'code_verifier', '*.code_verifier',
  'key', '*.key', 'keys', '*.keys', 'jwk', '*.jwk', 'd', '*.d',
  'cookie', '*.cookie', '*.headers.cookie', '*.headers.authorization', '*.headers["set-cookie"]',
  'authorization', '*.authorization',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'wardgate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
