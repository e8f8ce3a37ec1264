/**
 * `describeValue`: how a validation message shows the value it got — the tail of HOUSE_STYLE's form
 * ``Expected `maxThreads` to be a positive integer, got `0` (number)``, one definition for every message.
 *
 * Why one definition: the form was written out by hand at each check, in four variants (`String(value)`,
 * `safeString(value)`, `inspect(value)`, the bare value; `typeof` or `'null'` for null). The `String(value)` one
 * throws for an object with no primitive conversion (`Object.create(null)`, a throwing `toString`, a revoked Proxy),
 * so building the message throws a different `TypeError` ("Cannot convert object to primitive value") than the one
 * the check meant, and an API that must errback throws instead. This form never throws.
 *
 * @module
 */
import { safeString } from './safe-string.js';

/**
 * The value as a validation message shows it after "got": its text in backticks, then its type in parentheses.
 *
 * @param value - anything, hostile values included (no getter, trap or conversion of it can make this throw).
 * @returns `` `text` (type) ``, the text from {@link safeString} and the type from `typeof`, except `null` for null.
 * @example
 * ```ts
 * throw new TypeError(`Expected \`ms\` to be a number >= 0, got ${describeValue(ms)}`);
 * describeValue(0); // '`0` (number)'
 * describeValue(null); // '`null` (null)'
 * describeValue(Object.create(null)); // '`[object Object]` (object)'
 * ```
 */
export function describeValue(value: unknown): string {
  return `\`${safeString(value)}\` (${value === null ? 'null' : typeof value})`;
}
