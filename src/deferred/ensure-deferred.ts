/**
 * `ensureDeferred`: anything awaitable as a Deferred.
 *
 * @module
 */
import { Deferred, isDeferred } from './deferred.js';
import { driveGenerator } from './drive-generator.js';
import { fail } from './fail.js';
import { safeString } from '../safe-string.js';
import { isGenerator } from './is-generator.js';
import { isThenable } from '../is-thenable.js';

/**
 * Convert a Deferred, Promise, thenable or generator object into a Deferred (Twisted's `ensureDeferred`).
 *
 * Use it at the boundary where async/await code or a running generator meets Deferred-based code. A Deferred
 * is returned as it is; a Promise or thenable is followed; a generator object is driven like `inlineCallbacks`.
 *
 * @param value - a Deferred, a Promise/thenable or a generator object.
 * @returns a Deferred of its outcome.
 * @throws TypeError for anything else.
 * @example
 * ```ts
 * ensureDeferred(fetchJson(url)).addTimeout(5_000).addErrback(report);
 * ```
 */
export function ensureDeferred<T>(value: PromiseLike<T> | Generator<unknown, T, any>): Deferred<Awaited<T>> {
  if (isDeferred(value)) return value as Deferred<Awaited<T>>; // a brand check: `instanceof` would run a Proxy's trap
  let thenable: boolean;
  let generator: boolean;
  try {
    thenable = isThenable(value);
    generator = !thenable && isGenerator(value);
  } catch (error) {
    return fail(error); // a `then`/`next`/`throw` getter threw (user code): as `Promise.resolve(value)` rejects
  }
  if (thenable) return Deferred.fromPromise(value as PromiseLike<Awaited<T>>);
  if (generator) return driveGenerator(value as Generator<unknown, T, any>);
  throw new TypeError(
    `Expected \`value\` to be a Deferred, a Promise or thenable, or a generator object, got \`${safeString(value)}\` (${typeof value})`,
  );
}

