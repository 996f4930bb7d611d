/**
 * Security-key changes commit with their audit entry or not at all: an assertion's counter, a
 * removal, a rename, IT's reset and enrollment link. When the audit log refuses the entry (a
 * trigger on audit_log in the test database) the call fails and the keys and links are as they
 * were; when it takes it, the change leaves exactly its own entry.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccounts } from '../../src/accounts/accounts.ts';
import { createAuditLog } from '../../src/audit/log.ts';
import { createDb, type Db } from '../../src/store/db.ts';
import { migrateLatest } from '../../src/store/migrate.ts';
import { createPayloadStore } from '../../src/store/oidc-payloads.ts';
import { createUserStore } from '../../src/store/users.ts';
import { createWebAuthnStore } from '../../src/store/webauthn.ts';
import { createWebAuthn, type WebAuthn } from '../../src/webauthn/service.ts';
import { auditEntriesAfter, lastAuditId, refuseAuditEntries } from '../helpers/audit.ts';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../helpers/database.ts';
import { signAssertion } from '../helpers/security-key.ts';
import { registerSoftwareKey, type SoftwareKey } from '../helpers/software-key.ts';

const ORIGIN = 'https://login.hospital.example';
const RP = { rpId: 'login.hospital.example', rpName: 'Wardgate', origin: ORIGIN };

interface Arranged {
  userId: string;
  key: SoftwareKey;
  keyId: string;
}

interface KeyChange {
  name: string;
  change(webauthn: WebAuthn, arranged: Arranged): Promise<unknown>;
  entry: string;
}

const CHANGES: KeyChange[] = [
  {
    name: 'a step-up assertion (the key counter moves on)',
    async change(webauthn, { key }) {
      const options = await webauthn.authenticationOptions('step_up', 'interaction-1', null);
      const response = signAssertion(key.credential, { challenge: options.challenge, origin: ORIGIN, rpId: RP.rpId, counter: 1 });
      return webauthn.verifyAuthentication({ response, ceremony: 'step_up', binding: 'interaction-1', expectedUserId: null });
    },
    entry: 'webauthn.asserted',
  },
  { name: 'removing a key', change: (webauthn, { userId, keyId }) => webauthn.remove(userId, keyId), entry: 'webauthn.removed' },
  { name: 'renaming a key', change: (webauthn, { userId, keyId }) => webauthn.rename(userId, keyId, 'Blue key'), entry: 'webauthn.renamed' },
  { name: "IT's reset of every key", change: (webauthn, { userId }) => webauthn.reset(userId, 'cli:it-desk'), entry: 'webauthn.reset' },
  { name: 'a new enrollment link', change: (webauthn, { userId }) => webauthn.createEnrollmentLink(userId, 'cli:it-desk', ORIGIN), entry: 'webauthn.enrollment_link' },
];

describe.skipIf(databaseUnavailable())('security-key changes and their audit entries', () => {
  let database: TestDatabase;
  let db: Db;
  let webauthn: WebAuthn;

  beforeEach(async () => {
    database = await createTestDatabase();
    db = createDb(database.kind === 'postgres' ? { client: 'pg', url: database.url } : { client: 'sqlite', filename: database.url.slice('sqlite:'.length) });
    await migrateLatest(db);
    webauthn = createWebAuthn({ db, store: createWebAuthnStore(db), audit: createAuditLog(db), rp: RP });
  });
  afterEach(async () => {
    await db.destroy();
    await database.drop();
  });

  /** A person with two keys and an outstanding enrollment link. */
  const arrange = async (): Promise<Arranged> => {
    const { user } = await createAccounts(createUserStore(db), createPayloadStore(db)).create({ username: 'm.grey', displayName: 'Dr Meredith Grey' });
    const key = await registerSoftwareKey(db, user.id, ORIGIN);
    await registerSoftwareKey(db, user.id, ORIGIN);
    await webauthn.createEnrollmentLink(user.id, 'cli:it-desk', ORIGIN);
    return { userId: user.id, key, keyId: Buffer.from(key.credential.credentialId, 'base64').toString('base64url') };
  };

  /** The keys and links as stored (challenges aside: one is consumed before anything is judged). */
  const state = async () => ({
    keys: await db('webauthn_credentials').select('id', 'counter', 'nickname', 'last_used_at', 'suspended_at').orderBy('id'),
    links: await db('webauthn_enrollment_links').select('token_hash', 'used_at', 'expires_at').orderBy('token_hash'),
  });

  it.each(CHANGES)('$name: when its audit entry cannot be written, fails and changes no key or link', async ({ change }) => {
    const arranged = await arrange();
    const before = await state();
    const allowAudit = await refuseAuditEntries(db);
    try {
      await expect(change(webauthn, arranged)).rejects.toThrow(/audit_log refuses new entries/);
    } finally {
      await allowAudit();
    }
    expect(await state()).toEqual(before);
  });

  it.each(CHANGES)('$name: once done, leaves exactly its own audit entry', async ({ change, entry }) => {
    const arranged = await arrange();
    const before = await state();
    const last = await lastAuditId(db);
    await change(webauthn, arranged);
    expect(await state()).not.toEqual(before);
    expect((await auditEntriesAfter(db, last)).map((e) => e.type)).toEqual([entry]);
  });
});
