/**
 * The `run(fn)` both Deferred concurrency primitives share (Twisted's `_ConcurrencyPrimitive.run`).
 *
 * @module
 */
import { whenAbandonedWorkEnds, type Deferred, type ChainResult } from './deferred.js';
import { Failure } from './failure.js';
import { maybeDeferred } from './maybe-deferred.js';
import { reportUnhandledFailure } from './unhandled-error-handler.js';

/** Something held between `acquire()` and `release()`: a DeferredLock or a DeferredSemaphore. */
export interface Acquirable {
  /** Waits for the primitive. */
  acquire(): Deferred<unknown>;
  /** Gives it back. */
  release(): void;
}

/**
 * Runs `fn(...args)` while holding `primitive`, releasing it once `fn`'s result settles, either way.
 *
 * Cancelled while `fn`'s work cannot be stopped (it returned a Promise, or a Deferred with no canceller, which
 * `cancel()` fails at once with `CancelledError`), the primitive stays held until that work ends (the Promise
 * settles, the Deferred's one late firing comes): released at the cancellation, a lock let the next `run()` in
 * beside a `fn` still running, so what it guards was no longer exclusive.
 *
 * @param primitive - the lock or semaphore to hold.
 * @param fn - the function; may return a value, a Promise or a Deferred, or throw.
 * @param args - its arguments.
 * @returns a Deferred of `fn`'s outcome.
 */
export function runWhileHeld<A extends unknown[], R>(primitive: Acquirable, fn: (...args: A) => R, args: A): Deferred<ChainResult<R>> {
  return primitive.acquire().addCallback(() => {
    const work = maybeDeferred(fn, ...args);
    return work.addBoth((result) => {
      if (!whenAbandonedWorkEnds(work, () => releaseLate(primitive))) primitive.release();
      return result;
    });
  });
}

/**
 * Release when a cancelled `fn`'s work ended: from the late firing or a Promise reaction, where a throw (a
 * primitive released meanwhile by hand: misuse) has nobody to go to, so it is reported as unhandled.
 */
function releaseLate(primitive: Acquirable): void {
  try {
    primitive.release();
  } catch (error) {
    reportUnhandledFailure(new Failure(error));
  }
}
