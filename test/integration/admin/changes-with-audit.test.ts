/**
 * Every admin API change commits together with its audit entry, or not at all: when the entry
 * cannot be written (the audit_log table refuses inserts, by a trigger in the test database), the
 * request fails with 500 and what it would have changed is as it was; when it can, the change
 * leaves exactly its own entries, and the chain verifies.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../../helpers/database.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { adminClient, type AdminClient, type ApiResponse } from '../../helpers/admin.ts';
import { auditEntriesAfter, lastAuditId, refuseAuditEntries } from '../../helpers/audit.ts';

const SITE = { id: 'st-marys', name: "St Mary's Hospital", timezone: 'Europe/London', country: 'GB', latitude: null, longitude: null, networks: ['10.40.0.0/16'] };

type Arranged = Record<string, any>;

interface AdminChange {
  name: string;
  arrange(api: AdminClient, server: TestServer): Promise<Arranged>;
  change(api: AdminClient, arranged: Arranged): Promise<ApiResponse>;
  /** What the change would alter, read back. */
  observe(api: AdminClient, arranged: Arranged): Promise<unknown>;
  /** The audit entries the change leaves, in order. */
  entries: string[];
}

const nothing = async (): Promise<Arranged> => ({});
const withSite = async (api: AdminClient) => {
  expect((await api.post('/sites', SITE)).status).toBe(201);
  return {};
};

const CHANGES: AdminChange[] = [
  {
    name: 'updating a site',
    arrange: withSite,
    change: (api) => api.patch(`/sites/${SITE.id}`, { name: "St Mary's", networks: ['10.40.0.0/16', '10.41.0.0/16'] }),
    observe: async (api) => (await api.get(`/sites/${SITE.id}`)).body,
    entries: ['admin.site.update'],
  },
  {
    name: 'registering a client',
    arrange: nothing,
    change: (api) => api.post('/clients', { client_name: 'Ward EHR', redirect_uris: ['https://ehr.hospital.example/callback'], sensitivity: 'standard' }),
    observe: async (api) => (await api.get('/clients')).body.items.map((c: { client_id: string }) => c.client_id).sort(),
    entries: ['admin.client.create'],
  },
  {
    name: 'disabling a user',
    arrange: async (_api, server) => ({ userId: (await server.accounts.create({ username: 'm.grey', displayName: 'Dr Meredith Grey' })).user.id }),
    change: (api, { userId }) => api.patch(`/users/${userId}`, { disabled: true }),
    observe: async (api, { userId }) => (await api.get(`/users/${userId}`)).body,
    entries: ['admin.user.disable'],
  },
  {
    name: 'reissuing a terminal enrollment link',
    arrange: async (api) => {
      await withSite(api);
      const created = await api.post('/terminals', { name: 'Ward 3 PC 1', siteId: SITE.id });
      expect(created.status).toBe(201);
      return { id: created.body.id, link: created.body.enrollmentUrl };
    },
    change: (api, { id }) => api.post(`/terminals/${id}/enrollment`),
    // The terminal as stored, and whether its first link still opens the enrollment page.
    observe: async (api, { id, link }) => ({ terminal: (await api.get(`/terminals/${id}`)).body, firstLink: (await fetch(link)).status }),
    entries: ['admin.terminal.enrollment_link'],
  },
  {
    name: 'saving and activating a policy version',
    arrange: async (api) => ({ document: (await api.get('/policy')).body.document }),
    change: (api, { document }) => api.put('/policy', { document, comment: 'same rules, new version', activate: true }),
    observe: async (api) => ({ active: (await api.get('/policy')).body.version, versions: (await api.get('/policy/versions')).body.items.length }),
    entries: ['admin.policy.create', 'admin.policy.activate'],
  },
  {
    name: 'importing a rota',
    arrange: async (api, server) => {
      await withSite(api);
      await server.accounts.create({ username: 'c.yang', displayName: 'Dr Cristina Yang' });
      return {};
    },
    change: (api) =>
      api.request('POST', '/shifts/import', {
        body: ['username,site_id,start,end,kind,external_id', `c.yang,${SITE.id},2026-10-01T08:00,2026-10-01T20:00,scheduled,r-1`, `c.yang,${SITE.id},2026-10-02T08:00,2026-10-02T20:00,scheduled,r-2`].join('\n'),
        contentType: 'text/csv',
      }),
    observe: async (api) => (await api.get('/shifts?username=c.yang')).body.items,
    entries: ['admin.shift.import'],
  },
];

describe.skipIf(databaseUnavailable())('admin API: a change and its audit entry commit together', () => {
  let db: TestDatabase;
  let server: TestServer;
  let api: AdminClient;

  beforeEach(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    api = await adminClient(server);
  });

  afterEach(async () => {
    await server?.close();
    await db?.drop();
  });

  it.each(CHANGES)('$name: when its audit entry cannot be written, answers 500 and changes nothing', async ({ arrange, change, observe }) => {
    const arranged = await arrange(api, server);
    const before = await observe(api, arranged);
    const allowAudit = await refuseAuditEntries(server.db);
    let response: ApiResponse;
    try {
      response = await change(api, arranged);
    } finally {
      await allowAudit();
    }
    expect(response.status, response.text).toBe(500);
    expect(response.body.error).toBe('internal_error');
    expect(await observe(api, arranged)).toEqual(before);
  });

  it.each(CHANGES)('$name: once done, leaves exactly its own audit entries on a chain that verifies', async ({ arrange, change, observe, entries }) => {
    const arranged = await arrange(api, server);
    const before = await observe(api, arranged);
    const last = await lastAuditId(server.db);
    const response = await change(api, arranged);
    expect(response.status, response.text).toBeLessThan(300);
    expect(await observe(api, arranged)).not.toEqual(before);
    const written = await auditEntriesAfter(server.db, last);
    expect(written.map((e) => e.type)).toEqual(entries);
    expect(new Set(written.map((e) => e.data.actor.kind))).toEqual(new Set(['client']));
    expect((await api.get('/audit/verify')).body).toMatchObject({ valid: true });
  });
});
