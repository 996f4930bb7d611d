/**
 * /users: local accounts (accounts/accounts.ts) as IT manages them: create, search, change,
 * disable (which ends sessions and revokes grants and tokens), a one-time security-key enrollment
 * link, and removing every security key. Answers never carry password hashes or key material, and
 * neither does the audit log: each change is recorded with the user view before and after.
 */
import { z } from 'zod';
import { newUserSchema, roleSchema, userChangesSchema, userViews, type UserView } from '../../../accounts/accounts.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../../accounts/passwords.ts';
import { usernameKey, validateUsername } from '../../../accounts/usernames.ts';
import { AppError } from '../../../errors.ts';
import type { AdminDeps } from '../deps.ts';
import { operation } from '../operation.ts';
import { idParams, pageLimit } from '../router.ts';

export const userSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    email: z.string().nullable(),
    roles: z.array(z.string()),
    fhirUser: z.string().nullable(),
    disabled: z.boolean(),
    createdAt: z.string().meta({ description: 'ISO 8601' }),
    hasPassword: z.boolean().meta({ description: 'Whether the account can sign in with a password' }),
    securityKeys: z.number().int().meta({ description: 'How many security keys (WebAuthn credentials) are registered' }),
  })
  .meta({ id: 'User' });

const username = newUserSchema.shape.username.superRefine((value, ctx) => {
  try {
    validateUsername(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message.replace(/^username: /, '') });
  }
});

const password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, { message: `must be at least ${MIN_PASSWORD_LENGTH} characters` })
  .max(MAX_PASSWORD_LENGTH, { message: `must be at most ${MAX_PASSWORD_LENGTH} characters` });

const newUserBody = newUserSchema.extend({ username, password: password.optional() });

const userChangesBody = userChangesSchema
  .extend({
    password: password.optional(),
    disabled: z.boolean().optional().meta({ description: 'true ends every session and revokes grants, refresh and access tokens; false lets the account sign in again' }),
  })
  .strict();

/** An opaque cursor: the username key after which the next page starts. */
const encodeCursor = (key: string) => Buffer.from(JSON.stringify({ after: key }), 'utf8').toString('base64url');

const cursor = z
  .string()
  .max(1024)
  .transform((value, ctx) => {
    try {
      const decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { after?: unknown };
      if (typeof decoded.after === 'string') return decoded.after;
    } catch {
      // fall through
    }
    ctx.addIssue({ code: 'custom', message: 'not a cursor this API gave out' });
    return z.NEVER;
  });

const listQuery = z
  .object({
    q: z.string().trim().min(1).max(200).optional().meta({ description: 'Part of the username, display name or email, any case' }),
    role: roleSchema.optional().meta({ description: 'Only users with this role' }),
    disabled: z.enum(['true', 'false']).transform((v) => v === 'true').optional().meta({ description: 'Only disabled (true) or enabled (false) users' }),
    limit: pageLimit,
    cursor: cursor.optional().meta({ description: 'nextCursor of the previous page' }),
  })
  .strict();

export function userOperations(deps: AdminDeps) {
  const find = async (id: string): Promise<UserView> => {
    const view = await deps.accounts.view(id);
    if (!view) throw new AppError('not_found', `No user "${id}".`);
    return view;
  };

  return [
    operation({
      id: 'listUsers',
      method: 'get',
      path: '/users',
      tag: 'users',
      summary: 'Search users, a page at a time in username order',
      query: listQuery,
      response: {
        status: 200,
        description: 'A page of users; nextCursor is null on the last page',
        schema: z.object({ items: z.array(userSchema), nextCursor: z.string().nullable() }),
      },
      handle: async ({ query }) => {
        const rows = await deps.users.search({
          q: query.q,
          qKey: query.q === undefined ? undefined : usernameKey(query.q),
          role: query.role,
          disabled: query.disabled,
          afterKey: query.cursor,
          limit: query.limit + 1,
        });
        const page = rows.slice(0, query.limit);
        return { items: await userViews(deps.users, page), nextCursor: rows.length > query.limit ? encodeCursor(page.at(-1)!.username_key) : null };
      },
    }),
    operation({
      id: 'createUser',
      method: 'post',
      path: '/users',
      tag: 'users',
      summary: 'Create a user (without a password, the person signs in with a security key only)',
      body: newUserBody,
      response: { status: 201, description: 'The user as stored', schema: userSchema },
      errors: [409],
      handle: async ({ body }, call) => {
        const { user } = await deps.accounts.create(body);
        const after = await find(user.id);
        await deps.changes.record(call, { resource: 'user', action: 'create', id: user.id, after });
        return after;
      },
    }),
    operation({
      id: 'getUser',
      method: 'get',
      path: '/users/{id}',
      tag: 'users',
      summary: 'One user',
      params: idParams,
      response: { status: 200, description: 'The user', schema: userSchema },
      errors: [404],
      handle: async ({ params }) => find(params.id),
    }),
    operation({
      id: 'updateUser',
      method: 'patch',
      path: '/users/{id}',
      tag: 'users',
      summary: 'Change a user; `disabled: true` ends their sessions and revokes their tokens at once',
      description: '`email` and `fhirUser` are cleared with null; `roles`, when given, replaces all roles; `password` sets a new password and, as IT resets a password when it may be known to someone else, ends the person\'s sessions and revokes their tokens.',
      params: idParams,
      body: userChangesBody,
      response: { status: 200, description: 'The user as stored', schema: userSchema },
      errors: [404],
      handle: async ({ params, body }, call) => {
        const before = await find(params.id);
        const { disabled, ...changes } = body;
        if (Object.keys(changes).length) await deps.accounts.update(params.id, changes);
        let revoked: number | undefined;
        if (disabled === true) revoked = (await deps.accounts.disable(params.id)).revoked;
        else if (changes.password !== undefined) revoked = await deps.payloads.revokeByAccountId(params.id);
        if (disabled === false && before.disabled) await deps.accounts.enable(params.id);
        const after = await find(params.id);
        const action = before.disabled === after.disabled ? 'update' : after.disabled ? 'disable' : 'enable';
        const details = {
          ...(revoked !== undefined ? { revoked } : {}),
          ...(changes.password !== undefined ? { passwordChanged: true } : {}),
        };
        await deps.changes.record(call, { resource: 'user', action, id: params.id, before, after, ...(Object.keys(details).length ? { details } : {}) });
        return after;
      },
    }),
    operation({
      id: 'createEnrollmentLink',
      method: 'post',
      path: '/users/{id}/enrollment-link',
      tag: 'users',
      summary: 'A one-time link (24 hours) with which the person registers a security key; any earlier link stops working',
      params: idParams,
      response: {
        status: 201,
        description: 'The link, shown once (only its hash is stored)',
        schema: z.object({ url: z.string(), expiresAt: z.string().meta({ description: 'ISO 8601' }) }).meta({ id: 'EnrollmentLink' }),
      },
      errors: [404, 409],
      handle: async ({ params }, call) => {
        const user = await find(params.id);
        if (user.disabled) throw new AppError('conflict', `id: user "${user.username}" is disabled; enable the account before sending a link`);
        const link = await deps.webauthn.createEnrollmentLink(user.id, call.principal.actor, deps.issuer);
        // The URL carries the token: it goes to the caller only, never to the audit log.
        await deps.changes.record(call, { resource: 'user', action: 'enrollment_link', id: user.id, details: { expiresAt: link.expiresAt } });
        return link;
      },
    }),
    operation({
      id: 'resetCredentials',
      method: 'delete',
      path: '/users/{id}/credentials',
      tag: 'users',
      summary: 'Remove every security key of a user (lost or stolen) and end their sessions, grants and tokens',
      description: 'Any outstanding enrollment link stops working too.',
      params: idParams,
      response: {
        status: 200,
        description: 'How many keys were removed and how many sessions, grants and tokens ended',
        schema: z.object({ removed: z.number().int(), sessionsEnded: z.number().int() }).meta({ id: 'CredentialsReset' }),
      },
      errors: [404],
      handle: async ({ params }, call) => {
        const before = await find(params.id);
        const removed = await deps.webauthn.reset(before.id, call.principal.actor);
        const sessionsEnded = await deps.payloads.revokeByAccountId(before.id);
        const after = await find(params.id);
        await deps.changes.record(call, { resource: 'user', action: 'reset_credentials', id: before.id, before, after, details: { removed, sessionsEnded } });
        return { removed, sessionsEnded };
      },
    }),
  ];
}
