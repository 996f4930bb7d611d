/**
 * Enrolling a ward terminal in its browser is audited (`terminal.enrolled`) in the transaction that
 * enrolls it: when the entry cannot be written (a trigger on audit_log in the test database) the
 * browser gets no credential and the link still works; when it can, there is exactly one entry.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../helpers/database.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { TEST_SITE, TERMINAL_COOKIE } from '../helpers/hospital.ts';
import { auditEntriesAfter, lastAuditId, refuseAuditEntries } from '../helpers/audit.ts';

describe.skipIf(databaseUnavailable())('terminal enrollment and its audit entry', () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeEach(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    await server.hospital.sites.ensure(TEST_SITE);
  });

  afterEach(async () => {
    await server?.close();
    await db?.drop();
  });

  /** Confirms the link in a fresh browser, as at the workstation: the answer's status and the credential it got. */
  async function enroll(url: string) {
    const browser = new TestBrowser(server.issuer);
    const confirm = await browser.request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.issuer }, body: '' });
    await confirm.text();
    const credential = (await browser.jar.getCookies(server.issuer)).find((c) => c.key === TERMINAL_COOKIE)?.value;
    return { status: confirm.status, credential };
  }

  it('records one terminal.enrolled entry naming the terminal and the address it was enrolled from', async () => {
    const pending = await server.hospital.terminals.create({ name: 'Ward 3 PC 1', siteId: TEST_SITE.id, unit: 'Ward 3' });
    const last = await lastAuditId(server.db);
    const enrolled = await enroll(pending.enrollmentUrl);
    expect(enrolled.status).toBe(200);
    expect(enrolled.credential).toBeDefined();
    const entries = await auditEntriesAfter(server.db, last);
    expect(entries).toEqual([
      { type: 'terminal.enrolled', actor: null, subject: `terminal/${pending.id}`, data: { id: pending.id, name: 'Ward 3 PC 1', siteId: TEST_SITE.id, unit: 'Ward 3', ip: expect.stringMatching(/127\.0\.0\.1|::1/) } },
    ]);
    expect(JSON.stringify(entries)).not.toContain(enrolled.credential);
  });

  it('when its audit entry cannot be written, enrolls nothing: no credential, the terminal still pending, the link still good', async () => {
    const pending = await server.hospital.terminals.create({ name: 'Ward 3 PC 2', siteId: TEST_SITE.id });
    const allowAudit = await refuseAuditEntries(server.db);
    let refused: Awaited<ReturnType<typeof enroll>>;
    try {
      refused = await enroll(pending.enrollmentUrl);
    } finally {
      await allowAudit();
    }
    expect(refused.status).toBe(500);
    expect(refused.credential).toBeUndefined();
    expect((await server.hospital.terminals.get(pending.id))?.status).toBe('pending');
    const again = await enroll(pending.enrollmentUrl);
    expect(again.status).toBe(200);
    expect((await server.hospital.terminals.get(pending.id))?.status).toBe('active');
  });
});
