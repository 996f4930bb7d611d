/**
 * What Wardgate's WebAuthn pages send, read the same way wherever a ceremony runs (a sign-in
 * interaction, an enrollment link): options are asked for with same-origin JSON, and the result is
 * posted as a form whose `response` field holds what @simplewebauthn/browser produced.
 */
import type { Next, ParameterizedContext } from 'koa';
import { z } from 'zod';
import { AppError } from '../errors.ts';

/** Only the page Wardgate served may ask for a challenge (and JSON forces a CORS preflight). */
export async function sameOriginJson(ctx: ParameterizedContext, next: Next): Promise<void> {
  const site = ctx.get('sec-fetch-site');
  if ((site && site !== 'same-origin') || !ctx.is('application/json')) ctx.throw(403, 'Security key requests must come from the Wardgate page.');
  await next();
}

const ceremonyForm = z.object({ response: z.string().min(2).max(64 * 1024), nickname: z.string().max(100).optional(), password: z.string().max(4096).optional() });
const b64url = z.string().regex(/^[A-Za-z0-9_-]*$/).max(16 * 1024);
/** The shape @simplewebauthn/browser posts; anything else is refused before it reaches a query. */
const credentialShape = z.object({
  id: b64url.min(1),
  rawId: b64url.min(1),
  type: z.literal('public-key'),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  response: z.object({
    clientDataJSON: b64url.min(1),
    authenticatorData: b64url.optional(),
    signature: b64url.optional(),
    userHandle: b64url.optional(),
    attestationObject: b64url.optional(),
    transports: z.array(z.string().max(32)).max(8).optional(),
  }).passthrough(),
  clientExtensionResults: z.record(z.string(), z.unknown()).optional(),
}).passthrough();

/** The posted ceremony result; AppError('webauthn_failed') when it is not what the page script posts. */
export function readCeremonyForm<T>(body: unknown): { response: T; nickname?: string; password?: string } {
  const form = ceremonyForm.safeParse(body ?? {});
  if (form.success) {
    try {
      const shaped = credentialShape.safeParse(JSON.parse(form.data.response));
      if (shaped.success) return { response: shaped.data as T, nickname: form.data.nickname, password: form.data.password };
    } catch {
      // not JSON: refused below
    }
  }
  throw new AppError('webauthn_failed', 'The security key response could not be read.');
}
