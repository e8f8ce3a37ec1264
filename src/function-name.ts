/**
 * `functionName`: a function's `name` for messages and reports, without ever throwing.
 *
 * @module
 */

/**
 * The `name` of `fn` when it is a non-empty string, else `fallback`. Reading `name` runs user code for a function
 * with a `name` getter or a Proxy of a function (a revoked one throws from every trap); the code describing such a
 * function in a report or an error message (a failing shutdown trigger, a generator function that returned no
 * generator) runs where a throw would escape (out of `stop()`'s trigger phase, out of an API that must errback).
 *
 * @param fn - the function (any value: nothing is assumed of it).
 * @param fallback - what to say when it has no usable name, or reading it throws.
 * @returns its name, or `fallback`.
 * @example
 * ```ts
 * functionName(() => undefined, 'anonymous'); // 'anonymous'
 * ```
 */
export function functionName(fn: unknown, fallback: string): string {
  try {
    const name = (fn as { name?: unknown }).name;
    return typeof name === 'string' && name !== '' ? name : fallback;
  } catch {
    return fallback;
  }
}
