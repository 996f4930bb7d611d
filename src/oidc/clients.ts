/**
 * Registered relying apps. Metadata is validated by zod when a client is registered; the secret of
 * a confidential client is generated (or given by bootstrap), shown once, and stored sealed.
 * Wardgate-specific metadata: `sensitivity` (standard | high) and `first_party` (skips consent).
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { SecretBox } from '../crypto/secret-box.ts';
import { AppError } from '../errors.ts';
import type { ClientStore } from '../store/clients.ts';
import { SCOPES, USER_SCOPES } from './account-claims.ts';

const httpUrl = z.url().refine((v) => /^https?:\/\//.test(v) && !v.includes('#'), {
  message: 'must be an http(s) URL without a fragment',
});

export const clientInputSchema = z
  .object({
    client_id: z.string().regex(/^[A-Za-z0-9._~-]{3,128}$/, { message: 'must be 3-128 characters of A-Z a-z 0-9 . _ ~ -' }).optional(),
    client_name: z.string().min(1).max(200),
    redirect_uris: z.array(httpUrl).default([]),
    post_logout_redirect_uris: z.array(httpUrl).default([]),
    grant_types: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).min(1).default(['authorization_code', 'refresh_token']),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'none']).default('client_secret_basic'),
    backchannel_logout_uri: httpUrl.optional(),
    backchannel_logout_session_required: z.boolean().optional(),
    id_token_signed_response_alg: z.enum(['ES256', 'RS256']).default('ES256'),
    scope: z
      .string()
      .refine((s) => s.split(' ').every((t) => SCOPES.includes(t)), { message: `must be space-separated scopes from: ${SCOPES.join(' ')}` })
      .optional(),
    sensitivity: z.enum(['standard', 'high']).default('standard'),
    first_party: z.boolean().default(false),
    client_secret: z.string().min(32).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const usesCode = c.grant_types.includes('authorization_code');
    if (usesCode && c.redirect_uris.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['redirect_uris'], message: 'required for the authorization_code grant' });
    }
    if (!usesCode && c.grant_types.includes('refresh_token')) {
      ctx.addIssue({ code: 'custom', path: ['grant_types'], message: 'refresh_token needs authorization_code' });
    }
    if (c.token_endpoint_auth_method === 'none' && c.grant_types.includes('client_credentials')) {
      ctx.addIssue({ code: 'custom', path: ['grant_types'], message: 'client_credentials needs a confidential client' });
    }
    if (c.token_endpoint_auth_method === 'none' && c.client_secret) {
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'a public client (auth method none) has no secret' });
    }
  });

export type ClientInput = z.input<typeof clientInputSchema>;
export type ClientMetadata = Record<string, unknown> & { client_id: string };

function secretPurpose(clientId: string) {
  return `wardgate:client-secret:${clientId}`;
}

export function createClientRegistry(store: ClientStore, box: SecretBox, now: () => number = Date.now) {
  return {
    /** Full metadata as oidc-provider wants it, with the secret opened. */
    async findMetadata(clientId: string): Promise<ClientMetadata | undefined> {
      const row = await store.find(clientId);
      if (!row) return undefined;
      const metadata = JSON.parse(row.metadata) as ClientMetadata;
      if (row.secret_encrypted) metadata.client_secret = box.open(row.secret_encrypted, secretPurpose(clientId));
      return metadata;
    },

    /** Public view (no secret) of every client. */
    async list(): Promise<ClientMetadata[]> {
      return (await store.list()).map((row) => JSON.parse(row.metadata) as ClientMetadata);
    },

    /**
     * Registers a client. Returns the client id and, for a confidential client, its secret (the only
     * time it is shown), or `created: false` when the id exists and `ifAbsent` was asked.
     */
    async register(input: ClientInput, options: { ifAbsent?: boolean } = {}): Promise<{ client_id: string; client_secret?: string; created: boolean }> {
      const parsed = clientInputSchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new AppError('invalid_input', `${issue.path.join('.') || 'client'}: ${issue.message}`, {
          details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
        });
      }
      const { client_secret: givenSecret, client_id: givenId, ...rest } = parsed.data;
      const clientId = givenId ?? `wg-${crypto.randomBytes(12).toString('base64url')}`;
      const confidential = rest.token_endpoint_auth_method !== 'none';
      const secret = confidential ? (givenSecret ?? crypto.randomBytes(32).toString('base64url')) : undefined;
      const metadata: ClientMetadata = {
        client_id: clientId,
        ...rest,
        // Without an explicit scope a client may ask only for what a person can grant.
        scope: rest.scope ?? USER_SCOPES.join(' '),
        response_types: rest.grant_types.includes('authorization_code') ? ['code'] : [],
      };
      const created = await store.insertIfAbsent({
        client_id: clientId,
        metadata: JSON.stringify(metadata),
        secret_encrypted: secret ? box.seal(secret, secretPurpose(clientId)) : null,
        created_at: now(),
        updated_at: now(),
      });
      if (!created && !options.ifAbsent) throw new AppError('conflict', `client_id: "${clientId}" is already registered`);
      if (!created) return { client_id: clientId, created: false };
      return secret ? { client_id: clientId, client_secret: secret, created: true } : { client_id: clientId, created: true };
    },
  };
}

export type ClientRegistry = ReturnType<typeof createClientRegistry>;
