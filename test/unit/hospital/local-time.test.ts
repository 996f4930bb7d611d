/** Shift times read as a rota writes them: local times in the site's timezone, or instants with an offset. */
import { describe, expect, it } from 'vitest';
import { canonicalTimeZone, formatLocal, toEpochMs } from '../../../src/hospital/local-time.ts';

const LONDON = 'Europe/London';
const utc = (text: string, zone = LONDON) => new Date(toEpochMs(text, zone)).toISOString();

describe('toEpochMs', () => {
  it('reads a night shift across midnight in local time (22:00 to 07:00)', () => {
    expect(utc('2026-01-14T22:00')).toBe('2026-01-14T22:00:00.000Z');
    expect(utc('2026-01-15T07:00')).toBe('2026-01-15T07:00:00.000Z');
    expect(utc('2026-07-14T22:00')).toBe('2026-07-14T21:00:00.000Z');
    expect(utc('2026-07-15T07:00')).toBe('2026-07-15T06:00:00.000Z');
    expect(utc('2026-07-14T22:00', 'Asia/Kolkata')).toBe('2026-07-14T16:30:00.000Z');
  });

  it('reads the spring-forward night in London: 22:00 GMT to 07:00 BST is eight hours', () => {
    const start = toEpochMs('2026-03-28T22:00', LONDON);
    const end = toEpochMs('2026-03-29T07:00', LONDON);
    expect(new Date(start).toISOString()).toBe('2026-03-28T22:00:00.000Z');
    expect(new Date(end).toISOString()).toBe('2026-03-29T06:00:00.000Z');
    expect((end - start) / 3_600_000).toBe(8);
  });

  it('refuses a local time that does not exist (01:30 on 29 March 2026 in London)', () => {
    expect(() => toEpochMs('2026-03-29T01:30', LONDON)).toThrow('"2026-03-29T01:30" does not exist in Europe/London: the clocks skip that hour');
    expect(() => toEpochMs('2026-03-29T01:00', LONDON)).toThrow('does not exist');
    expect(utc('2026-03-29T00:59')).toBe('2026-03-29T00:59:00.000Z');
    expect(utc('2026-03-29T02:00')).toBe('2026-03-29T01:00:00.000Z');
  });

  it('reads an ambiguous local time (01:30 on 25 October 2026 in London) as the earlier instant, in BST', () => {
    expect(utc('2026-10-25T01:30')).toBe('2026-10-25T00:30:00.000Z');
    expect(utc('2026-10-25T01:00')).toBe('2026-10-25T00:00:00.000Z');
    expect(utc('2026-10-25T02:00')).toBe('2026-10-25T02:00:00.000Z');
    // The fall-back night is nine hours long from 22:00 to 06:00.
    expect((toEpochMs('2026-10-25T06:00', LONDON) - toEpochMs('2026-10-24T22:00', LONDON)) / 3_600_000).toBe(9);
  });

  it('honours an explicit offset or Z, whatever the site timezone', () => {
    expect(utc('2026-03-29T22:00:00+01:00')).toBe('2026-03-29T21:00:00.000Z');
    expect(utc('2026-03-29T22:00:00+01:00', 'America/New_York')).toBe('2026-03-29T21:00:00.000Z');
    expect(utc('2026-03-29T01:30:00Z')).toBe('2026-03-29T01:30:00.000Z');
    expect(utc('2026-03-29T01:30+00:00')).toBe('2026-03-29T01:30:00.000Z');
    expect(utc('2026-10-25T01:30:00+00:00')).toBe('2026-10-25T01:30:00.000Z');
  });

  it('takes a space for the T, as spreadsheets write it', () => {
    expect(utc('2026-03-29 22:00')).toBe(utc('2026-03-29T22:00'));
    expect(utc('2026-03-29 22:00:00+01:00')).toBe('2026-03-29T21:00:00.000Z');
    expect(() => toEpochMs('2026-03-29 01:30', LONDON)).toThrow('"2026-03-29 01:30" does not exist in Europe/London');
  });

  it('refuses text that is not a date and time, and dates that do not exist', () => {
    for (const bad of ['', 'tonight', '2026-03-29', '2026-03-29  22:00', '29/03/2026 22:00', '22:00', '2026-3-29T22:00', '2026-03-29T22:00+01']) {
      expect(() => toEpochMs(bad, LONDON), bad).toThrow('is not a date and time');
    }
    expect(() => toEpochMs('2026-02-30T08:00', LONDON)).toThrow('"2026-02-30T08:00" is not a valid date and time');
    expect(() => toEpochMs('2026-03-29T25:00', LONDON)).toThrow('is not a valid date and time');
  });
});

describe('formatLocal', () => {
  it('shows an instant in the site timezone with its offset', () => {
    expect(formatLocal(Date.parse('2026-03-29T21:00:00Z'), LONDON)).toBe('2026-03-29T22:00:00+01:00');
    expect(formatLocal(Date.parse('2026-01-15T07:00:00Z'), LONDON)).toBe('2026-01-15T07:00:00Z'.replace('Z', '+00:00'));
  });
});

describe('canonicalTimeZone', () => {
  it('accepts IANA names in any case and gives the runtime spelling', () => {
    expect(canonicalTimeZone('Europe/London')).toBe('Europe/London');
    expect(canonicalTimeZone('europe/london')).toBe('Europe/London');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('America/Argentina/Buenos_Aires')).not.toBeNull();
  });

  it('refuses offsets and names that are not zones', () => {
    for (const bad of ['+01:00', '-05:00', 'Mars/Olympus_Mons', 'Europe/', '', 'Europe London']) expect(canonicalTimeZone(bad), bad).toBeNull();
  });
});
