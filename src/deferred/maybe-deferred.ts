/**
 * `maybeDeferred`: call a function and always get a Deferred back.
 *
 * @module
 */
import { Deferred, isDeferred } from './deferred.js';
import { fail } from './fail.js';
import { type Failure, isFailure } from './failure.js';
import { isThenable } from '../is-thenable.js';

/**
 * Call `fn(...args)` and wrap whatever happens in a Deferred (Twisted's `defer.maybeDeferred`).
 *
 * Lets code accept callbacks that may be synchronous, Promise-returning or Deferred-returning, and may throw:
 * a thrown error becomes a failed Deferred; a returned Deferred is returned as it is; a returned `Failure` fails
 * the Deferred; a Promise or thenable is followed; anything else is the success result.
 *
 * @param fn - the function to call.
 * @param args - its arguments.
 * @returns a Deferred of the function's outcome.
 * @example
 * ```ts
 * maybeDeferred(JSON.parse, text).addErrback((f) => { f.trap(SyntaxError); return null; });
 * ```
 */
export function maybeDeferred<A extends unknown[], R>(
  fn: (...args: A) => R,
  ...args: A
): Deferred<Exclude<Awaited<R>, Failure>> {
  type Out = Exclude<Awaited<R>, Failure>;
  let result: unknown;
  try {
    result = fn(...args);
  } catch (error) {
    const d = new Deferred<Out>();
    d.errback(error);
    return d;
  }
  if (isDeferred(result)) return result as Deferred<Out>; // a brand check: `instanceof` would run a Proxy's trap
  let thenable: boolean;
  try {
    thenable = isThenable(result);
  } catch (error) {
    return fail(error); // its `then` getter threw (user code): a failure, as a Promise resolved with it rejects
  }
  if (thenable) return Deferred.fromPromise(result as PromiseLike<Out>);
  const d = new Deferred<Out>();
  if (isFailure(result)) d.errback(result);
  else d.callback(result as Out);
  return d;
}
