/** Reading a rota CSV as exported by a rota system or a spreadsheet: quoting, BOM, line ends, header problems. */
import { describe, expect, it } from 'vitest';
import { parseRota } from '../../../src/hospital/rota-import.ts';

const HEADER = 'username,site_id,start,end';

describe('parseRota', () => {
  it('reads rows with the header in any order, optional kind and external_id, and defaults', () => {
    const { rows, errors } = parseRota('site_id,end,username,start,external_id,kind\nst-marys,2026-03-29T07:00,m.grey,2026-03-28T22:00,R-1,on_call\nst-marys,2026-03-30T07:00,j.okafor,2026-03-29T22:00,,\n');
    expect(errors).toEqual([]);
    expect(rows).toEqual([
      { line: 2, username: 'm.grey', siteId: 'st-marys', start: '2026-03-28T22:00', end: '2026-03-29T07:00', kind: 'on_call', externalId: 'R-1' },
      { line: 3, username: 'j.okafor', siteId: 'st-marys', start: '2026-03-29T22:00', end: '2026-03-30T07:00', kind: 'scheduled', externalId: null },
    ]);
  });

  it('accepts a BOM, CRLF line ends, quoted values (with commas, doubled quotes and line breaks) and blank lines', () => {
    const text = '\uFEFFUsername, Site_ID ,start,end,external_id\r\n"m.grey","st-marys","2026-03-28T22:00","2026-03-29T07:00","night, ""A"" team"\r\n\r\n"j.okafor",st-marys,2026-03-29T22:00,2026-03-30T07:00,"two\r\nlines"\r\nm.grey,st-marys,2026-04-01T08:00,2026-04-01T20:00,\r\n,,,,\r\n\r\n\r\n';
    const { rows, errors } = parseRota(text);
    expect(errors).toEqual([]);
    expect(rows.map((r) => [r.line, r.username, r.externalId])).toEqual([
      [2, 'm.grey', 'night, "A" team'],
      [4, 'j.okafor', 'two\nlines'],
      [6, 'm.grey', null],
    ]);
  });

  it('numbers lines as in the file, counting line breaks inside quoted values', () => {
    const { errors } = parseRota(`${HEADER},external_id\r\nm.grey,st-marys,2026-03-28T22:00,2026-03-29T07:00,"a\r\nb\r\nc"\r\nm.grey,,2026-03-28T22:00,2026-03-29T07:00,x\r\n`);
    expect(errors).toEqual([{ line: 5, column: 'site_id', message: 'required' }]);
  });

  it('treats a header-only file as no rows, and an empty file or one without a header as an error on line 1', () => {
    expect(parseRota(`${HEADER}\n\n`)).toEqual({ rows: [], errors: [], headerErrors: false });
    expect(parseRota('')).toMatchObject({ headerErrors: true, errors: [{ line: 1, column: '', message: expect.stringMatching(/^the file is empty/) }] });
    expect(parseRota('\uFEFF\r\n\r\n')).toMatchObject({ headerErrors: true, errors: [{ line: 1, message: expect.stringMatching(/^the file is empty/) }] });
    expect(parseRota('m.grey,st-marys,2026-03-28T22:00,2026-03-29T07:00\n')).toMatchObject({
      headerErrors: true,
      errors: [{ line: 1, column: '', message: expect.stringMatching(/^the first line is not a header: the header is username,site_id,start,end/) }],
    });
  });

  it('names unknown, repeated and missing columns on line 1, and reads no rows then', () => {
    const { rows, errors, headerErrors } = parseRota('username,site,start,start,colour\nm.grey,st-marys,2026-03-28T22:00,2026-03-29T07:00,blue\n');
    expect(headerErrors).toBe(true);
    expect(rows).toEqual([]);
    expect(errors).toEqual([
      { line: 1, column: 'site', message: expect.stringMatching(/^unknown column "site"/) },
      { line: 1, column: 'start', message: 'the column appears more than once' },
      { line: 1, column: 'colour', message: expect.stringMatching(/^unknown column "colour"/) },
      { line: 1, column: 'site_id', message: expect.stringMatching(/^missing column/) },
      { line: 1, column: 'end', message: expect.stringMatching(/^missing column/) },
    ]);
  });

  it('lists every bad row: missing values, a bad kind, too few or too many values, broken quotes', () => {
    const text = [
      `${HEADER},kind`,
      'm.grey,st-marys,2026-03-28T22:00,2026-03-29T07:00,scheduled',
      ',st-marys,,2026-03-29T07:00,overtime',
      'm.grey,st-marys,2026-03-28T22:00',
      'm.grey,st-marys,2026-03-28T22:00,2026-03-29T07:00,on_call,extra',
      'm.gr"ey,st-marys,2026-03-28T22:00,2026-03-29T07:00,on_call',
      'm.grey,st-marys,2026-03-28T22:00,2026-03-29T07:00,ON_CALL',
    ].join('\n');
    const { rows, errors } = parseRota(text);
    expect(rows.filter((r) => !r.unreadable).map((r) => [r.line, r.kind])).toEqual([[2, 'scheduled'], [7, 'on_call']]);
    // A row with bad values is kept, marked, so that its other columns are still checked later.
    const marked = rows.find((r) => r.line === 3)!;
    expect([...marked.unreadable!].sort()).toEqual(['kind', 'start', 'username']);
    expect(marked).toMatchObject({ siteId: 'st-marys', end: '2026-03-29T07:00' });
    expect(errors).toEqual([
      { line: 3, column: 'username', message: 'required' },
      { line: 3, column: 'start', message: 'required' },
      { line: 3, column: 'kind', message: 'must be scheduled or on_call' },
      { line: 4, column: 'end', message: 'the line has 3 values where the header has 5 columns' },
      { line: 5, column: '', message: 'the line has 6 values where the header has 5 columns' },
      { line: 6, column: '', message: expect.stringMatching(/^a quote inside a value/) },
    ]);
  });

  it('stops at a quote that is never closed, saying so once', () => {
    const { errors } = parseRota(`${HEADER}\nm.grey,"st-marys,2026-03-28T22:00,2026-03-29T07:00\nm.grey,st-marys,2026-03-29T22:00,2026-03-30T07:00\n`);
    expect(errors).toEqual([{ line: 2, column: '', message: expect.stringMatching(/never closed/) }]);
  });

  it('tolerates an unnamed trailing column (a spreadsheet\'s trailing comma) while its values are blank', () => {
    expect(parseRota(`${HEADER},\nm.grey,st-marys,2026-03-28T22:00,2026-03-29T07:00,\n`).errors).toEqual([]);
    expect(parseRota(`${HEADER},\nm.grey,st-marys,2026-03-28T22:00,2026-03-29T07:00,x\n`).errors).toEqual([
      { line: 2, column: '', message: 'a value ("x") in column 5, which has no name in the header' },
    ]);
  });
});
