/**
 * The oidc-provider adapter over knex: one table for every model but Client, which reads the
 * registered clients. `consume` is a conditional UPDATE, so of any number of parallel redemptions
 * of one code or refresh token exactly one wins; the others are treated as reuse and revoke the
 * grant (the Grant row too, so tokens the winner saves afterwards are dead on arrival), as
 * RFC 6749 §4.1.2 and the OAuth security BCP ask.
 */
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { PayloadStore } from '../store/oidc-payloads.ts';
import type { ClientRegistry } from './clients.ts';

const CONSUMABLE_LABELS: Record<string, string> = {
  AuthorizationCode: 'authorization code',
  RefreshToken: 'refresh token',
  DeviceCode: 'device code',
  BackchannelAuthenticationRequest: 'backchannel authentication request',
};

export function createAdapterFactory(store: PayloadStore, clients: ClientRegistry, now: () => number = Date.now) {
  return class KnexAdapter implements Adapter {
    readonly name: string;

    constructor(name: string) {
      this.name = name;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.name === 'Client') throw new Error('clients are registered through Wardgate, not dynamic registration');
      await store.upsert({
        type: this.name,
        id,
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? null,
        user_code: payload.userCode ?? null,
        uid: payload.uid ?? null,
        account_id: payload.accountId ?? null,
        expires_at: expiresIn ? now() + expiresIn * 1000 : null,
        consumed_at: null,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.name === 'Client') return clients.findMetadata(id);
      return this.#decode(await store.findBy(this.name, { id }, now()));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.#decode(await store.findBy(this.name, { user_code: userCode }, now()));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.#decode(await store.findBy(this.name, { uid }, now()));
    }

    async consume(id: string): Promise<void> {
      if (await store.consume(this.name, id, now())) return;
      // Lost the race against a parallel redemption: this is reuse, and reuse revokes the grant.
      const grantId = await store.grantIdOf(this.name, id);
      if (grantId) await store.revokeGrant(grantId);
      throw new errors.InvalidGrant(`${CONSUMABLE_LABELS[this.name] ?? this.name} already consumed`);
    }

    async destroy(id: string): Promise<void> {
      await store.destroy(this.name, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.revokeByGrantId(this.name, grantId);
    }

    #decode(row: { payload: string; consumed_at: number | null } | undefined): AdapterPayload | undefined {
      if (!row) return undefined;
      const payload = JSON.parse(row.payload) as AdapterPayload;
      return row.consumed_at ? { ...payload, consumed: Math.floor(row.consumed_at / 1000) } : payload;
    }
  };
}
