/**
 * The hospital context on a real server and database: sites and their networks, terminal
 * enrollment in a browser over HTTP, and shifts read in a site's timezone.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Shifts } from '../../src/hospital/shifts.ts';
import type { Sites } from '../../src/hospital/sites.ts';
import { createTerminals, TERMINAL_COOKIE, type Terminals } from '../../src/hospital/terminals.ts';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../helpers/database.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ST_ELSEWHERE = {
  id: 'st-elsewhere',
  name: 'St Elsewhere General Hospital',
  timezone: 'Europe/London',
  country: 'GB',
  latitude: 51.5246,
  longitude: -0.134,
  networks: ['10.20.0.0/16', '2001:DB8:20::/48'],
};
const NOT_VALID = 'This enrollment link is not valid: it is unknown, has already been used, or has expired.';

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
const tokenOf = (url: string) => url.split('/').pop()!;

describe.skipIf(databaseUnavailable())('hospital context', () => {
  let db: TestDatabase;
  let server: TestServer;
  let sites: Sites;
  let terminals: Terminals;
  let shifts: Shifts;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    ({ sites, terminals, shifts } = server.hospital);
    await sites.create(ST_ELSEWHERE);
    await sites.create({ id: 'st-elsewhere-icu', name: 'St Elsewhere ICU', timezone: 'Europe/London', country: 'GB', networks: ['10.20.7.0/24', '2001:db8:20:7::/64'] });
    await sites.create({ id: 'mercy-west', name: 'Mercy West', timezone: 'America/New_York', country: 'US', latitude: 47.6, longitude: -122.3, networks: ['10.0.0.0/8'] });
    await server.accounts.create({ username: 'm.grey', displayName: 'Dr Meredith Grey', roles: ['clinician'] });
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  /** Opens an enrollment link in a browser: the confirm page, then the POST, as a person would. */
  async function enrollInBrowser(url: string, browser = new TestBrowser(server.issuer)) {
    const page = await browser.request(url);
    const html = await page.text();
    const confirm = await browser.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.issuer },
      body: '',
    });
    return { page, html, confirm, confirmHtml: await confirm.text(), browser };
  }

  describe('sites and networks', () => {
    it('finds the site whose networks contain an address, the most specific network first', async () => {
      const at = async (ip: string) => (await sites.containing(ip))?.id ?? null;
      expect(await at('10.20.1.5')).toBe('st-elsewhere');
      expect(await at('::ffff:10.20.1.5')).toBe('st-elsewhere');
      expect(await at('10.20.7.9')).toBe('st-elsewhere-icu');
      expect(await at('10.99.0.1')).toBe('mercy-west');
      expect(await at('2001:db8:20::5')).toBe('st-elsewhere');
      expect(await at('2001:db8:20:7::5')).toBe('st-elsewhere-icu');
      expect(await at('2001:db8:21::1')).toBeNull();
      expect(await at('192.168.1.1')).toBeNull();
      expect(await at('11.0.0.0')).toBeNull();
      expect(await at('not an address')).toBeNull();
      expect(await sites.containing('10.20.1.5')).toEqual({
        id: 'st-elsewhere', name: ST_ELSEWHERE.name, timezone: 'Europe/London', country: 'GB', latitude: 51.5246, longitude: -0.134,
      });
    });

    it('stores networks canonically and lists the distinct site countries', async () => {
      expect((await sites.get('st-elsewhere'))!.networks).toEqual(['10.20.0.0/16', '2001:db8:20::/48']);
      expect((await sites.list()).map((s) => s.id)).toEqual(['mercy-west', 'st-elsewhere', 'st-elsewhere-icu']);
      expect(await sites.countries()).toEqual(['GB', 'US']);
    });

    it('refuses bad site input naming the field, and writes nothing', async () => {
      const site = { id: 'st-nowhere', name: 'St Nowhere', timezone: 'Europe/London', country: 'GB' };
      const refused = async (input: object, message: string) =>
        expect(sites.create({ ...site, ...input } as never)).rejects.toMatchObject({ code: 'invalid_input', message });
      await refused({ networks: ['192.168.30.0/24', '10.0.0.0/33'] }, 'networks.1: "10.0.0.0/33" is not a CIDR range (the prefix length must be 0 to 32)');
      await refused({ networks: ['192.168.30.5/16'] }, 'networks.0: "192.168.30.5/16" has host bits set: the network is 192.168.0.0/16');
      await refused({ timezone: 'Europe/Londres' }, 'timezone: "Europe/Londres" is not an IANA timezone (such as Europe/London)');
      await refused({ timezone: '+01:00' }, 'timezone: "+01:00" is not an IANA timezone (such as Europe/London)');
      await refused({ country: 'gb' }, 'country: must be an ISO 3166-1 alpha-2 country code in capitals, such as GB');
      await refused({ country: 'XX' }, 'country: must be an ISO 3166-1 alpha-2 country code in capitals, such as GB');
      await refused({ latitude: 91, longitude: 0 }, 'latitude: Too big: expected number to be <=90');
      await refused({ latitude: 51.5 }, 'longitude: latitude and longitude go together');
      await refused({ id: 'St_Nowhere' }, 'id: must be 2 to 64 lower-case letters, digits and -, starting with a letter or digit');
      await refused({ networks: ['192.168.30.0/24'], colour: 'blue' }, 'site: Unrecognized key: "colour"');
      expect(await sites.get('st-nowhere')).toBeUndefined();
      expect(await sites.containing('192.168.30.1')).toBeNull();
      await expect(sites.create(ST_ELSEWHERE)).rejects.toMatchObject({ code: 'conflict', message: 'id: site "st-elsewhere" already exists' });
    });

    it('replaces a site\'s networks on update, keeps them on ensure, and deletes a site with its networks', async () => {
      await sites.create({ id: 'annex', name: 'Annex', timezone: 'Europe/London', country: 'GB', networks: ['172.16.0.0/16'] });
      expect((await sites.containing('172.16.3.4'))?.id).toBe('annex');
      const updated = await sites.update('annex', { name: 'Annex (new building)', networks: ['172.17.0.0/16'] });
      expect(updated).toMatchObject({ name: 'Annex (new building)', networks: ['172.17.0.0/16'], timezone: 'Europe/London' });
      expect(await sites.containing('172.16.3.4')).toBeNull();
      expect((await sites.containing('172.17.3.4'))?.id).toBe('annex');

      const again = await sites.ensure({ id: 'annex', name: 'Other', timezone: 'UTC', country: 'FR', networks: [] });
      expect(again).toMatchObject({ created: false, site: { name: 'Annex (new building)', networks: ['172.17.0.0/16'] } });
      await expect(sites.update('annex', { networks: ['172.18.0.0/33'] })).rejects.toMatchObject({ code: 'invalid_input', message: /^networks\.0: / });
      await expect(sites.update('nowhere', { name: 'X' })).rejects.toMatchObject({ code: 'not_found', message: 'id: no site "nowhere"' });

      await sites.delete('annex');
      expect(await sites.get('annex')).toBeUndefined();
      expect(await sites.containing('172.17.3.4')).toBeNull();
      expect(await server.db('site_networks').where({ site_id: 'annex' })).toEqual([]);
    });

    it('refuses to delete a site that terminals name', async () => {
      await sites.create({ id: 'clinic', name: 'Clinic', timezone: 'Europe/London', country: 'GB' });
      await terminals.create({ name: 'Clinic desk', siteId: 'clinic' });
      await expect(sites.delete('clinic')).rejects.toMatchObject({ code: 'conflict', message: 'id: site "clinic" still has 1 terminal(s) and 0 shift(s); remove them first' });
      expect(await sites.get('clinic')).toBeDefined();
    });
  });

  describe('terminal enrollment', () => {
    it('shows a confirm page naming the terminal, site and unit, without using the link', async () => {
      const created = await terminals.create({ name: 'Ward 4 PC 2', siteId: 'st-elsewhere', unit: 'Cardiology, Ward 4' });
      expect(created).toMatchObject({ name: 'Ward 4 PC 2', siteId: 'st-elsewhere', unit: 'Cardiology, Ward 4', status: 'pending' });
      expect(created.enrollmentUrl).toMatch(new RegExp(`^${server.issuer}/terminals/enroll/[A-Za-z0-9_-]{43}$`));
      expect(created.enrollmentExpiresAt.getTime() - Date.now()).toBeGreaterThan(23 * 3600_000);

      const browser = new TestBrowser(server.issuer);
      for (let i = 0; i < 2; i++) {
        const page = await browser.request(created.enrollmentUrl);
        expect(page.status).toBe(200);
        expect(page.headers.get('cache-control')).toBe('no-store');
        const html = await page.text();
        expect(html).toContain('Make this browser a known terminal');
        expect(html).toContain('Ward 4 PC 2');
        expect(html).toContain('St Elsewhere General Hospital');
        expect(html).toContain('Cardiology, Ward 4');
        expect(html).toContain(`action="/terminals/enroll/${tokenOf(created.enrollmentUrl)}"`);
        expect(html).not.toMatch(/<script|<style|style=/);
      }
      expect((await terminals.get(created.id))!.status).toBe('pending');
    });

    it('enrolls the browser on confirm: an HttpOnly, SameSite=Lax, 400-day cookie that identifies an active terminal', async () => {
      const created = await terminals.create({ name: 'Ward 4 PC 3', siteId: 'st-elsewhere', unit: 'Ward 4' });
      const { confirm, confirmHtml, browser } = await enrollInBrowser(created.enrollmentUrl);
      expect(confirm.status).toBe(200);
      expect(confirmHtml).toContain('This browser is now <strong>Ward 4 PC 3</strong> at <strong>St Elsewhere General Hospital</strong>');

      const setCookie = confirm.headers.getSetCookie().find((c) => c.startsWith(`${TERMINAL_COOKIE}=`))!;
      const attributes = setCookie.split(';').map((a) => a.trim().toLowerCase());
      expect(attributes).toContain('httponly');
      expect(attributes).toContain('samesite=lax');
      expect(attributes).toContain('path=/');
      expect(attributes).toContain(`max-age=${400 * 86_400}`);
      expect(attributes).not.toContain('secure');

      const credential = (await browser.jar.getCookies(server.issuer)).find((c) => c.key === TERMINAL_COOKIE)!.value;
      expect(credential).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await terminals.identify(credential)).toEqual({ id: created.id, name: 'Ward 4 PC 3', siteId: 'st-elsewhere', unit: 'Ward 4', status: 'active' });
      expect(await terminals.identify(credential.slice(0, -1) + (credential.endsWith('A') ? 'B' : 'A'))).toBeNull();
      expect(await terminals.identify('')).toBeNull();

      const seen = new Date('2026-05-01T08:00:00Z');
      await terminals.touch(created.id, seen);
      await terminals.touch(created.id, new Date('2026-04-01T08:00:00Z'));
      expect((await terminals.get(created.id))!).toMatchObject({ status: 'active', lastSeenAt: seen });
      expect((await terminals.list('st-elsewhere')).map((t) => t.id)).toContain(created.id);
      expect((await terminals.list('mercy-west')).map((t) => t.id)).not.toContain(created.id);
    });

    it('marks the cookie Secure when the issuer is https', async () => {
      const issuer = 'https://login.st-elsewhere.example';
      const behindProxy = await startTestServer(db, { WARDGATE_ISSUER: issuer });
      try {
        const created = await createTerminals(behindProxy.db, { issuer }).create({ name: 'Ward 4 PC 4', siteId: 'st-elsewhere' });
        expect(created.enrollmentUrl.startsWith(`${issuer}/terminals/enroll/`)).toBe(true);
        const confirm = await fetch(`${behindProxy.url}/terminals/enroll/${tokenOf(created.enrollmentUrl)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: issuer },
          body: '',
        });
        expect(confirm.status).toBe(200);
        const attributes = confirm.headers.getSetCookie()[0]!.split(';').map((a) => a.trim().toLowerCase());
        expect(attributes).toContain('secure');
        expect(attributes).toContain('httponly');
      } finally {
        await behindProxy.close();
      }
    });

    it('uses a link once: a second confirm, a second look and a parallel race all fail', async () => {
      const created = await terminals.create({ name: 'Ward 5 PC 1', siteId: 'st-elsewhere' });
      const first = await enrollInBrowser(created.enrollmentUrl);
      expect(first.confirm.status).toBe(200);
      const second = await enrollInBrowser(created.enrollmentUrl);
      expect(second.page.status).toBe(400);
      expect(second.html).toContain(NOT_VALID);
      expect(second.confirm.status).toBe(400);
      expect(second.confirmHtml).toContain(NOT_VALID);
      expect(second.confirm.headers.getSetCookie()).toEqual([]);

      const raced = await terminals.create({ name: 'Ward 5 PC 2', siteId: 'st-elsewhere' });
      const results = await Promise.all(Array.from({ length: 8 }, () => terminals.enroll(tokenOf(raced.enrollmentUrl))));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('refuses an expired link and an unknown one with the same page as a used one', async () => {
      const created = await terminals.create({ name: 'Ward 6 PC 1', siteId: 'st-elsewhere' }, { enrollmentTtlMs: 1 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const expired = await enrollInBrowser(created.enrollmentUrl);
      const unknown = await enrollInBrowser(`${server.issuer}/terminals/enroll/${crypto.randomBytes(32).toString('base64url')}`);
      const malformed = await enrollInBrowser(`${server.issuer}/terminals/enroll/not-a-token`);
      for (const attempt of [expired, unknown, malformed]) {
        expect(attempt.page.status).toBe(400);
        expect(attempt.confirm.status).toBe(400);
        expect(attempt.html).toContain(NOT_VALID);
        expect(attempt.confirmHtml).toContain(NOT_VALID);
      }
      expect((await terminals.get(created.id))!.status).toBe('pending');
    });

    it('refuses a confirm posted from another site, and the link still works afterwards', async () => {
      const created = await terminals.create({ name: 'Ward 7 PC 1', siteId: 'st-elsewhere' });
      const post = (headers: Record<string, string>) =>
        fetch(created.enrollmentUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...headers },
          body: '',
          redirect: 'manual',
        });
      const forgeries: Record<string, string>[] = [
        { origin: 'https://attacker.example' },
        { origin: 'null', 'sec-fetch-site': 'cross-site' },
        { origin: server.issuer, 'sec-fetch-site': 'same-site' },
      ];
      for (const headers of forgeries) {
        const forged = await post(headers);
        expect(forged.status, JSON.stringify(headers)).toBe(403);
        expect(forged.headers.getSetCookie()).toEqual([]);
      }
      // What a browser sends for Wardgate's own form under Referrer-Policy: no-referrer.
      const own = await post({ origin: 'null', 'sec-fetch-site': 'same-origin' });
      expect(own.status).toBe(200);
      expect(own.headers.getSetCookie()[0]).toMatch(new RegExp(`^${TERMINAL_COOKIE}=`));
    });

    it('identifies a revoked terminal as revoked, and gives a reset browser a new link that ends the old credential', async () => {
      const created = await terminals.create({ name: 'Ward 8 PC 1', siteId: 'st-elsewhere' });
      const { browser } = await enrollInBrowser(created.enrollmentUrl);
      const credential = (await browser.jar.getCookies(server.issuer)).find((c) => c.key === TERMINAL_COOKIE)!.value;

      const reissued = await terminals.reissueEnrollment(created.id);
      expect(reissued).toMatchObject({ id: created.id, status: 'pending' });
      expect(await terminals.identify(credential)).toBeNull();
      const fresh = await enrollInBrowser(reissued.enrollmentUrl);
      const newCredential = (await fresh.browser.jar.getCookies(server.issuer)).find((c) => c.key === TERMINAL_COOKIE)!.value;
      expect((await terminals.identify(newCredential))!.status).toBe('active');

      expect(await terminals.revoke(created.id)).toMatchObject({ id: created.id, status: 'revoked' });
      expect(await terminals.identify(newCredential)).toEqual({ id: created.id, name: 'Ward 8 PC 1', siteId: 'st-elsewhere', unit: null, status: 'revoked' });
      await expect(terminals.reissueEnrollment(created.id)).rejects.toMatchObject({ code: 'conflict' });
      await expect(terminals.revoke('no-such-terminal')).rejects.toMatchObject({ code: 'not_found', message: 'id: no terminal "no-such-terminal"' });

      const pendingThenRevoked = await terminals.create({ name: 'Ward 8 PC 2', siteId: 'st-elsewhere' });
      await terminals.revoke(pendingThenRevoked.id);
      expect((await enrollInBrowser(pendingThenRevoked.enrollmentUrl)).confirm.status).toBe(400);
    });

    it('refuses bad terminal input naming the field', async () => {
      await expect(terminals.create({ name: 'PC', siteId: 'nowhere' })).rejects.toMatchObject({ code: 'invalid_input', message: 'siteId: no site "nowhere"' });
      await expect(terminals.create({ name: ' ', siteId: 'st-elsewhere' })).rejects.toMatchObject({ code: 'invalid_input', message: /^name: / });
      await expect(terminals.create({ name: 'PC', siteId: 'st-elsewhere' }, { enrollmentTtlMs: 0 })).rejects.toMatchObject({ code: 'invalid_input', message: /^enrollmentTtlMs: / });
    });

    it('never stores or logs a raw enrollment token or credential, only their SHA-256', async () => {
      const created = await terminals.create({ name: 'Ward 9 PC 1', siteId: 'st-elsewhere' });
      const token = tokenOf(created.enrollmentUrl);
      const pendingRow = await server.db('terminals').where({ id: created.id }).first();
      expect(pendingRow.enrollment_hash).toBe(sha256(token));
      expect(JSON.stringify(pendingRow)).not.toContain(token);

      const { browser } = await enrollInBrowser(created.enrollmentUrl);
      const credential = (await browser.jar.getCookies(server.issuer)).find((c) => c.key === TERMINAL_COOKIE)!.value;
      const rows = await server.db('terminals');
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(token);
      expect(dump).not.toContain(credential);
      expect(rows.find((r: { id: string }) => r.id === created.id)).toMatchObject({ credential_hash: sha256(credential), enrollment_hash: null, status: 'active' });

      const logs = server.logs.join('');
      expect(logs).toContain('/terminals/enroll/:token');
      expect(logs).not.toContain(token);
      expect(logs).not.toContain(credential);
    });
  });

  describe('shifts', () => {
    it('adds a night shift by local time across midnight and the spring-forward change, and finds it overlapping', async () => {
      const { shift, status } = await shifts.add({ username: 'M.Grey', siteId: 'st-elsewhere', start: '2026-03-28T22:00', end: '2026-03-29T07:00' });
      expect(status).toBe('created');
      expect(shift).toMatchObject({
        username: 'm.grey', siteId: 'st-elsewhere', timezone: 'Europe/London', kind: 'scheduled', externalId: null,
        start: new Date('2026-03-28T22:00:00Z'), end: new Date('2026-03-29T06:00:00Z'),
        startLocal: '2026-03-28T22:00:00+00:00', endLocal: '2026-03-29T07:00:00+01:00',
      });
      const user = await server.accounts.findByUsername('m.grey');
      expect(await shifts.overlapping(user!.id, new Date('2026-03-29T05:00:00Z'), new Date('2026-03-29T05:00:00Z'))).toEqual([
        { id: shift.id, siteId: 'st-elsewhere', timezone: 'Europe/London', start: shift.start, end: shift.end, kind: 'scheduled' },
      ]);
      expect(await shifts.overlapping(user!.id, new Date('2026-03-29T06:00:01Z'), new Date('2026-03-29T09:00:00Z'))).toEqual([]);
      expect((await shifts.list({ username: 'm.grey' })).map((s) => s.id)).toContain(shift.id);
      expect((await shifts.list({ siteId: 'mercy-west' })).map((s) => s.id)).not.toContain(shift.id);
    });

    it('honours explicit offsets and reads local times in the site\'s own timezone', async () => {
      const { shift } = await shifts.add({ username: 'm.grey', siteId: 'mercy-west', start: '2026-06-01T19:00', end: '2026-06-02T07:00:00-04:00', kind: 'on_call' });
      expect(shift).toMatchObject({ start: new Date('2026-06-01T23:00:00Z'), end: new Date('2026-06-02T11:00:00Z'), kind: 'on_call', timezone: 'America/New_York' });
    });

    it('is idempotent by external id: the same shift again changes nothing, a changed one is updated', async () => {
      const input = { username: 'm.grey', siteId: 'st-elsewhere', start: '2026-04-02T08:00', end: '2026-04-02T20:00', externalId: 'rota-4711' };
      const first = await shifts.add(input);
      const again = await shifts.add(input);
      expect(first.status).toBe('created');
      expect(again).toMatchObject({ status: 'unchanged', shift: { id: first.shift.id } });
      const moved = await shifts.add({ ...input, end: '2026-04-02T21:00' });
      expect(moved).toMatchObject({ status: 'updated', shift: { id: first.shift.id, end: new Date('2026-04-02T20:00:00Z') } });
      expect((await shifts.list({ username: 'm.grey' })).filter((s) => s.externalId === 'rota-4711')).toHaveLength(1);
      const raced = await Promise.all([1, 2, 3].map(() => shifts.add({ ...input, externalId: 'rota-4712' })));
      expect(new Set(raced.map((r) => r.shift.id)).size).toBe(1);
      expect(raced.filter((r) => r.status === 'created')).toHaveLength(1);
    });

    it('refuses a bad site, user or time naming the field', async () => {
      const shift = { username: 'm.grey', siteId: 'st-elsewhere', start: '2026-05-01T08:00', end: '2026-05-01T20:00' };
      const refused = (input: object, message: string | RegExp) =>
        expect(shifts.add({ ...shift, ...input } as never)).rejects.toMatchObject({ code: 'invalid_input', message });
      await refused({ siteId: 'nowhere' }, 'siteId: no site "nowhere"');
      await refused({ username: 'nobody' }, 'username: no user "nobody"');
      await refused({ end: '2026-05-01T07:00' }, 'end: must be after start');
      await refused({ end: '2026-05-01T08:00' }, 'end: must be after start');
      await refused({ end: '2026-05-02T20:01' }, 'end: a shift is at most 36 hours long');
      await refused({ start: '2026-03-29T01:30', end: '2026-03-29T09:00' }, 'start: "2026-03-29T01:30" does not exist in Europe/London: the clocks skip that hour');
      await refused({ start: 'tomorrow' }, /^start: "tomorrow" is not a date and time/);
      await refused({ kind: 'overtime' }, /^kind: /);
      await expect(shifts.list({ username: 'nobody' })).rejects.toMatchObject({ code: 'invalid_input', message: 'username: no user "nobody"' });
    });

    it('removes a shift', async () => {
      const { shift } = await shifts.add({ username: 'm.grey', siteId: 'st-elsewhere', start: '2026-05-03T08:00', end: '2026-05-03T20:00' });
      await shifts.remove(shift.id);
      expect((await shifts.list({ username: 'm.grey' })).map((s) => s.id)).not.toContain(shift.id);
      await expect(shifts.remove(shift.id)).rejects.toMatchObject({ code: 'not_found' });
    });
  });
});
