/**
 * Sign-in history: where, when and on what device each user's sign-ins ended. The geo and device
 * signals read it back (impossible travel, new device): a step-up counts as a success once its key
 * was verified, with the acr it reached. Only the device fingerprint hash is kept,
 * and a private address is stored without a place.
 */
import type { RiskPorts } from '../risk/ports.ts';
import type { RiskContext } from '../risk/types.ts';
import type { HistoryStore } from '../store/sign-in-history.ts';

export function createSignInHistory(store: HistoryStore, ports: Pick<RiskPorts, 'geo' | 'devices'>) {
  return {
    /** `acr`: the assurance a successful sign-in reached (urn:wardgate:acr:1fa, phr). */
    async record(context: RiskContext & { user: NonNullable<RiskContext['user']> }, outcome: 'success' | 'step_up' | 'deny', acr: string | null = null): Promise<void> {
      const place = ports.geo.lookup(context.ip); // null for private and reserved addresses
      const device = ports.devices.describe(context.userAgent, context.clientHints);
      await store.insert({
        user_id: context.user.id,
        at: context.at.getTime(),
        ip: context.ip,
        country: place?.country ?? null,
        latitude: place?.latitude ?? null,
        longitude: place?.longitude ?? null,
        accuracy_km: place?.accuracyKm ?? null,
        device_hash: device.fingerprint,
        outcome,
        acr: outcome === 'success' ? acr : null,
      });
    },
  };
}

export type SignInHistory = ReturnType<typeof createSignInHistory>;
