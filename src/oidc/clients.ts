/**
 * Registered relying apps. Metadata is validated by zod when a client is registered or changed; the
 * secret of a confidential client is generated (or given by bootstrap), shown once, and stored
 * sealed. Wardgate-specific metadata: `sensitivity` (standard | high), `first_party` (skips consent)
 * and `offline_access_allowed` (may hold offline_access refresh tokens, which outlive logout).
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { SecretBox } from '../crypto/secret-box.ts';
import { AppError, invalidInput } from '../errors.ts';
import type { ClientRow, ClientStore } from '../store/clients.ts';
import { SCOPES, USER_SCOPES } from './account-claims.ts';

const httpUrl = z.url().refine((v) => /^https?:\/\//.test(v) && !v.includes('#'), {
  message: 'must be an http(s) URL without a fragment',
});

const clientName = z.string().min(1).max(200);
const uris = z.array(httpUrl);
const grantTypes = z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).min(1);
const authMethod = z.enum(['client_secret_basic', 'client_secret_post', 'none']);
const signingAlg = z.enum(['ES256', 'RS256']);
const scope = z
  .string()
  .refine((s) => s.split(' ').every((t) => SCOPES.includes(t)), { message: `must be space-separated scopes from: ${SCOPES.join(' ')}` });
const sensitivity = z.enum(['standard', 'high']);
const offlineAccessAllowedField = z.boolean().meta({
  description: 'May hold offline_access: refresh tokens that survive logout and the end of the sign-in session. Without it offline_access is not granted, and every token ends with the session.',
});

/**
 * Whether a client (oidc-provider's Client, or stored metadata) may be granted offline_access. Only
 * clients IT registered with `offline_access_allowed` may; for any other, the scope is refused at
 * consent and its tokens stay bound to the sign-in session, ending at logout.
 */
export function offlineAccessAllowed(client: unknown): boolean {
  return (client as { offline_access_allowed?: unknown } | undefined)?.offline_access_allowed === true;
}

/** Every metadata field a client has, with its default; the id and the secret are not metadata. */
const metadataFields = {
  client_name: clientName,
  redirect_uris: uris.default([]),
  post_logout_redirect_uris: uris.default([]),
  grant_types: grantTypes.default(['authorization_code', 'refresh_token']),
  token_endpoint_auth_method: authMethod.default('client_secret_basic'),
  backchannel_logout_uri: httpUrl.optional(),
  backchannel_logout_session_required: z.boolean().optional(),
  id_token_signed_response_alg: signingAlg.default('ES256'),
  scope: scope.optional(),
  sensitivity: sensitivity.default('standard'),
  first_party: z.boolean().default(false),
  offline_access_allowed: offlineAccessAllowedField.default(false),
};

/** The rules that hold between fields, for every way a client comes to be. */
function checkClient(
  c: { grant_types: string[]; redirect_uris: string[]; token_endpoint_auth_method: string; client_secret?: string | undefined; offline_access_allowed?: boolean | undefined },
  ctx: z.RefinementCtx,
): void {
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
  if (c.offline_access_allowed && !c.grant_types.includes('refresh_token')) {
    ctx.addIssue({ code: 'custom', path: ['offline_access_allowed'], message: 'offline access needs the refresh_token grant' });
  }
  if (c.token_endpoint_auth_method === 'none' && c.client_secret) {
    ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'a public client (auth method none) has no secret' });
  }
}

/** Registration by Wardgate itself, the CLI and bootstrap: the id and the secret may be given. */
export const clientInputSchema = z
  .object({
    client_id: z.string().regex(/^[A-Za-z0-9._~-]{3,128}$/, { message: 'must be 3-128 characters of A-Z a-z 0-9 . _ ~ -' }).optional(),
    ...metadataFields,
    client_secret: z.string().min(32).optional(),
  })
  .strict()
  .superRefine(checkClient);

/**
 * Registration over the admin API: Wardgate generates the id and the secret (neither can be
 * chosen), and the sensitivity must be stated.
 */
export const newClientSchema = z
  .object({ ...metadataFields, sensitivity: sensitivity.meta({ description: 'high: a password session never signs in to it without a security key' }) })
  .strict()
  .superRefine(checkClient);

/** A stored client's metadata, validated again as a whole after a change. */
const metadataSchema = z.object(metadataFields).strict().superRefine(checkClient);

/**
 * A change to a client: any metadata field, each replacing what is stored (lists replace whole
 * lists); `null` removes backchannel logout. The id and the secret stay.
 */
export const clientChangesSchema = z
  .object({
    client_name: clientName.optional(),
    redirect_uris: uris.optional(),
    post_logout_redirect_uris: uris.optional(),
    grant_types: grantTypes.optional(),
    token_endpoint_auth_method: authMethod.optional().meta({ description: 'client_secret_basic and client_secret_post can be swapped; a public client (none) cannot become confidential or the reverse' }),
    backchannel_logout_uri: httpUrl.nullable().optional().meta({ description: 'null removes it' }),
    backchannel_logout_session_required: z.boolean().nullable().optional().meta({ description: 'null removes it' }),
    id_token_signed_response_alg: signingAlg.optional(),
    scope: scope.optional(),
    sensitivity: sensitivity.optional(),
    first_party: z.boolean().optional(),
    offline_access_allowed: offlineAccessAllowedField.optional(),
  })
  .strict();

export type ClientInput = z.input<typeof clientInputSchema>;
export type ClientChanges = z.output<typeof clientChangesSchema>;
export type ClientMetadata = Record<string, unknown> & { client_id: string };
/** A client as the admin API shows it: public metadata (never the secret) and when it changed. */
export interface ClientRecord {
  metadata: ClientMetadata;
  createdAt: number;
  updatedAt: number;
}
/** A last look at the metadata before it is stored (the admin API asks oidc-provider). */
export type ClientCheck = (metadata: ClientMetadata) => Promise<void>;

function secretPurpose(clientId: string) {
  return `wardgate:client-secret:${clientId}`;
}

/** The metadata oidc-provider reads, from validated fields. */
function metadataOf(clientId: string, fields: z.output<typeof metadataSchema>): ClientMetadata {
  return {
    client_id: clientId,
    ...fields,
    // Without an explicit scope a client may ask only for what a person can grant.
    scope: fields.scope ?? USER_SCOPES.join(' '),
    response_types: fields.grant_types.includes('authorization_code') ? ['code'] : [],
  };
}

const recordOf = (row: ClientRow): ClientRecord => ({ metadata: JSON.parse(row.metadata) as ClientMetadata, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at) });

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

    /** Every client with when it was registered and last changed; no secrets. */
    async records(): Promise<ClientRecord[]> {
      return (await store.list()).map(recordOf);
    },

    /** One client without its secret. */
    async record(clientId: string): Promise<ClientRecord | undefined> {
      const row = await store.find(clientId);
      return row && recordOf(row);
    },

    /**
     * Registers a client. Returns the client id and, for a confidential client, its secret (the only
     * time it is shown), or `created: false` when the id exists and `ifAbsent` was asked.
     */
    async register(input: ClientInput, options: { ifAbsent?: boolean; check?: ClientCheck } = {}): Promise<{ client_id: string; client_secret?: string; created: boolean }> {
      const parsed = clientInputSchema.safeParse(input);
      if (!parsed.success) throw invalidInput(parsed.error.issues, 'client');
      const { client_secret: givenSecret, client_id: givenId, ...rest } = parsed.data;
      const clientId = givenId ?? `wg-${crypto.randomBytes(12).toString('base64url')}`;
      const confidential = rest.token_endpoint_auth_method !== 'none';
      const secret = confidential ? (givenSecret ?? crypto.randomBytes(32).toString('base64url')) : undefined;
      const metadata = metadataOf(clientId, rest);
      await options.check?.(metadata);
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

    /**
     * Changes a client's metadata: the changes are laid over what is stored and the result is
     * validated as a whole, with the rules of registration. The id and the secret stay, so a client
     * cannot move between public (auth method none, no secret) and confidential.
     */
    async update(clientId: string, changes: ClientChanges, options: { check?: ClientCheck } = {}): Promise<ClientRecord> {
      const row = await store.find(clientId);
      if (!row) throw new AppError('not_found', `No client "${clientId}".`);
      const { client_id: _id, response_types: _derived, ...current } = JSON.parse(row.metadata) as ClientMetadata;
      const merged: Record<string, unknown> = { ...current, ...changes };
      for (const [key, value] of Object.entries(merged)) if (value === null || value === undefined) delete merged[key];
      const issues: z.core.$ZodIssue[] = [];
      const method = merged.token_endpoint_auth_method ?? 'client_secret_basic';
      if ((current.token_endpoint_auth_method === 'none') !== (method === 'none')) {
        issues.push({
          code: 'custom',
          path: ['token_endpoint_auth_method'],
          message: `cannot change from ${String(current.token_endpoint_auth_method)} to ${String(method)}: a public client has no secret and a confidential one keeps its own; register a new client instead`,
          input: method,
        });
      }
      const parsed = metadataSchema.safeParse(merged);
      if (!parsed.success) issues.push(...parsed.error.issues);
      if (issues.length || !parsed.success) throw invalidInput(issues, 'client');
      const metadata = metadataOf(clientId, parsed.data);
      await options.check?.(metadata);
      const updatedAt = now();
      if (!(await store.updateMetadata(clientId, JSON.stringify(metadata), updatedAt))) throw new AppError('not_found', `No client "${clientId}".`);
      return { metadata, createdAt: Number(row.created_at), updatedAt };
    },

    /** Removes a client; true when there was one. Its grants and tokens are the caller's to revoke. */
    async remove(clientId: string): Promise<boolean> {
      return (await store.delete(clientId)) > 0;
    },
  };
}

export type ClientRegistry = ReturnType<typeof createClientRegistry>;
