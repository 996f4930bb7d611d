/**
 * Rota import: a CSV of shifts, checked whole before anything is written. The header names the
 * columns (any order): username, site_id, start, end, and optionally kind and external_id. Every
 * problem in the file is collected as `{ line, column, message }` (lines as in the file, the header
 * is line 1); if there is any, nothing is written. Otherwise every row is written in one
 * transaction. A row matches a stored shift by external_id, else by person, site and start, so
 * importing the same file again changes nothing. Rows are never deleted by an import.
 *
 * `parseRota` reads the text (BOM, CRLF, quoting, header, each row through a zod schema) and
 * needs no database; `createRotaImport` adds what only the database knows (people, sites and
 * their timezones, stored shifts) and writes, a statement per thousand rows rather than per row.
 */
import crypto from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { usernameKey } from '../accounts/usernames.ts';
import { AppError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { createShiftStore, type ShiftRow } from '../store/shifts.ts';
import { LocalTimeError, toEpochMs } from './local-time.ts';
import { shiftSpanProblem } from './shifts.ts';

export const REQUIRED_COLUMNS = ['username', 'site_id', 'start', 'end'] as const;
export const OPTIONAL_COLUMNS = ['kind', 'external_id'] as const;
type ColumnName = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];
const COLUMNS: readonly string[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS];
const HEADER_HINT = 'the header is username,site_id,start,end with kind and external_id optional, in any order';

/** One problem in the file. `column` is a header name, or "" when the whole line is at fault. */
export interface CsvError {
  line: number;
  column: string;
  message: string;
}

/** A data row that reads well on its own; people, sites and times are checked against the database later. */
export interface RotaRow {
  line: number;
  username: string;
  siteId: string;
  start: string;
  end: string;
  kind: 'scheduled' | 'on_call';
  externalId: string | null;
  /** Columns whose value did not read (already reported): the later checks leave them out. */
  unreadable?: ReadonlySet<ColumnName>;
}

export interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
}

const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const cell = (max: number) => z.string({ error: 'required' }).trim().min(1, 'required').max(max, `at most ${max} characters`);

/** One data row, by column name; blank optional cells are absent. */
const rowSchema = z.object({
  username: cell(256),
  site_id: cell(64),
  start: cell(64),
  end: cell(64),
  kind: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['scheduled', 'on_call'], { error: 'must be scheduled or on_call' }))
      .optional(),
  ),
  external_id: z.preprocess(blankToUndefined, cell(255).optional()),
});

const PARSE_MESSAGES: Record<string, string> = {
  INVALID_OPENING_QUOTE: 'a quote inside a value that does not start with one; quote the whole value ("…") and double any quote inside it',
  CSV_INVALID_CLOSING_QUOTE: 'text after a closing quote; quote the whole value ("…") and double any quote inside it',
  CSV_QUOTE_NOT_CLOSED: 'a quote opened on this line is never closed, so the rest of the file cannot be read',
};

function newlines(value: string): number {
  let n = 0;
  for (let at = value.indexOf('\n'); at !== -1; at = value.indexOf('\n', at + 1)) n += 1;
  return n;
}

/** Line numbers of byte offsets in the text as given to the parser. */
function lineIndex(buffer: Buffer) {
  const breaks: number[] = [];
  for (let at = buffer.indexOf(0x0a); at !== -1; at = buffer.indexOf(0x0a, at + 1)) breaks.push(at);
  return {
    /** The line of the first character at or after `offset` that is not a line break. */
    lineAt(offset: number): number {
      let start = offset;
      while (buffer[start] === 0x0a) start += 1;
      let low = 0;
      let high = breaks.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (breaks[mid]! < start) low = mid + 1;
        else high = mid;
      }
      return low + 1;
    },
  };
}

/**
 * Reads a rota CSV: the rows that read well and every problem found. A header with a problem
 * (missing, unknown or repeated columns) gives only the header's errors: the rows cannot be read
 * without it. Blank lines, and lines whose every value is blank, are skipped.
 */
export function parseRota(text: string): { rows: RotaRow[]; errors: CsvError[]; headerErrors: boolean } {
  // One line break (the parser counts CR LF inside a quoted value as two lines), no BOM.
  const normalised = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const errors: CsvError[] = [];
  let lines: ReturnType<typeof lineIndex> | undefined;
  let fatalAt: number | null = null;
  const records: Array<{ line: number; values: string[] }> = [];
  parse(normalised, {
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    skip_records_with_error: true,
    // `lines` is the line the record ends on; a quoted value may span lines before it.
    on_record: (values, context) => {
      records.push({ line: context.lines - values.reduce((n, v) => n + newlines(v), 0), values });
      return null;
    },
    on_skip: (error) => {
      // The error's byte offset is where its record starts (or the blank lines before it).
      lines ??= lineIndex(Buffer.from(normalised, 'utf8'));
      const line = lines.lineAt((error as { bytes?: number }).bytes ?? 0);
      if (error?.code === 'CSV_QUOTE_NOT_CLOSED') fatalAt = line;
      errors.push({ line, column: '', message: PARSE_MESSAGES[error?.code ?? ''] ?? `cannot be read: ${error?.message ?? 'unknown error'}` });
    },
  });
  const none = { rows: [], headerErrors: true };

  // The header: the first line with anything on it.
  const header = records.find((r) => r.values.some((v) => v !== ''));
  const firstError = errors[0];
  if (firstError && (!header || firstError.line < header.line)) return { ...none, errors };
  if (!header) return { ...none, errors: [{ line: 1, column: '', message: `the file is empty: ${HEADER_HINT}` }] };
  const names = header.values.map((v) => v.toLowerCase());
  if (!names.some((name) => COLUMNS.includes(name))) {
    return { ...none, errors: [{ line: header.line, column: '', message: `the first line is not a header: ${HEADER_HINT}` }] };
  }
  const headerErrors: CsvError[] = [];
  names.forEach((name, i) => {
    if (name === '') return; // an unnamed column (a trailing comma); its values must be blank
    if (!COLUMNS.includes(name)) headerErrors.push({ line: header.line, column: header.values[i]!, message: `unknown column "${header.values[i]}": ${HEADER_HINT}` });
    else if (names.indexOf(name) !== i) headerErrors.push({ line: header.line, column: name, message: 'the column appears more than once' });
  });
  for (const name of REQUIRED_COLUMNS) {
    if (!names.includes(name)) headerErrors.push({ line: header.line, column: name, message: `missing column: ${HEADER_HINT}` });
  }
  if (headerErrors.length) return { ...none, errors: headerErrors };

  const rows: RotaRow[] = [];
  for (const record of records) {
    if (record === header || record.line <= header.line) continue;
    const { line, values } = record;
    if (values.every((v) => v === '')) continue;
    if (values.length !== names.length) {
      const missing = values.length < names.length;
      errors.push({
        line,
        column: missing ? names[values.length]! : '',
        message: `the line has ${values.length} values where the header has ${names.length} columns`,
      });
      continue;
    }
    const input: Partial<Record<ColumnName, string>> = {};
    names.forEach((name, i) => {
      if (name === '') {
        if (values[i] !== '') errors.push({ line, column: '', message: `a value ("${values[i]}") in column ${i + 1}, which has no name in the header` });
      } else {
        input[name as ColumnName] = values[i];
      }
    });
    // Each column on its own, so that one bad value does not hide the others' problems: a row with
    // a bad kind is still checked for its person, site and times.
    const unreadable = new Set<ColumnName>();
    const read: Record<string, unknown> = {};
    for (const [column, schema] of Object.entries(rowSchema.shape)) {
      const result = (schema as z.ZodType).safeParse(input[column as ColumnName]);
      if (result.success) read[column] = result.data;
      else {
        unreadable.add(column as ColumnName);
        for (const issue of result.error.issues) errors.push({ line, column, message: issue.message });
      }
    }
    const text = (column: ColumnName) => (typeof read[column] === 'string' ? (read[column] as string) : '');
    rows.push({
      line,
      username: text('username'),
      siteId: text('site_id'),
      start: text('start'),
      end: text('end'),
      kind: (read.kind as RotaRow['kind'] | undefined) ?? 'scheduled',
      externalId: typeof read.external_id === 'string' ? read.external_id : null,
      ...(unreadable.size ? { unreadable } : {}),
    });
  }
  // After a quote that is never closed, nothing more could be read: say so once, not per row.
  const readable = fatalAt === null ? errors : errors.filter((e) => e.line <= fatalAt!);
  return { rows: fatalAt === null ? rows : rows.filter((r) => r.line < fatalAt!), errors: sortErrors(readable), headerErrors: false };
}

const ORDER = new Map(COLUMNS.map((c, i) => [c, i]));

function sortErrors(errors: CsvError[]): CsvError[] {
  return [...errors].sort((a, b) => a.line - b.line || (ORDER.get(a.column) ?? -1) - (ORDER.get(b.column) ?? -1));
}

/** The 422 for a file with problems: every error, with the first few in words. */
export function csvErrors(errors: CsvError[]): AppError {
  const sorted = sortErrors(errors);
  const shown = sorted
    .slice(0, 5)
    .map((e) => `line ${e.line}${e.column ? `, ${e.column}` : ''}: ${e.message}`)
    .join('; ');
  const more = sorted.length > 5 ? `; and ${sorted.length - 5} more` : '';
  const count = `${sorted.length} error${sorted.length === 1 ? '' : 's'}`;
  return new AppError('invalid_input', `The CSV has ${count}; nothing was imported (${shown}${more}).`, { status: 422, details: { errors: sorted } });
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export function createRotaImport(db: Db, now: () => number = Date.now) {
  return {
    /**
     * Imports a rota CSV atomically: a 422 (`details.errors`, every problem) and nothing written,
     * or every row written in one transaction. `rows` is the number of data rows read.
     */
    async run(text: string): Promise<ImportCounts & { rows: number }> {
      const parsed = parseRota(text);
      if (parsed.headerErrors) throw csvErrors(parsed.errors);
      const errors = [...parsed.errors];
      try {
        return await db.transaction(async (trx) => {
          const store = createShiftStore(trx);
          const userIds = await store.userIdsByKey(parsed.rows.filter((r) => r.username).map((r) => usernameKey(r.username)));
          const timezones = await store.siteTimezones(parsed.rows.filter((r) => r.siteId).map((r) => r.siteId));

          // Times repeat across a rota (everyone's 07:00): read each text once per timezone.
          const times = new Map<string, number | string>();
          const instant = (value: string, timeZone: string): number | string => {
            const key = `${timeZone}\u0000${value}`;
            let read = times.get(key);
            if (read === undefined) {
              try {
                read = toEpochMs(value, timeZone);
              } catch (error) {
                if (!(error instanceof LocalTimeError)) throw error;
                read = error.message;
              }
              times.set(key, read);
            }
            return read;
          };

          interface Wanted {
            line: number;
            userId: string;
            siteId: string;
            startsAt: number;
            endsAt: number;
            kind: RotaRow['kind'];
            externalId: string | null;
          }
          const wanted: Wanted[] = [];
          const lineOfKey = new Map<string, number>();
          const lineOfExternalId = new Map<string, number>();
          for (const row of parsed.rows) {
            const before = errors.length;
            const bad = (column: ColumnName) => row.unreadable?.has(column) ?? false;
            const userId = bad('username') ? undefined : userIds.get(usernameKey(row.username));
            if (!userId && !bad('username')) errors.push({ line: row.line, column: 'username', message: `no user "${row.username}"` });
            const timeZone = bad('site_id') ? undefined : timezones.get(row.siteId);
            if (!timeZone && !bad('site_id')) errors.push({ line: row.line, column: 'site_id', message: `no site "${row.siteId}"` });
            // Without the site a local time cannot be placed, but an unreadable one is still named
            // (UTC has no skipped hours, so only the form is checked).
            const startsAt = bad('start') ? 'unreadable' : instant(row.start, timeZone ?? 'UTC');
            const endsAt = bad('end') ? 'unreadable' : instant(row.end, timeZone ?? 'UTC');
            if (typeof startsAt === 'string' && !bad('start')) errors.push({ line: row.line, column: 'start', message: startsAt });
            if (typeof endsAt === 'string' && !bad('end')) errors.push({ line: row.line, column: 'end', message: endsAt });
            const span = typeof startsAt === 'number' && typeof endsAt === 'number' && timeZone ? shiftSpanProblem(startsAt, endsAt) : null;
            if (span) errors.push({ line: row.line, column: 'end', message: span });
            if (row.externalId !== null) {
              const first = lineOfExternalId.get(row.externalId);
              if (first !== undefined) errors.push({ line: row.line, column: 'external_id', message: `the same external_id as line ${first}` });
              else lineOfExternalId.set(row.externalId, row.line);
            }
            if (userId && timeZone && typeof startsAt === 'number') {
              const key = `${userId}\u0000${row.siteId}\u0000${startsAt}`;
              const first = lineOfKey.get(key);
              if (first !== undefined) errors.push({ line: row.line, column: 'start', message: `the same person, site and start as line ${first}` });
              else lineOfKey.set(key, row.line);
            }
            if (errors.length === before && !row.unreadable && userId && typeof startsAt === 'number' && typeof endsAt === 'number') {
              wanted.push({ line: row.line, userId, siteId: row.siteId, startsAt, endsAt, kind: row.kind, externalId: row.externalId });
            }
          }
          if (errors.length) throw csvErrors(errors);
          if (wanted.length === 0) return { created: 0, updated: 0, unchanged: 0, rows: 0 };

          // Stored shifts these rows may be: by external id, then by person, site and start.
          const byExternalId = new Map((await store.findByExternalIds(wanted.flatMap((w) => (w.externalId === null ? [] : [w.externalId])))).map((s) => [s.external_id!, s]));
          const first = wanted.reduce((min, w) => Math.min(min, w.startsAt), Infinity);
          const last = wanted.reduce((max, w) => Math.max(max, w.startsAt), -Infinity);
          const byKey = new Map<string, ShiftRow[]>();
          for (const stored of await store.findStarting(wanted.map((w) => w.userId), first, last)) {
            const key = `${stored.user_id}\u0000${stored.site_id}\u0000${stored.starts_at}`;
            byKey.set(key, [...(byKey.get(key) ?? []), stored]);
          }
          const claimed = new Set<string>();
          const matches = new Map<Wanted, ShiftRow>();
          for (const w of wanted) {
            const stored = w.externalId === null ? undefined : byExternalId.get(w.externalId);
            if (stored) {
              matches.set(w, stored);
              claimed.add(stored.id);
            }
          }
          for (const w of wanted) {
            if (matches.has(w)) continue;
            // A row with its own external id may take over a stored shift without one, never another's.
            const candidates = byKey.get(`${w.userId}\u0000${w.siteId}\u0000${w.startsAt}`) ?? [];
            const stored = candidates.find((s) => !claimed.has(s.id) && (w.externalId === null || s.external_id === null));
            if (stored) {
              matches.set(w, stored);
              claimed.add(stored.id);
            }
          }

          const at = now();
          const writes: ShiftRow[] = [];
          const counts: ImportCounts = { created: 0, updated: 0, unchanged: 0 };
          for (const w of wanted) {
            const stored = matches.get(w);
            const fields = { user_id: w.userId, site_id: w.siteId, starts_at: w.startsAt, ends_at: w.endsAt, kind: w.kind, external_id: w.externalId ?? stored?.external_id ?? null };
            if (!stored) {
              writes.push({ id: crypto.randomUUID(), ...fields, created_at: at, updated_at: at });
              counts.created += 1;
            } else if ((Object.keys(fields) as (keyof typeof fields)[]).some((k) => stored[k] !== fields[k])) {
              writes.push({ ...stored, ...fields, updated_at: at });
              counts.updated += 1;
            } else {
              counts.unchanged += 1;
            }
          }
          await store.upsert(writes);
          return { ...counts, rows: wanted.length };
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new AppError('conflict', 'Another change to these shifts (the same external_id) was written at the same time; nothing was imported. Import the file again.', { cause: error });
        }
        throw error;
      }
    },
  };
}

export type RotaImport = ReturnType<typeof createRotaImport>;
