/**
 * Instants shown as wall-clock time at a site, for the service desk: "2026-03-29 22:00 Europe/London".
 * Only for reading: every comparison is made on instants, so midnight and daylight-saving changes
 * need no special cases. (An hour repeated when clocks go back reads the same twice; the ISO
 * instant next to it in a finding's details tells the two apart.)
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    // Throws a RangeError for a timezone Intl does not know; the caller's signal then fails closed.
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

export function localTime(instant: Date, timezone: string): string {
  const part = Object.fromEntries(formatterFor(timezone).formatToParts(instant).map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute} ${timezone}`;
}
