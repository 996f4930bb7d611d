/**
 * Policy versions: every save is a new immutable version with its author and time; one version is
 * active. On first start the default policy becomes version 1.
 *
 * `active()` reads the active version (one indexed query). `cached()` answers without a query
 * with what this instance last read; it is for a caller that learns the active version some other
 * way and calls `refresh()` when it differs: the assessor on PostgreSQL, whose one statement per
 * decision also returns the active version, so every process applies a new version at the next
 * decision (signin/assessor.ts).
 */
import { AppError } from '../errors.ts';
import { DEFAULT_POLICY, policySchema, type Policy, type VersionedPolicy } from '../risk/policy.ts';
import type { Db } from '../store/db.ts';
import { createPolicyVersionStore } from '../store/policy-versions.ts';

export function createPolicies(db: Db, now: () => number = Date.now) {
  const store = createPolicyVersionStore(db);
  const parse = (raw: string, version: number): Policy => {
    const parsed = policySchema.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new AppError('internal_error', `stored policy version ${version} is not valid: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  };
  const read = async (): Promise<VersionedPolicy> => {
    const row = await store.active();
    if (!row) throw new AppError('internal_error', 'no active policy');
    return { version: row.version, document: parse(row.document, row.version) };
  };
  // Shared by every decision that uses it: a frozen copy (zod may share default values between
  // parses), so that no caller can change it for the others.
  let cached: Promise<VersionedPolicy> | undefined;
  const remember = (reading: Promise<VersionedPolicy>) => {
    const frozen = reading.then((policy) => deepFreeze(structuredClone(policy)));
    cached = frozen;
    // A failed read is not kept: the next call reads again.
    frozen.catch(() => {
      if (cached === frozen) cached = undefined;
    });
    return frozen;
  };
  return {
    /** Creates and activates version 1 (the default policy) if there is no active policy. */
    async ensureDefault(): Promise<void> {
      if (await store.active()) return;
      await db.transaction(async (trx) => {
        const tx = createPolicyVersionStore(trx);
        if (await tx.active()) return;
        const version = await tx.append({ document: JSON.stringify(DEFAULT_POLICY), author: 'wardgate', comment: 'default policy', created_at: now() });
        await tx.activate(version, 'wardgate', now());
      });
    },
    /** The active policy, read now. */
    async active(): Promise<VersionedPolicy> {
      return read();
    },
    /** The active policy as this instance last read it (read now the first time); frozen. */
    cached(): Promise<VersionedPolicy> {
      return cached ?? remember(read());
    },
    /** Reads the active policy again and keeps it for `cached()`. */
    refresh(): Promise<VersionedPolicy> {
      return remember(read());
    },
    /** Validates and stores a new version; activates it when asked. */
    async save(document: unknown, author: string, options: { comment?: string; activate?: boolean } = {}): Promise<VersionedPolicy> {
      const parsed = policySchema.safeParse(document);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new AppError('invalid_input', `${issue.path.join('.') || 'policy'}: ${issue.message}`, {
          details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
        });
      }
      return db.transaction(async (trx) => {
        const tx = createPolicyVersionStore(trx);
        const version = await tx.append({ document: JSON.stringify(parsed.data), author, comment: options.comment ?? null, created_at: now() });
        if (options.activate) await tx.activate(version, author, now());
        return { version, document: parsed.data };
      });
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export type Policies = ReturnType<typeof createPolicies>;
