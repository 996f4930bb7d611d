/**
 * Dates, times and outcomes as the console shows them. Times are stored and sent as instants; the
 * console shows them in a timezone the admin picks (a site's, or UTC), and reads the browser's
 * `datetime-local` fields in that timezone.
 */
import { DateTime } from 'luxon';
import type { WeightedCode } from '../../risk/policy.ts';

export const OUTCOME_LABELS: Record<string, string> = { allow: 'Allowed', step_up: 'Security key asked', deny: 'Blocked' };

/** Finding codes as short phrases (the dashboard's top findings, the policy's weights): one for every code. */
export const FINDING_LABELS: Record<WeightedCode, string> = {
  on_shift: 'On shift',
  off_shift: 'Off shift',
  near_shift_edge: 'Just before or after a shift',
  known_terminal: 'At a known terminal',
  unknown_device: 'Not at a known terminal',
  on_premises: "On the hospital's network",
  remote: 'From outside the hospital',
  country_not_allowed: 'Country not allowed',
  impossible_travel: 'Impossible travel',
  location_unknown: 'Location unknown',
  outdated_browser: 'Outdated browser',
  unsupported_os: 'Unsupported operating system',
  automation_client: 'Automated client',
  new_device: 'New device',
  repeated_failures: 'Repeated wrong passwords (person)',
  ip_failures: 'Repeated wrong passwords (address)',
  password_spraying: 'Password spraying',
  sensitive_app: 'High-sensitivity app',
  phr_requested: 'App asked for a security key',
};

export const findingLabel = (code: string) => FINDING_LABELS[code as WeightedCode] ?? (code.startsWith('signal_error:') ? `The ${code.slice(13)} check failed` : code);

/** An instant for people: "29 Nov 2026 18:05 GMT" in `zone` (UTC when none). */
export function when(value: string | number | Date | null | undefined, zone = 'UTC'): string {
  if (value === null || value === undefined || value === '') return '';
  const dt = typeof value === 'number' ? DateTime.fromMillis(value) : value instanceof Date ? DateTime.fromJSDate(value) : DateTime.fromISO(value, { setZone: false });
  if (!dt.isValid) return String(value);
  const local = dt.setZone(zone);
  return `${local.toFormat('d LLL yyyy HH:mm')} ${zone === 'UTC' ? 'UTC' : local.offsetNameShort ?? local.toFormat('ZZ')}`;
}

/** The value of a `datetime-local` field showing the instant `ms` in `zone`. */
export function localInput(ms: number, zone = 'UTC'): string {
  return DateTime.fromMillis(ms, { zone }).toFormat("yyyy-LL-dd'T'HH:mm");
}

/**
 * A `datetime-local` value read in `zone`, as ISO 8601 with its offset; undefined when empty;
 * the text as typed when it is not a date (the API then names the field).
 */
export function instantOf(value: string | undefined, zone = 'UTC'): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  const dt = DateTime.fromISO(trimmed, { zone });
  return dt.isValid ? dt.toISO({ suppressMilliseconds: true })! : trimmed;
}

/** Today's date (yyyy-mm-dd) in `zone`. */
export function today(zone: string): string {
  return DateTime.now().setZone(zone).toISODate()!;
}

/** The start and end of a calendar day in `zone`, as instants with their offsets. */
export function dayBounds(day: string, zone: string): { from: string; to: string } | undefined {
  const start = DateTime.fromISO(day, { zone }).startOf('day');
  if (!start.isValid) return undefined;
  return { from: start.toISO({ suppressMilliseconds: true })!, to: start.plus({ days: 1 }).toISO({ suppressMilliseconds: true })! };
}

/** Every IANA timezone this Node knows, for the timezone fields' suggestions. */
export const TIMEZONES: string[] = Intl.supportedValuesOf('timeZone');
