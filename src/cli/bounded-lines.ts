/**
 * `boundedLines`: the first lines of a long list for people to read, and one line saying how many more there are.
 *
 * @module
 */

/**
 * Formats at most `max` items of `items`, then, if any are left out, one line from `rest(count left out)`.
 *
 * Why: what people read (a `policy check` listing, a `PolicyConfigError`'s message) must stay readable whatever the
 * input: a generated policy file with 100,000 bad rules has 200,000 issues, 25 MB of text nobody reads to the end,
 * written to a terminal or kept in every log line of the error. The full list stays where tools read it (`--json`,
 * `error.issues`); `rest` should say where.
 *
 * @param items - the list.
 * @param max - the most items formatted (an integer ≥ 0).
 * @param line - formats one item.
 * @param rest - the line standing for the items left out, given how many.
 * @returns at most `max + 1` lines.
 * @example
 * ```ts
 * boundedLines(['a', 'b', 'c'], 2, (s) => s, (n) => `… and ${n} more`); // ['a', 'b', '… and 1 more']
 * ```
 */
export function boundedLines<T>(items: readonly T[], max: number, line: (item: T, index: number) => string, rest: (more: number) => string): string[] {
  const lines = items.slice(0, max).map(line);
  if (items.length > max) lines.push(rest(items.length - max));
  return lines;
}
