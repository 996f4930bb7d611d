/**
 * Local accounts: create, authenticate by password, change, disable and enable. Disabling a user
 * ends their sessions and revokes their grants, refresh and access tokens at once.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { AppError, invalidInput } from '../errors.ts';
import type { PayloadStore } from '../store/oidc-payloads.ts';
import type { UserRow, UserStore } from '../store/users.ts';
import { hashPassword, validatePassword, verifyPassword } from './passwords.ts';
import { usernameKey, validateUsername } from './usernames.ts';

export interface User {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  roles: string[];
  fhirUser: string | null;
  disabled: boolean;
  /** Epoch ms. */
  createdAt: number;
}

export const roleSchema = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, { message: 'must be lower-case letters, digits and -' });

export const newUserSchema = z
  .object({
    username: z.string().min(1).max(128),
    password: z.string().optional(),
    displayName: z.string().trim().min(1).max(200),
    email: z.email().max(320).optional(),
    roles: z.array(roleSchema).default([]),
    fhirUser: z.url().max(1024).optional(),
  })
  .strict();

export type NewUser = z.input<typeof newUserSchema>;

/** Changes to an account's profile or password; `null` clears email and fhirUser. */
export const userChangesSchema = z
  .object({
    displayName: newUserSchema.shape.displayName,
    email: z.email().max(320).nullable(),
    roles: z.array(roleSchema),
    fhirUser: z.url().max(1024).nullable(),
    password: z.string(),
  })
  .partial()
  .strict();

export type UserChanges = z.input<typeof userChangesSchema>;

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    roles: JSON.parse(row.roles) as string[],
    fhirUser: row.fhir_user,
    disabled: Boolean(row.disabled),
    createdAt: Number(row.created_at),
  };
}

/**
 * An account as IT sees it, in the admin API's answers and in the audit entries of changes made
 * there or at the command line: never the password hash, only whether there is a password, and how
 * many security keys are registered.
 */
export interface UserView extends Omit<User, 'createdAt'> {
  /** ISO 8601. */
  createdAt: string;
  hasPassword: boolean;
  securityKeys: number;
}

export async function userViews(users: UserStore, rows: UserRow[]): Promise<UserView[]> {
  const keys = await users.securityKeyCounts(rows.map((r) => r.id));
  return rows.map((row) => {
    const user = toUser(row);
    return { ...user, createdAt: new Date(user.createdAt).toISOString(), hasPassword: row.password_hash !== null, securityKeys: keys.get(row.id) ?? 0 };
  });
}

/** A refusal names the account the username belongs to, if there is one (failures are counted against it). */
export type AuthResult = { ok: true; user: User } | { ok: false; reason: 'invalid_credentials' | 'account_disabled'; userId: string | null };

export function createAccounts(users: UserStore, payloads: PayloadStore, now: () => number = Date.now) {
  return {
    async create(input: NewUser, options: { ifAbsent?: boolean } = {}): Promise<{ user: User; created: boolean }> {
      const parsed = newUserSchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new AppError('invalid_input', `${issue.path.join('.') || 'user'}: ${issue.message}`);
      }
      const data = parsed.data;
      const username = validateUsername(data.username);
      if (data.password !== undefined) validatePassword(data.password);
      const key = usernameKey(username);
      const existing = await users.findByKey(key);
      if (existing) {
        if (options.ifAbsent) return { user: toUser(existing), created: false };
        throw new AppError('conflict', `username: "${username}" is already taken`);
      }
      const row: UserRow = {
        id: crypto.randomUUID(),
        username,
        username_key: key,
        display_name: data.displayName,
        email: data.email ?? null,
        roles: JSON.stringify([...new Set(data.roles)].sort()),
        fhir_user: data.fhirUser ?? null,
        password_hash: data.password === undefined ? null : await hashPassword(data.password),
        disabled: false,
        created_at: now(),
        updated_at: now(),
      };
      if (!(await users.insertIfAbsent(row))) {
        const raced = await users.findByKey(key);
        if (options.ifAbsent && raced) return { user: toUser(raced), created: false };
        throw new AppError('conflict', `username: "${username}" is already taken`);
      }
      return { user: toUser(row), created: true };
    },

    async findById(id: string): Promise<User | undefined> {
      const row = await users.findById(id);
      return row ? toUser(row) : undefined;
    },

    async findByUsername(username: string): Promise<User | undefined> {
      const row = await users.findByKey(usernameKey(username));
      return row ? toUser(row) : undefined;
    },

    /** The account as IT sees it (see UserView), or undefined. */
    async view(id: string): Promise<UserView | undefined> {
      const row = await users.findById(id);
      return row && (await userViews(users, [row]))[0];
    },

    /** Same work and the same answer for an unknown user and a wrong password. */
    async authenticate(username: string, password: string): Promise<AuthResult> {
      const row = await users.findByKey(usernameKey(username));
      const valid = await verifyPassword(row?.password_hash, password);
      if (!row || !valid) return { ok: false, reason: 'invalid_credentials', userId: row?.id ?? null };
      if (row.disabled) return { ok: false, reason: 'account_disabled', userId: row.id };
      return { ok: true, user: toUser(row) };
    },

    /** Disables the account, ends its sessions and revokes its grants and tokens. */
    async disable(id: string): Promise<{ revoked: number }> {
      const changed = await users.update(id, { disabled: true, updated_at: now() });
      if (!changed) throw new AppError('not_found', `user ${id} not found`);
      return { revoked: await payloads.revokeByAccountId(id) };
    },

    /** Lets a disabled account sign in again (its ended sessions stay ended). */
    async enable(id: string): Promise<void> {
      const changed = await users.update(id, { disabled: false, updated_at: now() });
      if (!changed) throw new AppError('not_found', `user ${id} not found`);
    },

    /** Changes the profile, roles or password (validated as at creation; the password is hashed). */
    async update(id: string, input: UserChanges): Promise<User> {
      const parsed = userChangesSchema.safeParse(input);
      if (!parsed.success) throw invalidInput(parsed.error.issues, 'user');
      const data = parsed.data;
      if (data.password !== undefined) validatePassword(data.password);
      const changes: Partial<UserRow> = { updated_at: now() };
      if (data.displayName !== undefined) changes.display_name = data.displayName;
      if (data.email !== undefined) changes.email = data.email;
      if (data.roles !== undefined) changes.roles = JSON.stringify([...new Set(data.roles)].sort());
      if (data.fhirUser !== undefined) changes.fhir_user = data.fhirUser;
      if (data.password !== undefined) changes.password_hash = await hashPassword(data.password);
      if (!(await users.update(id, changes))) throw new AppError('not_found', `user ${id} not found`);
      return toUser((await users.findById(id))!);
    },

  };
}

export type Accounts = ReturnType<typeof createAccounts>;
