/**
 * The demo hospital, for development only: one site, a few clinicians with well-known demo
 * passwords, an IT administrator, and the first-party demo client behind /demo. Seeded once; never
 * in production (config.ts refuses WARDGATE_DEMO there) nor when WARDGATE_DEMO=0.
 */
import type { Accounts } from '../accounts/accounts.ts';
import type { ClientStore } from '../store/clients.ts';
import type { SiteStore } from '../store/sites.ts';
import type { ClientRegistry } from '../oidc/clients.ts';

export const DEMO_CLIENT_ID = 'wardgate-demo';

export const DEMO_USERS = [
  { username: 'm.grey', displayName: 'Dr Meredith Grey', password: 'grey-demo-passphrase', roles: ['clinician', 'physician'], email: 'm.grey@st-elsewhere.example', fhirUser: 'https://fhir.st-elsewhere.example/r4/Practitioner/m-grey' },
  { username: 'j.okafor', displayName: 'Nurse Joy Okafor', password: 'okafor-demo-passphrase', roles: ['clinician', 'nurse'], email: 'j.okafor@st-elsewhere.example', fhirUser: 'https://fhir.st-elsewhere.example/r4/Practitioner/j-okafor' },
  { username: 'it.admin', displayName: 'Sam Ito (IT)', password: 'admin-demo-passphrase', roles: ['it-admin'], email: 'it@st-elsewhere.example' },
] as const;

export async function seedDemo(deps: { accounts: Accounts; clients: ClientRegistry; clientStore: ClientStore; sites: SiteStore; issuer: string }) {
  const now = Date.now();
  await deps.sites.insertIfAbsent({
    id: 'st-elsewhere',
    name: 'St Elsewhere General Hospital',
    timezone: 'Europe/London',
    country: 'GB',
    latitude: 51.5246,
    longitude: -0.134,
    created_at: now,
    updated_at: now,
  });
  for (const u of DEMO_USERS) {
    await deps.accounts.create({ ...u, roles: [...u.roles] }, { ifAbsent: true });
  }
  // The demo client follows the issuer, so a changed PORT or issuer still works in development.
  await deps.clientStore.delete(DEMO_CLIENT_ID);
  await deps.clients.register({
    client_id: DEMO_CLIENT_ID,
    client_name: 'Wardgate demo app',
    redirect_uris: [`${deps.issuer}/demo/callback`],
    post_logout_redirect_uris: [`${deps.issuer}/demo/signed-out`],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    first_party: true,
    sensitivity: 'standard',
  });
}
