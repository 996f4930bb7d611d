/**
 * How large a policy document may be: how deep its conditions nest, how many conditions and rules
 * it holds, and how many bytes of JSON it is. Checked on the raw document before the zod schema
 * reads it, without recursion, so that a condition nested a thousand levels deep is refused with the
 * path of the first condition past the limit instead of exhausting the stack in the recursive
 * condition schema (and every decision after it evaluating it).
 */

/** A condition in a rule's `when` is at depth 1; each `all`, `any` or `not` adds one. */
export const MAX_CONDITION_DEPTH = 32;
/** Conditions in all the rules of one document together. */
export const MAX_CONDITIONS = 1000;
export const MAX_RULES = 200;
/** The document as JSON (UTF-16 code units of its compact form, close to bytes for this text). */
export const MAX_DOCUMENT_BYTES = 256 * 1024;

export interface LimitIssue {
  path: Array<string | number>;
  message: string;
}

type Pending = { value: unknown; path: Array<string | number>; depth: number };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The conditions nested directly in one condition, with their paths, in document order. */
function childrenOf(condition: Pending): Pending[] {
  if (!isObject(condition.value)) return [];
  const children: Pending[] = [];
  const depth = condition.depth + 1;
  for (const key of ['all', 'any'] as const) {
    const list = condition.value[key];
    if (Array.isArray(list)) list.forEach((value, i) => children.push({ value, path: [...condition.path, key, i], depth }));
  }
  if ('not' in condition.value) children.push({ value: condition.value.not, path: [...condition.path, 'not'], depth });
  return children;
}

/** The first condition nested too deep, and the first one past the count, walking every rule in order. */
function conditionIssues(rules: unknown[]): LimitIssue[] {
  const issues: LimitIssue[] = [];
  let count = 0;
  let tooDeep = false;
  // Depth first, left to right: an explicit stack, pushed in reverse.
  const stack: Pending[] = rules
    .map((rule, i) => (isObject(rule) && 'when' in rule ? { value: rule.when, path: ['rules', i, 'when'], depth: 1 } : undefined))
    .filter((p): p is Pending => p !== undefined)
    .reverse();
  while (stack.length > 0) {
    const condition = stack.pop()!;
    if (++count > MAX_CONDITIONS) {
      issues.push({ path: condition.path, message: `a policy may hold at most ${MAX_CONDITIONS} conditions in all its rules together` });
      break;
    }
    if (condition.depth > MAX_CONDITION_DEPTH) {
      if (!tooDeep) issues.push({ path: condition.path, message: `conditions may nest at most ${MAX_CONDITION_DEPTH} deep` });
      tooDeep = true;
      continue;
    }
    const children = childrenOf(condition);
    // A list longer than what is left of the count is refused without reading it all.
    if (count + children.length > MAX_CONDITIONS) {
      issues.push({ path: children[MAX_CONDITIONS - count]!.path, message: `a policy may hold at most ${MAX_CONDITIONS} conditions in all its rules together` });
      break;
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return issues;
}

/** The length of `value` as compact JSON, counted without recursion; stops counting past `limit`. */
export function jsonLength(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let length = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && length <= limit) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      length += 2 + Math.max(0, v.length - 1);
      for (const item of v) stack.push(item === undefined ? null : item);
    } else if (isObject(v)) {
      const entries = Object.entries(v).filter(([, item]) => item !== undefined);
      length += 2 + Math.max(0, entries.length - 1);
      for (const [key, item] of entries) {
        length += JSON.stringify(key).length + 1;
        stack.push(item);
      }
    } else {
      length += (JSON.stringify(v) ?? 'null').length;
    }
  }
  return length;
}

/** Every limit the document breaks, each with the path of what broke it; empty when within all. */
export function policyLimitIssues(document: unknown): LimitIssue[] {
  if (!isObject(document)) return [];
  const issues: LimitIssue[] = [];
  const length = jsonLength(document, MAX_DOCUMENT_BYTES);
  if (length > MAX_DOCUMENT_BYTES) issues.push({ path: [], message: `a policy document may be at most ${MAX_DOCUMENT_BYTES} bytes of JSON` });
  const rules = document.rules;
  if (!Array.isArray(rules)) return issues;
  if (rules.length > MAX_RULES) issues.push({ path: ['rules', MAX_RULES], message: `a policy may hold at most ${MAX_RULES} rules` });
  return [...issues, ...conditionIssues(rules.slice(0, MAX_RULES))];
}
