/**
 * Policy versions: every save is a new immutable version with its author and time; one version is
 * active. On first start the default policy becomes version 1.
 *
 * `active()` reads the active version (one indexed query). `cached()` answers without a query
 * with what this instance last read; it is for a caller that learns the active version some other
 * way and calls `refresh()` when it differs: the assessor on PostgreSQL, whose one statement per
 * decision also returns the active version, so every process applies a new version at the next
 * decision (signin/assessor.ts). A version saved active or activated here refreshes this instance's
 * cache at once; other processes see it at their next decision.
 *
 * Writes (`save`, `activate`) take the versions' lock in their transaction, so parallel saves get
 * distinct numbers and an activation's "before" is the version it replaced.
 */
import { AppError, invalidInput } from '../errors.ts';
import { DEFAULT_POLICY, policySchema, storedPolicySchema, type Policy, type VersionedPolicy } from '../risk/policy.ts';
import type { Db } from '../store/db.ts';
import { createPolicyVersionStore, type PolicyVersionRow } from '../store/policy-versions.ts';

/** A version as IT sees it; `activatedAt` and `activatedBy` are known for the active one only. */
export interface PolicyVersionInfo {
  version: number;
  author: string;
  comment: string | null;
  createdAt: number;
  active: boolean;
  activatedAt: number | null;
  activatedBy: string | null;
}

export interface StoredPolicyVersion extends PolicyVersionInfo {
  document: Policy;
}

export function createPolicies(db: Db, now: () => number = Date.now) {
  const store = createPolicyVersionStore(db);
  const parse = (raw: string, version: number): Policy => {
    const parsed = storedPolicySchema.safeParse(JSON.parse(raw));
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
    /** Validates and stores a new version; activates it when asked (`previous`: the version it replaced). */
    async save(document: unknown, author: string, options: { comment?: string; activate?: boolean } = {}): Promise<VersionedPolicy & { previous?: number }> {
      const parsed = policySchema.safeParse(document);
      if (!parsed.success) throw invalidInput(parsed.error.issues, 'policy');
      const saved = await db.transaction(async (trx) => {
        const tx = createPolicyVersionStore(trx);
        const version = await tx.append({ document: JSON.stringify(parsed.data), author, comment: options.comment ?? null, created_at: now() });
        if (!options.activate) return { version, document: parsed.data };
        const previous = (await tx.active())?.version ?? 0;
        await tx.activate(version, author, now());
        return { version, document: parsed.data, previous };
      });
      if (options.activate) await remember(read()).catch(() => undefined);
      return saved;
    },
    /** Every version without its document, newest first, marking the active one. */
    async versions(): Promise<PolicyVersionInfo[]> {
      const [rows, active] = await Promise.all([store.list(), store.active()]);
      return rows.map((row) => info(row, active));
    },
    /** One version with its document, or undefined. */
    async version(version: number): Promise<StoredPolicyVersion | undefined> {
      const [row, active] = await Promise.all([store.get(version), store.active()]);
      return row && { ...info(row, active), document: parse(row.document, row.version) };
    },
    /** The active version with its document and who activated it when. */
    async current(): Promise<StoredPolicyVersion> {
      const row = await store.active();
      if (!row) throw new AppError('internal_error', 'no active policy');
      return { ...info(row, row), document: parse(row.document, row.version) };
    },
    /**
     * Makes a stored version the active one (a rollback is the activation of an older one). Answers
     * the version active before; activating the active version changes nothing.
     */
    async activate(version: number, by: string): Promise<{ before: number; after: number; changed: boolean }> {
      const result = await db.transaction(async (trx) => {
        const tx = createPolicyVersionStore(trx);
        await tx.lock();
        if (!(await tx.get(version))) throw new AppError('not_found', `No policy version ${version}.`);
        const before = (await tx.active())?.version ?? 0;
        if (before !== version) await tx.activate(version, by, now());
        return { before, after: version, changed: before !== version };
      });
      if (result.changed) await remember(read()).catch(() => undefined);
      return result;
    },
  };
}

function info(row: Omit<PolicyVersionRow, 'document'>, active: { version: number; activated_at: number; activated_by: string } | undefined): PolicyVersionInfo {
  const isActive = active?.version === row.version;
  return {
    version: Number(row.version),
    author: row.author,
    comment: row.comment ?? null,
    createdAt: Number(row.created_at),
    active: isActive,
    activatedAt: isActive ? Number(active.activated_at) : null,
    activatedBy: isActive ? active.activated_by : null,
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
