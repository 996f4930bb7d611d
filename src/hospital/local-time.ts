/**
 * Reading times the way a rota writes them. Storage is UTC; a site's IANA timezone is used only to
 * read a local time ("2026-03-29T22:00") and to show one.
 *
 * - A time with an offset (`…+01:00`, `…Z`) is that instant; the site's timezone is not consulted.
 * - A local time that does not exist (the hour skipped when clocks go forward) is refused.
 * - A local time that happens twice (the hour repeated when clocks go back) is read as the earlier
 *   instant, the first time the wall clock shows it (the summer-time reading).
 */
import { DateTime } from 'luxon';

export class LocalTimeError extends Error {
  override name = 'LocalTimeError';
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * The IANA name of a timezone as the runtime spells it (europe/london → Europe/London), or null when
 * it is not one. Offsets ("+01:00") are refused: a site's offset changes with summer time.
 */
export function canonicalTimeZone(name: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return null;
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** The zone's offset from UTC, in minutes, at an instant. */
function offsetAt(ms: number, timeZone: string): number {
  return DateTime.fromMillis(ms, { zone: timeZone }).offset;
}

/**
 * Epoch milliseconds of `original`: ISO 8601 with an offset or Z, or a local date and time
 * (YYYY-MM-DDTHH:mm[:ss[.SSS]], or a space for the T) read in `timeZone`. Throws LocalTimeError saying what is wrong.
 */
export function toEpochMs(original: string, timeZone: string): number {
  // RFC 3339 allows a space between date and time, as spreadsheets write it.
  const text = original.trim().replace(' ', 'T');
  const match = ISO.exec(text);
  if (!match) {
    throw new LocalTimeError(`"${original}" is not a date and time (expected 2026-03-29T22:00, 2026-03-29T22:00:00+01:00 or 2026-03-29T21:00:00Z)`);
  }
  const hasOffset = match[8] !== undefined;
  // The wall-clock reading, valid as a calendar date (no 30 February, no 24:00).
  const wall = DateTime.fromISO(hasOffset ? text : `${text}Z`, { zone: 'UTC', setZone: hasOffset });
  if (!wall.isValid) throw new LocalTimeError(`"${original}" is not a valid date and time`);
  if (hasOffset) return wall.toMillis();

  // Local time: the instants whose wall clock in the zone reads `text`. Try the offsets in force a
  // day before and a day after (every real transition is far more than a day from the next).
  const asUtc = wall.toMillis();
  const day = 86_400_000;
  const candidates = [...new Set([offsetAt(asUtc - day, timeZone), offsetAt(asUtc + day, timeZone)])]
    .map((offset) => asUtc - offset * 60_000)
    .filter((instant) => instant + offsetAt(instant, timeZone) * 60_000 === asUtc)
    .sort((a, b) => a - b);
  if (candidates.length === 0) {
    throw new LocalTimeError(`"${original}" does not exist in ${timeZone}: the clocks skip that hour`);
  }
  return candidates[0]!;
}

/** An instant as local ISO 8601 with its offset in the zone, e.g. 2026-03-29T22:00:00+01:00. */
export function formatLocal(ms: number, timeZone: string): string {
  return DateTime.fromMillis(ms, { zone: timeZone }).toISO({ suppressMilliseconds: true })!;
}
