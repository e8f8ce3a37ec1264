/**
 * `handOver`: fire the Deferred a lock, a semaphore token or a queued item was just given to, from one loop.
 *
 * Why: `release()` and `put()` give what they free to the first waiter by firing its Deferred, and that waiter's
 * handlers commonly release or put again at once (`lock.run(fn)` with a synchronous `fn`, a consumer that feeds the
 * queue). Fired directly, each of those nests a whole callback chain inside the previous one, so a thousand waiters
 * overflowed the stack: the waiter being fired failed with `RangeError`, the ones behind it were never fired, and
 * the lock stayed locked for ever. Here the first hand-over in a stack runs a loop; one made while that loop fires a
 * waiter (from inside its handlers) is appended and fired by the loop after the current waiter's handlers return.
 *
 * Invariants: the primitive updates its own state (who holds the lock, the tokens, the stored items) before calling
 * `handOver`, exactly as if the Deferred had fired, so checks such as "release past the limit" stay exact; only the
 * firing waits. Hand-overs fire in the order they were made (FIFO), each exactly once: a waiter cancelled while its
 * hand-over waits gets what it was given at once (cancelling a granted `acquire()`/`get()` does nothing), through
 * {@link fireHandedOver} in the primitive's canceller. A waiter whose user fired its Deferred while its hand-over
 * waited (misuse, as in {@link takeWaiter}) cannot take what it was given: the loop passes it to the primitive's
 * `giveBack` instead (the lock or token released again, the item given to the next getter or put back first in
 * line), so nothing is lost and nothing is thrown. Internal to the Deferred family.
 *
 * @module
 */
import type { Deferred } from './deferred.js';
import type { FifoLine } from './fifo-line.js';

// Triples of slots: the Deferred (null once fired out of turn by `fireHandedOver`), the value it was given, and the
// primitive's `giveBack` for that value.
const pending: unknown[] = [];
let looping = false;

/** What a primitive does with what it handed to a waiter that turned out not to wait any more. */
export type GiveBack<T> = (value: T) => void;

/**
 * Fire `d` with `value`: now, or, when called from inside the handlers of another hand-over, right after them.
 *
 * @param d - the waiter's Deferred, already removed from the primitive's waiters, not fired.
 * @param value - what it was given (never a Deferred: the primitive checks that first).
 * @param giveBack - called with `value` instead, when `d` was fired by its user before its turn came.
 */
export function handOver<T>(d: Deferred<T>, value: T, giveBack: GiveBack<T>): void {
  pending.push(d, value, giveBack);
  if (looping) return;
  looping = true;
  try {
    for (let i = 0; i < pending.length; i += 3) {
      const waiter = pending[i] as Deferred<unknown> | null;
      if (waiter === null) continue;
      pending[i] = null;
      const given = pending[i + 1];
      pending[i + 1] = undefined;
      // Fired by its user while this hand-over waited (it was not when it was taken): it no longer waits.
      if (waiter.called) (pending[i + 2] as GiveBack<unknown>)(given);
      else waiter.callback(given);
    }
  } finally {
    pending.length = 0;
    looping = false;
  }
}

/**
 * For a primitive's canceller: if `d` was handed something and waits for the loop to fire it, fire it now.
 *
 * @param d - the Deferred being cancelled.
 * @returns true when `d` was waiting for its hand-over (it has fired now), false otherwise.
 */
export function fireHandedOver(d: Deferred<any>): boolean {
  for (let i = 0; i < pending.length; i += 3) {
    if (pending[i] === d) {
      pending[i] = null;
      const given = pending[i + 1];
      pending[i + 1] = undefined;
      d.callback(given);
      return true;
    }
  }
  return false;
}

/**
 * Take the first waiter of `line` that still waits, for `release()`/`put()` to hand what it freed to. A waiter whose
 * Deferred its user fired meanwhile (misuse: `cancel()` is the way to stop waiting) no longer waits: handed the
 * lock, a token or an item, its `callback()` would throw and what it was given would be lost (a lock locked for
 * ever, waiters behind it never served). It is dropped from the line instead.
 *
 * @param line - the primitive's waiters.
 * @returns the waiter, or `undefined` when none still waits.
 */
export function takeWaiter<D extends Deferred<any>>(line: FifoLine<D>): D | undefined {
  for (let d = line.shift(); d !== undefined; d = line.shift()) {
    if (!d.called) return d;
  }
  return undefined;
}
