/**
 * `DeferredLock`: mutual exclusion for Deferred-returning code.
 *
 * @module
 */
import { Deferred, type ChainResult } from './deferred.js';
import { FifoLine } from './fifo-line.js';
import { fireHandedOver, handOver, takeWaiter } from './hand-over.js';
import { runWhileHeld } from './run-while-held.js';

/**
 * A lock whose `acquire()` returns a Deferred (Twisted's `DeferredLock`).
 *
 * Serialises asynchronous sections without blocking: the Deferred fires at once when the lock is free, else when
 * the holders before it have released it (FIFO). Cancelling a pending `acquire()` leaves the queue; cancelling
 * one already granted does nothing (the holder must still `release()`).
 *
 * @example
 * ```ts
 * const lock = new DeferredLock();
 * lock.run(() => writeFile(path, data)); // runs after earlier holders released
 * ```
 */
export class DeferredLock {
  #locked = false;
  readonly #waiting = new FifoLine<Deferred<DeferredLock>>();
  /** A waiter handed the lock no longer waits (its user fired it): release again, to the next one or back. */
  readonly #releaseAgain = (): void => this.release();

  /** True while someone holds the lock. */
  get locked(): boolean {
    return this.#locked;
  }

  /**
   * Ask for the lock.
   *
   * @returns a Deferred firing with this lock once it is held by the caller.
   */
  acquire(): Deferred<DeferredLock> {
    const d = new Deferred<DeferredLock>((pending) => this.#cancelAcquire(pending));
    if (this.#locked) {
      this.#waiting.push(d);
    } else {
      this.#locked = true;
      d.callback(this);
    }
    return d;
  }

  /**
   * Give the lock up; the next waiter (if any) gets it now.
   *
   * Its Deferred fires before this returns, except when `release()` is called from the handlers of another waiter
   * being fired: then it fires right after those handlers return, so a long line of waiters that release at once
   * runs in a loop, not nested (`hand-over.ts`).
   *
   * @throws RangeError when the lock is not held.
   */
  release(): void {
    if (!this.#locked) throw new RangeError('Tried to release a DeferredLock that is not locked');
    const next = takeWaiter(this.#waiting);
    if (next === undefined) this.#locked = false;
    else handOver(next, this, this.#releaseAgain); // fired now, or after the handlers being fired (hand-over.ts)
  }

  /**
   * Run `fn(...args)` while holding the lock, releasing it once `fn`'s result settles, either way.
   *
   * @param fn - the function; may return a value, a Promise or a Deferred, or throw.
   * @param args - its arguments.
   * @returns a Deferred of `fn`'s outcome.
   */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Deferred<ChainResult<R>> {
    return runWhileHeld(this, fn, args);
  }

  #cancelAcquire(pending: Deferred<DeferredLock>): void {
    if (fireHandedOver(pending)) return; // granted, not fired yet: it fires with the grant
    this.#waiting.remove(pending);
  }
}
