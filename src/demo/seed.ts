/**
 * The demo hospital, for development only: one site whose networks include loopback and the
 * private ranges (so a laptop counts as on premises), a ward terminal whose enrollment link is
 * printed at start, clinicians with well-known demo passwords (one on shift now, one not), an IT
 * administrator, and the first-party demo client behind /demo. Never seeded in production
 * (config.ts refuses WARDGATE_DEMO there) nor when WARDGATE_DEMO=0.
 */
import type { Accounts } from '../accounts/accounts.ts';
import type { Shifts } from '../hospital/shifts.ts';
import type { Sites } from '../hospital/sites.ts';
import type { Terminals } from '../hospital/terminals.ts';
import type { ClientStore } from '../store/clients.ts';
import type { ClientRegistry } from '../oidc/clients.ts';

export const DEMO_CLIENT_ID = 'wardgate-demo';
export const DEMO_SITE_ID = 'st-elsewhere';
export const DEMO_TERMINAL_NAME = 'Demo ward workstation';

export const DEMO_USERS = [
  { username: 'm.grey', displayName: 'Dr Meredith Grey', password: 'grey-demo-passphrase', roles: ['clinician', 'physician'], email: 'm.grey@st-elsewhere.example', fhirUser: 'https://fhir.st-elsewhere.example/r4/Practitioner/m-grey' },
  { username: 'j.okafor', displayName: 'Nurse Joy Okafor', password: 'okafor-demo-passphrase', roles: ['clinician', 'nurse'], email: 'j.okafor@st-elsewhere.example', fhirUser: 'https://fhir.st-elsewhere.example/r4/Practitioner/j-okafor' },
  { username: 'it.admin', displayName: 'Sam Ito (IT)', password: 'admin-demo-passphrase', roles: ['it-admin'], email: 'it@st-elsewhere.example' },
] as const;

export interface DemoDeps {
  accounts: Accounts;
  clients: ClientRegistry;
  clientStore: ClientStore;
  sites: Sites;
  terminals: Terminals;
  shifts: Shifts;
  issuer: string;
  now?: () => number;
}

export interface DemoSummary {
  /** A link that makes the browser opening it a known terminal, or null when the demo terminal is already enrolled. */
  terminalEnrollmentUrl: string | null;
  onShift: string;
  offShift: string;
}

const HOUR = 3600_000;

export async function seedDemo(deps: DemoDeps): Promise<DemoSummary> {
  const now = (deps.now ?? Date.now)();
  await deps.sites.ensure({
    id: DEMO_SITE_ID,
    name: 'St Elsewhere General Hospital',
    timezone: 'Europe/London',
    country: 'GB',
    latitude: 51.5246,
    longitude: -0.134,
    networks: ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  });
  for (const u of DEMO_USERS) {
    await deps.accounts.create({ ...u, roles: [...u.roles] }, { ifAbsent: true });
  }

  // Dr Grey is on shift now (a day shift around this moment); Nurse Okafor's next shift is tomorrow.
  const hourStart = now - (now % HOUR);
  await deps.shifts.add({ username: 'm.grey', siteId: DEMO_SITE_ID, start: new Date(hourStart - 2 * HOUR).toISOString(), end: new Date(hourStart + 10 * HOUR).toISOString(), externalId: `demo-m.grey-${new Date(hourStart).toISOString().slice(0, 13)}` });
  await deps.shifts.add({ username: 'j.okafor', siteId: DEMO_SITE_ID, start: new Date(hourStart + 20 * HOUR).toISOString(), end: new Date(hourStart + 32 * HOUR).toISOString(), externalId: `demo-j.okafor-${new Date(hourStart).toISOString().slice(0, 13)}` });

  const existing = (await deps.terminals.list(DEMO_SITE_ID)).find((t) => t.name === DEMO_TERMINAL_NAME && t.status !== 'revoked');
  let terminalEnrollmentUrl: string | null = null;
  if (!existing) {
    terminalEnrollmentUrl = (await deps.terminals.create({ name: DEMO_TERMINAL_NAME, siteId: DEMO_SITE_ID, unit: 'Ward 3' })).enrollmentUrl;
  } else if (existing.status === 'pending') {
    terminalEnrollmentUrl = (await deps.terminals.reissueEnrollment(existing.id)).enrollmentUrl;
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
  return { terminalEnrollmentUrl, onShift: 'm.grey', offShift: 'j.okafor' };
}
