/**
 * The `run(fn)` both Deferred concurrency primitives share (Twisted's `_ConcurrencyPrimitive.run`).
 *
 * @module
 */
import type { Deferred, ChainResult } from './deferred.js';
import { maybeDeferred } from './maybe-deferred.js';

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
 * @param primitive - the lock or semaphore to hold.
 * @param fn - the function; may return a value, a Promise or a Deferred, or throw.
 * @param args - its arguments.
 * @returns a Deferred of `fn`'s outcome.
 */
export function runWhileHeld<A extends unknown[], R>(primitive: Acquirable, fn: (...args: A) => R, args: A): Deferred<ChainResult<R>> {
  return primitive.acquire().addCallback(() =>
    maybeDeferred(fn, ...args).addBoth((result) => {
      primitive.release();
      return result;
    }),
  );
}
