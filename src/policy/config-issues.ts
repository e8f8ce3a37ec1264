/**
 * Turns zod's validation issues into greenreactor's `{ path, message }` issues.
 *
 * zod reports an unknown key at its parent and a bad union member at the union; users editing a JSON
 * file want the exact spot. So every issue gets a JSON Pointer (RFC 6901) to the offending value,
 * unknown keys are reported one per key at their own path, and messages follow the house form
 * ``Expected `maxThreads` to be a positive integer, got `0` (number)``.
 *
 * @module
 */
import { z } from 'zod';
import type { PolicyConfigIssue } from '../errors.js';

type Segment = PropertyKey;
type ZodIssue = z.core.$ZodIssue;

/**
 * Encodes a path as a JSON Pointer (`/rules/0/match/task`); the empty path is `""`.
 * @param path - object keys and array indices.
 * @returns the pointer, with `~` and `/` escaped as RFC 6901 requires.
 */
export function toJsonPointer(path: readonly Segment[]): string {
  return path.map((s) => '/' + String(s).replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

/**
 * Converts every zod issue about `input` into one or more config issues, in zod's order.
 * @param issues - `error.issues` from a failed `safeParse`.
 * @param input - the value that was validated (to quote offending values).
 * @param schema - the schema that was used (to list allowed keys).
 * @returns the issues with JSON Pointer paths and house-style messages.
 */
export function toConfigIssues(issues: readonly ZodIssue[], input: unknown, schema: z.ZodType): PolicyConfigIssue[] {
  const out: PolicyConfigIssue[] = [];
  for (const issue of issues) convert(issue, [], input, schema, out);
  return out;
}

function convert(issue: ZodIssue, base: readonly Segment[], input: unknown, schema: z.ZodType, out: PolicyConfigIssue[]): void {
  const path = [...base, ...issue.path];
  const value = valueAt(input, path);
  const subject = label(path);
  const got = describeValue(value);
  if (value === undefined && path.length > 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) {
    out.push({ path: toJsonPointer(path), message: `Missing required key ${subject}` });
    return;
  }
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(schemaAt(schema, path));
      const hint = allowed.length > 0 ? `; expected one of ${allowed.map((k) => `\`${k}\``).join(', ')}` : '';
      for (const key of issue.keys) out.push({ path: toJsonPointer([...path, key]), message: `Unknown key \`${key}\` in ${subject}${hint}` });
      return;
    }
    case 'invalid_union': {
      // Report the member that has the input's type (an array given to `kind: Kind | Kind[]`) precisely.
      const fitting = issue.errors.filter(
        (branch) => !branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')),
      );
      if (fitting.length === 1 && fitting[0] !== undefined) {
        for (const inner of fitting[0]) convert(inner, path, input, schema, out);
        return;
      }
      const options = new Set(issue.errors.flatMap((branch) => branch.flatMap((i) => (i.code === 'invalid_value' ? i.values : []))));
      const list = [...options].map((v) => `\`${String(v)}\``).join(', ');
      out.push({ path: toJsonPointer(path), message: `Expected ${subject} to be one of ${list} or a non-empty array of them, got ${got}` });
      return;
    }
    case 'invalid_type': {
      out.push({ path: toJsonPointer(path), message: `Expected ${subject} to be ${article(issue.expected)}, got ${got}` });
      return;
    }
    case 'too_small': {
      const isInt = isIntSchema(schemaAt(schema, path));
      const what =
        issue.origin === 'array'
          ? 'a non-empty array'
          : issue.origin === 'string'
            ? 'a non-empty string'
            : Number(issue.minimum) === 1 && isInt
              ? 'a positive integer'
              : Number(issue.minimum) === 0
                ? isInt
                  ? 'a non-negative integer'
                  : 'a non-negative number'
                : `${isInt ? 'an integer' : 'a number'} ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`;
      out.push({ path: toJsonPointer(path), message: `Expected ${subject} to be ${what}, got ${got}` });
      return;
    }
    case 'too_big':
      out.push({ path: toJsonPointer(path), message: `Expected ${subject} to be at most ${String(issue.maximum)}, got ${got}` });
      return;
    case 'invalid_key': {
      // A record's key (a pool's name under `pools`): the path ends with it.
      const key = path.at(-1);
      out.push({ path: toJsonPointer(path), message: `Expected each key of ${label(path.slice(0, -1))} to be a non-empty string, got \`${JSON.stringify(String(key))}\`` });
      return;
    }
    case 'invalid_value':
      out.push({
        path: toJsonPointer(path),
        message: `Expected ${subject} to be one of ${issue.values.map((v) => `\`${String(v)}\``).join(', ')}, got ${got}`,
      });
      return;
    default:
      out.push({ path: toJsonPointer(path), message: issue.message });
  }
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'object' || expected === 'array') return `an ${expected}`;
  return `a ${expected}`;
}

/** `maxThreads`, `rules[0]`, `kind[1]`, or "the policy config" for the root. */
function label(path: readonly Segment[]): string {
  let i = path.length - 1;
  while (i >= 0 && typeof path[i] === 'number') i -= 1;
  if (i < 0) return path.length === 0 ? 'the policy config' : `\`[${path.map(String).join('][')}]\``;
  const indices = path.slice(i + 1).map((s) => `[${String(s)}]`).join('');
  return `\`${String(path[i])}${indices}\``;
}

function describeValue(value: unknown): string {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  let text: string;
  if (typeof value === 'number' || typeof value === 'bigint' || value === undefined) text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? typeof value;
    } catch {
      text = type;
    }
  }
  if (text.length > 60) text = `${text.slice(0, 57)}...`;
  return `\`${text}\` (${type})`;
}

function valueAt(input: unknown, path: readonly Segment[]): unknown {
  let current = input;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s;
}

function schemaAt(root: z.ZodType, path: readonly Segment[]): z.ZodType | undefined {
  let s = unwrap(root);
  for (const segment of path) {
    if (s instanceof z.ZodUnion) s = unwrap((s.options as z.ZodType[]).find((o) => unwrap(o) instanceof z.ZodArray));
    if (s instanceof z.ZodObject) s = unwrap((s.shape as Record<string, z.ZodType>)[String(segment)]);
    else if (s instanceof z.ZodArray) s = unwrap(s.element as z.ZodType);
    else return undefined;
  }
  return s;
}

function allowedKeys(schema: z.ZodType | undefined): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function isIntSchema(schema: z.ZodType | undefined): boolean {
  return schema instanceof z.ZodNumber && schema.isInt === true;
}
