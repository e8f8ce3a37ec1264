/**
 * `succeed`: a Deferred that already has its result.
 *
 * @module
 */
import { Deferred } from './deferred.js';

/**
 * A Deferred already fired with `value` (Twisted's `defer.succeed`).
 *
 * For APIs that return a Deferred but sometimes have the answer at once (a cache hit): handlers added to it run
 * immediately.
 *
 * @param value - the result.
 * @returns a fired Deferred.
 * @throws TypeError when `value` is a Deferred.
 * @example
 * ```ts
 * const cached = succeed(42);
 * cached.addCallback((n) => n + 1); // runs now
 * ```
 */
export function succeed<T>(value: T): Deferred<T> {
  const d = new Deferred<T>();
  d.callback(value);
  return d;
}
