/**
 * What changed between two policy documents, for IT reviewing a version before activating it:
 * one entry per added, removed or changed value, each located by a JSON pointer (RFC 6901) into
 * the documents. Objects are compared key by key and lists position by position (microdiff), so a
 * rule inserted at the top of `rules` shows as changes at every later position, as a pointer must.
 */
import microdiff from 'microdiff';

export interface PolicyChange {
  /** Where, in both documents: `/thresholds/deny`, `/rules/2/mode`; "" for the whole document. */
  pointer: string;
  change: 'added' | 'removed' | 'changed';
  /** The old value (changed, removed). */
  from?: unknown;
  /** The new value (added, changed). */
  to?: unknown;
}

const escape = (segment: string | number) => String(segment).replaceAll('~', '~0').replaceAll('/', '~1');

export function jsonPointer(path: ReadonlyArray<string | number>): string {
  return path.map((segment) => `/${escape(segment)}`).join('');
}

const isContainer = (value: unknown): value is Record<string, unknown> | unknown[] => value !== null && typeof value === 'object';

/** The changes that turn `from` into `to`, in document order; none when they are equal. */
export function diffPolicies(from: unknown, to: unknown): PolicyChange[] {
  if (!isContainer(from) || !isContainer(to) || Array.isArray(from) !== Array.isArray(to)) {
    return Object.is(from, to) ? [] : [{ pointer: '', change: 'changed', from, to }];
  }
  return microdiff(from, to).map((d) => {
    const pointer = jsonPointer(d.path);
    if (d.type === 'CREATE') return { pointer, change: 'added', to: d.value };
    if (d.type === 'REMOVE') return { pointer, change: 'removed', from: d.oldValue };
    return { pointer, change: 'changed', from: d.oldValue, to: d.value };
  });
}
