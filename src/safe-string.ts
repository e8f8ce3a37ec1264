/**
 * `safeString`: `String(value)` for error messages, without ever throwing.
 *
 * @module
 */

/**
 * Convert any value to a string for an error message. `String(value)` throws for an object without a primitive
 * conversion (`Object.create(null)`, a throwing `toString`); an API that must errback rather than throw on bad input
 * cannot let building the message throw, so this falls back to `Object.prototype.toString`.
 *
 * @param value - anything.
 * @returns `String(value)`, or `[object Object]`-style text when that throws.
 * @example
 * ```ts
 * safeString(Object.create(null)); // '[object Object]'
 * ```
 */
export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return `[${typeof value}]`;
    }
  }
}
