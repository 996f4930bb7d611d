/**
 * /admin/api/v1/shifts over HTTP: the contract, local times read in the site's timezone across a
 * clock change, bad input named field by field, and the rota CSV import, which writes every row
 * or none, names every bad line, and changes nothing when the same file comes again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUnavailable, type TestDatabase } from '../../helpers/database.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { adminClient, type AdminClient } from '../../helpers/admin.ts';

const ST_MARYS = { id: 'st-marys', name: "St Mary's Hospital", timezone: 'Europe/London', country: 'GB', networks: ['10.40.0.0/16'] };
const MERCY_WEST = { id: 'mercy-west', name: 'Mercy West', timezone: 'America/New_York', country: 'US', networks: ['10.50.0.0/16'] };
const HEADER = 'username,site_id,start,end,kind,external_id';

interface ShiftBody {
  id: string;
  username: string;
  siteId: string;
  start: string;
  end: string;
  startLocal: string;
  endLocal: string;
  kind: string;
  externalId: string | null;
}

describe.skipIf(databaseUnavailable())('admin API: shifts', () => {
  let db: TestDatabase;
  let server: TestServer;
  let api: AdminClient;

  const csv = (text: string) => api.request('POST', '/shifts/import', { body: text, contentType: 'text/csv' });
  const table = () => server.db('shifts').orderBy('id');
  const auditOf = (type: string) => server.db('audit_log').where({ type }).orderBy('id');

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    api = await adminClient(server);
    expect((await api.post('/sites', ST_MARYS)).status).toBe(201);
    expect((await api.post('/sites', MERCY_WEST)).status).toBe(201);
    for (const username of ['m.grey', 'j.okafor', 'a.karev', 'c.yang']) await server.accounts.create({ username, displayName: username, roles: ['clinician'] });
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  describe('one shift at a time', () => {
    it('creates a night shift by local time across the spring-forward change, lists it by person, site and window, and deletes it', async () => {
      const created = await api.post<ShiftBody>('/shifts', { username: 'M.Grey', siteId: 'st-marys', start: '2026-03-28T22:00', end: '2026-03-29T07:00' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        username: 'm.grey',
        siteId: 'st-marys',
        timezone: 'Europe/London',
        start: '2026-03-28T22:00:00.000Z',
        end: '2026-03-29T06:00:00.000Z',
        startLocal: '2026-03-28T22:00:00+00:00',
        endLocal: '2026-03-29T07:00:00+01:00',
        kind: 'scheduled',
        externalId: null,
      });
      const id = created.body.id;
      const ids = async (query: string) => {
        const response = await api.get<{ items: ShiftBody[] }>(`/shifts?${query}`);
        expect(response.status).toBe(200);
        return response.body.items.map((s) => s.id);
      };
      expect(await ids('username=m.grey')).toContain(id);
      expect(await ids('siteId=st-marys')).toContain(id);
      expect(await ids('siteId=mercy-west')).not.toContain(id);
      expect(await ids(`from=${encodeURIComponent('2026-03-29T05:00:00Z')}&to=${encodeURIComponent('2026-03-29T05:30:00Z')}`)).toEqual([id]);
      expect(await ids(`username=m.grey&from=${encodeURIComponent('2026-03-29T07:00:00+01:00')}`)).toContain(id);
      expect(await ids(`username=m.grey&from=${encodeURIComponent('2026-03-29T07:00:01+01:00')}`)).not.toContain(id);
      expect((await api.get('/shifts')).body.items.find((s: ShiftBody) => s.id === id)).toEqual(created.body);

      expect((await api.delete(`/shifts/${id}`)).status).toBe(204);
      expect(await ids('username=m.grey')).not.toContain(id);
      expect((await api.delete(`/shifts/${id}`)).status).toBe(404);

      const audit = await server.db('audit_log').where({ subject: `shift/${id}` }).orderBy('id');
      expect(audit.map((r: { type: string }) => r.type)).toEqual(['admin.shift.create', 'admin.shift.delete']);
      expect(JSON.parse(audit[0].data).after).toEqual(created.body);
      expect(JSON.parse(audit[1].data).before).toEqual(created.body);
    });

    it('honours an explicit offset and an on-call kind, reading the other end in the site\'s timezone', async () => {
      const created = await api.post<ShiftBody>('/shifts', { username: 'j.okafor', siteId: 'mercy-west', start: '2026-06-01T19:00', end: '2026-06-02T11:00:00Z', kind: 'on_call' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ start: '2026-06-01T23:00:00.000Z', end: '2026-06-02T11:00:00.000Z', endLocal: '2026-06-02T07:00:00-04:00', kind: 'on_call', timezone: 'America/New_York' });
    });

    it('updates a shift given again with its externalId, audits the change, and leaves an identical one alone', async () => {
      const input = { username: 'a.karev', siteId: 'st-marys', start: '2026-05-01T08:00', end: '2026-05-01T20:00', externalId: 'post-1' };
      const first = await api.post<ShiftBody>('/shifts', input);
      const again = await api.post<ShiftBody>('/shifts', input);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      const moved = await api.post<ShiftBody>('/shifts', { ...input, end: '2026-05-01T21:00' });
      expect(moved.body).toMatchObject({ id: first.body.id, endLocal: '2026-05-01T21:00:00+01:00' });
      const audit = await server.db('audit_log').where({ subject: `shift/${first.body.id}` }).orderBy('id');
      expect(audit.map((r: { type: string }) => r.type)).toEqual(['admin.shift.create', 'admin.shift.update']);
      expect(JSON.parse(audit[1].data)).toMatchObject({ before: { endLocal: '2026-05-01T20:00:00+01:00' }, after: { endLocal: '2026-05-01T21:00:00+01:00' } });
    });

    it('names every bad field: wrong types and an unknown field', async () => {
      const response = await api.post('/shifts', { username: 42, siteId: 'st-marys', start: '2026-05-01T08:00', end: null, kind: 'overtime', colour: 'blue' });
      expect(response.status).toBe(422);
      expect(response.body.error).toBe('invalid_input');
      expect(response.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/colour', '/end', '/kind', '/username']);
      expect(response.body.errors.find((e: { pointer: string }) => e.pointer === '/colour').message).toBe('unknown field "colour"');
    });

    it('refuses a shift ending before it starts, an unknown person or site, a skipped local time and an over-long shift, naming the field', async () => {
      const shift = { username: 'm.grey', siteId: 'st-marys', start: '2026-05-01T08:00', end: '2026-05-01T20:00' };
      const refused = async (input: object, pointer: string, message: string | RegExp) => {
        const response = await api.post('/shifts', { ...shift, ...input });
        expect(response.status).toBe(422);
        expect(response.body.errors).toEqual([{ pointer, message: expect.stringMatching(message) }]);
      };
      const before = await table();
      await refused({ end: '2026-05-01T07:00' }, '/end', /^must be after start$/);
      await refused({ username: 'nobody' }, '/username', /^no user "nobody"$/);
      await refused({ siteId: 'nowhere' }, '/siteId', /^no site "nowhere"$/);
      await refused({ start: '2026-03-29T01:30', end: '2026-03-29T09:00' }, '/start', /does not exist in Europe\/London/);
      await refused({ end: '2026-05-02T20:01' }, '/end', /at most 36 hours/);
      await refused({ start: 'tomorrow' }, '/start', /is not a date and time/);
      expect(await table()).toEqual(before);
    });

    it('refuses bad list queries naming the query field', async () => {
      const pointers = async (query: string) => {
        const response = await api.get(`/shifts?${query}`);
        expect(response.status).toBe(422);
        return response.body.errors.map((e: { pointer: string }) => e.pointer);
      };
      expect(await pointers('from=yesterday')).toEqual(['/from']);
      expect(await pointers('to=2026-03-29T05:00')).toEqual(['/to']);
      expect(await pointers(`from=${encodeURIComponent('2026-03-29T05:00:00Z')}&to=${encodeURIComponent('2026-03-28T05:00:00Z')}`)).toEqual(['/to']);
      expect(await pointers('username=nobody')).toEqual(['/username']);
      expect(await pointers('siteId=nowhere')).toEqual(['/siteId']);
      expect(await pointers('colour=blue')).toEqual(['/colour']);
    });
  });

  describe('CSV import', () => {
    it('imports a rota with local times across the autumn clock change, quoted values, CRLF and a BOM, then changes nothing on the same file again', async () => {
      const file = [
        `\uFEFF${HEADER}`,
        // New York falls back on 1 November 2026: 22:00 EDT to 07:00 EST is ten hours.
        'c.yang,mercy-west,2026-10-31T22:00,2026-11-01T07:00,on_call,nyc-1',
        '"c.yang","mercy-west","2026-11-02T08:00:00-05:00","2026-11-02T20:00:00-05:00",,"nyc-2"',
        // London falls back on 25 October 2026: 01:30 happens twice and means the earlier, BST.
        'C.Yang,st-marys,2026-10-25T01:30,2026-10-25T09:00,scheduled,',
        '',
        '',
      ].join('\r\n');
      const first = await csv(file);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ created: 3, updated: 0, unchanged: 0 });
      const items = (await api.get<{ items: ShiftBody[] }>('/shifts?username=c.yang')).body.items;
      expect(items.map((s) => [s.siteId, s.start, s.end, s.kind, s.externalId])).toEqual([
        ['st-marys', '2026-10-25T00:30:00.000Z', '2026-10-25T09:00:00.000Z', 'scheduled', null],
        ['mercy-west', '2026-11-01T02:00:00.000Z', '2026-11-01T12:00:00.000Z', 'on_call', 'nyc-1'],
        ['mercy-west', '2026-11-02T13:00:00.000Z', '2026-11-03T01:00:00.000Z', 'scheduled', 'nyc-2'],
      ]);
      expect(items[1]).toMatchObject({ startLocal: '2026-10-31T22:00:00-04:00', endLocal: '2026-11-01T07:00:00-05:00' });

      const rows = await table();
      const again = await csv(file);
      expect(again.body).toEqual({ created: 0, updated: 0, unchanged: 3 });
      expect(await table()).toEqual(rows);
    });

    it('updates a shift whose end changed on re-import, matched by external_id or else by person, site and start', async () => {
      const file = (end1: string, end2: string) => `${HEADER}\nm.grey,st-marys,2026-07-01T08:00,${end1},,rota-1\nm.grey,st-marys,2026-07-02T08:00,${end2},,\nm.grey,st-marys,2026-07-03T08:00,2026-07-03T20:00,,rota-3\n`;
      expect((await csv(file('2026-07-01T20:00', '2026-07-02T20:00'))).body).toEqual({ created: 3, updated: 0, unchanged: 0 });
      const before = await table();
      expect((await csv(file('2026-07-01T21:00', '2026-07-02T21:30'))).body).toEqual({ created: 0, updated: 2, unchanged: 1 });
      const after = await table();
      expect(after.map((r: { id: string }) => r.id)).toEqual(before.map((r: { id: string }) => r.id));
      const july = (await api.get<{ items: ShiftBody[] }>(`/shifts?username=m.grey&from=${encodeURIComponent('2026-07-01T00:00:00Z')}&to=${encodeURIComponent('2026-07-04T00:00:00Z')}`)).body.items;
      expect(july.map((s) => s.endLocal)).toEqual(['2026-07-01T21:00:00+01:00', '2026-07-02T21:30:00+01:00', '2026-07-03T20:00:00+01:00']);
    });

    it('gives a shift imported without an external_id the one a later file brings, and never takes another\'s', async () => {
      const plain = `${HEADER}\nj.okafor,mercy-west,2026-07-10T07:00,2026-07-10T19:00,,\n`;
      expect((await csv(plain)).body).toEqual({ created: 1, updated: 0, unchanged: 0 });
      const withId = `${HEADER}\nj.okafor,mercy-west,2026-07-10T07:00,2026-07-10T19:00,,nyc-710\n`;
      expect((await csv(withId)).body).toEqual({ created: 0, updated: 1, unchanged: 0 });
      expect((await csv(plain)).body).toEqual({ created: 0, updated: 0, unchanged: 1 });
      const other = `${HEADER}\nj.okafor,mercy-west,2026-07-10T07:00,2026-07-10T19:00,,nyc-999\n`;
      expect((await csv(other)).body).toEqual({ created: 1, updated: 0, unchanged: 0 });
      const items = (await api.get<{ items: ShiftBody[] }>(`/shifts?siteId=mercy-west&from=${encodeURIComponent('2026-07-10T12:00:00Z')}&to=${encodeURIComponent('2026-07-10T12:00:00Z')}`)).body.items;
      expect(items.map((s) => s.externalId).sort()).toEqual(['nyc-710', 'nyc-999']);
    });

    it('a CSV with three bad lines: 422 listing all three, nothing written', async () => {
      const before = await table();
      const response = await csv(
        [
          HEADER,
          'j.okafor,st-marys,2026-08-01T08:00,2026-08-01T20:00,,',
          'nobody,st-marys,2026-08-02T08:00,2026-08-02T20:00,,',
          'j.okafor,st-marys,2026-08-03T08:00,2026-08-03T20:00,,',
          'j.okafor,st-marys,2026-08-04T20:00,2026-08-04T08:00,,',
          'j.okafor,st-marys,2026-08-05T08:00,2026-08-05T20:00,overtime,',
          'j.okafor,st-marys,2026-08-06T08:00,2026-08-06T20:00,,',
        ].join('\n'),
      );
      expect(response.status).toBe(422);
      expect(response.body.error).toBe('invalid_input');
      expect(response.body.error_description).toMatch(/^The CSV has 3 errors; nothing was imported/);
      expect(response.body.errors).toEqual([
        { line: 3, column: 'username', message: 'no user "nobody"' },
        { line: 5, column: 'end', message: 'must be after start' },
        { line: 6, column: 'kind', message: 'must be scheduled or on_call' },
      ]);
      expect(await table()).toEqual(before);
      expect((await api.get('/shifts?username=j.okafor&from=2026-08-01T00:00:00Z')).body.items).toEqual([]);
    });

    it('lists every problem of one line, not only the first: a bad kind does not hide an unknown site or an unreadable time', async () => {
      const before = await table();
      const response = await csv([HEADER, 'j.okafor,st-johns,2026-12-02T7am,2026-12-02T19:00,night,'].join('\n'));
      expect(response.status).toBe(422);
      expect(response.body.errors).toEqual([
        { line: 2, column: 'site_id', message: 'no site "st-johns"' },
        { line: 2, column: 'start', message: expect.stringMatching(/^"2026-12-02T7am" is not a date and time/) },
        { line: 2, column: 'kind', message: 'must be scheduled or on_call' },
      ]);
      expect(await table()).toEqual(before);
    });

    it('lists every kind of bad row at once: unknown site, unreadable and skipped times, over-long shifts and rows repeated in the file', async () => {
      const before = await table();
      const response = await csv(
        [
          'external_id,username,site_id,start,end',
          'dup-1,a.karev,st-marys,2026-09-01T08:00,2026-09-01T20:00',
          ',a.karev,nowhere,2026-09-02T08:00,2026-09-02T20:00',
          ',a.karev,st-marys,2026-03-29T01:30,2026-03-29T09:00',
          ',a.karev,st-marys,2026-09-03T08:00,2026-09-04T20:01',
          ',a.karev,st-marys,05/09/2026 08:00,soon',
          'dup-1,a.karev,st-marys,2026-09-06T08:00,2026-09-06T20:00',
          ',A.Karev,st-marys,2026-09-01T07:00:00Z,2026-09-01T19:00:00Z',
          ',,,,',
        ].join('\n'),
      );
      expect(response.status).toBe(422);
      expect(response.body.errors).toEqual([
        { line: 3, column: 'site_id', message: 'no site "nowhere"' },
        { line: 4, column: 'start', message: '"2026-03-29T01:30" does not exist in Europe/London: the clocks skip that hour' },
        { line: 5, column: 'end', message: 'a shift is at most 36 hours long' },
        { line: 6, column: 'start', message: expect.stringMatching(/^"05\/09\/2026 08:00" is not a date and time/) },
        { line: 6, column: 'end', message: expect.stringMatching(/^"soon" is not a date and time/) },
        { line: 7, column: 'external_id', message: 'the same external_id as line 2' },
        { line: 8, column: 'start', message: 'the same person, site and start as line 2' },
      ]);
      expect(await table()).toEqual(before);
    });

    it('answers 422 on line 1 for a missing or unknown column, a file without a header, and an empty file', async () => {
      const header = await csv('username,site,start,finish\nm.grey,st-marys,2026-09-01T08:00,2026-09-01T20:00\n');
      expect(header.status).toBe(422);
      expect(header.body.errors.map((e: { line: number; column: string }) => [e.line, e.column])).toEqual([
        [1, 'site'],
        [1, 'finish'],
        [1, 'site_id'],
        [1, 'end'],
      ]);
      const headless = await csv('m.grey,st-marys,2026-09-01T08:00,2026-09-01T20:00\n');
      expect(headless.status).toBe(422);
      expect(headless.body.errors).toEqual([{ line: 1, column: '', message: expect.stringMatching(/^the first line is not a header/) }]);
      const empty = await csv('');
      expect(empty.status).toBe(422);
      expect(empty.body.errors).toEqual([{ line: 1, column: '', message: expect.stringMatching(/^the file is empty/) }]);
    });

    it('answers { 0, 0, 0 } for a header alone, and 415 for a body that is not text/csv', async () => {
      expect((await csv(`${HEADER}\r\n\r\n`)).body).toEqual({ created: 0, updated: 0, unchanged: 0 });
      expect((await api.post('/shifts/import', { csv: HEADER })).status).toBe(415);
    });

    it('imports thousands of rows in one go and matches them all again', async () => {
      const lines = [HEADER];
      for (let day = 0; day < 1250; day += 1) {
        const date = new Date(Date.UTC(2027, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
        for (const [i, username] of ['m.grey', 'j.okafor'].entries()) lines.push(`${username},st-marys,${date}T08:00,${date}T20:00,,bulk-${day}-${i}`);
        lines.push(`a.karev,mercy-west,${date}T19:00,${date}T23:00,on_call,`);
      }
      expect((await csv(lines.join('\n'))).body).toEqual({ created: 3750, updated: 0, unchanged: 0 });
      expect((await csv(lines.join('\n'))).body).toEqual({ created: 0, updated: 0, unchanged: 3750 });
      const [count] = await server.db('shifts').where('starts_at', '>=', Date.UTC(2027, 0, 1) - 86_400_000).count({ n: '*' });
      expect(Number(count?.n)).toBe(3750);
    });

    it('audits each import once, with its counts, not once per row', async () => {
      const before = (await auditOf('admin.shift.import')).length;
      const file = `${HEADER}\nc.yang,st-marys,2026-12-01T08:00,2026-12-01T20:00,,audit-1\nc.yang,st-marys,2026-12-02T08:00,2026-12-02T20:00,,audit-2\n`;
      await csv(file);
      await csv(file.replace('2026-12-02T20:00', '2026-12-02T21:00'));
      await csv(`${HEADER}\nnobody,st-marys,2026-12-01T08:00,2026-12-01T20:00,,\n`);
      const rows = await auditOf('admin.shift.import');
      expect(rows).toHaveLength(before + 2);
      expect(rows.slice(-2).map((r: { data: string }) => JSON.parse(r.data).details)).toEqual([
        { created: 2, updated: 0, unchanged: 0, rows: 2 },
        { created: 0, updated: 1, unchanged: 1, rows: 2 },
      ]);
      expect(rows.at(-1).actor).toMatch(/^client:/);
      expect(await server.db('audit_log').where({ type: 'admin.shift.create' }).andWhere('data', 'like', '%audit-1%')).toEqual([]);
    });
  });
});
