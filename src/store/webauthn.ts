/**
 * Queries for the WebAuthn tables: credentials, single-use challenges, IT enrollment links, and the
 * state of sign-ins waiting for a step-up or an enrollment.
 */
import { countRows, type Db } from './db.ts';

export interface CredentialRow {
  id: string;
  user_id: string;
  public_key: string;
  counter: number;
  transports: string;
  aaguid: string | null;
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean | number;
  nickname: string;
  created_at: number;
  last_used_at: number | null;
  suspended_at?: number | null;
}

export interface ChallengeRow {
  challenge: string;
  ceremony: 'register' | 'step_up' | 'passkey' | 'enroll_link';
  binding: string;
  user_id: string | null;
  expires_at: number;
  consumed_at: number | null;
  outcome: 'success' | 'failure' | null;
}

export interface EnrollmentLinkRow {
  token_hash: string;
  user_id: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface SignInStateRow {
  interaction_uid: string;
  user_id: string;
  decision_id: string;
  stage: 'step_up' | 'enroll';
  password_at: number | null;
  expires_at: number;
}

export function createWebAuthnStore(db: Db) {
  const credentials = () => db<CredentialRow>('webauthn_credentials');
  const challenges = () => db<ChallengeRow>('webauthn_challenges');
  const links = () => db<EnrollmentLinkRow>('webauthn_enrollment_links');
  const states = () => db<SignInStateRow>('sign_in_states');
  return {
    credentialsOf: (userId: string) => credentials().where({ user_id: userId }).orderBy('created_at'),
    countCredentials: (userId: string) => countRows(credentials().where({ user_id: userId })),
    findCredential: (id: string) => credentials().where({ id }).first(),
    insertCredential: (row: CredentialRow) => credentials().insert(row),
    /**
     * Moves the counter forward, atomically: true only if the stored counter is still `previous`.
     * A counter that stays 0 (synced passkeys) is written as 0.
     */
    async advanceCounter(id: string, previous: number, next: number, at: number): Promise<boolean> {
      return (await credentials().where({ id, counter: previous }).update({ counter: next, last_used_at: at })) === 1;
    },
    renameCredential: async (id: string, userId: string, nickname: string) => (await credentials().where({ id, user_id: userId }).update({ nickname })) === 1,
    deleteCredentialsOf: (userId: string) => credentials().where({ user_id: userId }).delete(),
    suspendCredential: (id: string, at: number) => credentials().where({ id }).update({ suspended_at: at }),
    /** Deletes one of a user's keys unless it is their last, in one transaction (rows locked on PostgreSQL). */
    async removeUnlessLast(userId: string, id: string): Promise<'removed' | 'last' | 'not_found'> {
      return db.transaction(async (trx) => {
        const ids = (await trx<CredentialRow>('webauthn_credentials').where({ user_id: userId }).forUpdate().select('id')).map((r) => r.id);
        if (!ids.includes(id)) return 'not_found';
        if (ids.length <= 1) return 'last';
        await trx<CredentialRow>('webauthn_credentials').where({ id, user_id: userId }).delete();
        return 'removed';
      });
    },
    revokeLinksOf: (userId: string, at: number) => links().where({ user_id: userId }).whereNull('used_at').update({ used_at: at }),

    insertChallenge: (row: ChallengeRow) => challenges().insert(row),
    /** Single use: true only for the one caller that consumes a live challenge of this ceremony and binding. */
    async consumeChallenge(challenge: string, ceremony: ChallengeRow['ceremony'], binding: string, now: number): Promise<ChallengeRow | undefined> {
      const changed = await challenges().where({ challenge, ceremony, binding }).whereNull('consumed_at').andWhere('expires_at', '>', now).update({ consumed_at: now });
      return changed === 1 ? challenges().where({ challenge }).first() : undefined;
    },
    setChallengeOutcome: (challenge: string, outcome: 'success' | 'failure') => challenges().where({ challenge }).update({ outcome }),
    failuresFor: (binding: string) => countRows(challenges().where({ binding, outcome: 'failure' })),
    deleteChallengesBefore: (at: number) => challenges().where('expires_at', '<', at).delete(),

    insertLink: (row: EnrollmentLinkRow) => links().insert(row),
    findLiveLink: (hash: string, now: number) => links().where({ token_hash: hash }).whereNull('used_at').andWhere('expires_at', '>', now).first(),
    useLink: async (hash: string, now: number) => (await links().where({ token_hash: hash }).whereNull('used_at').andWhere('expires_at', '>', now).update({ used_at: now })) === 1,

    putState: (row: SignInStateRow) => states().insert(row).onConflict('interaction_uid').merge(),
    findState: (uid: string, now: number) => states().where({ interaction_uid: uid }).andWhere('expires_at', '>', now).first(),
    deleteState: (uid: string) => states().where({ interaction_uid: uid }).delete(),
    deleteStatesBefore: (at: number) => states().where('expires_at', '<', at).delete(),
  };
}

export type WebAuthnStore = ReturnType<typeof createWebAuthnStore>;
