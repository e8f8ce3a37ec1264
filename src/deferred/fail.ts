/**
 * `fail`: a Deferred that already failed.
 *
 * @module
 */
import { Deferred } from './deferred.js';

/**
 * A Deferred already failed with `reason` (Twisted's `defer.fail`).
 *
 * For APIs that return a Deferred and detect an error up front: report it through the Deferred instead of
 * throwing, so callers handle every error in one place.
 *
 * @param reason - the error or `Failure`; omitted, a generic `Error`.
 * @returns a failed Deferred.
 * @example
 * ```ts
 * if (!valid) return fail(new TypeError('Expected `x` to be a number'));
 * ```
 */
export function fail<T = never>(reason?: unknown): Deferred<T> {
  const d = new Deferred<T>();
  d.errback(reason);
  return d;
}
