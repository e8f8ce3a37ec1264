/**
 * `DeferredSemaphore`: limit how many Deferred-returning sections run at once.
 *
 * @module
 */
import { Deferred, type ChainResult } from './deferred.js';
import { FifoLine } from './fifo-line.js';
import { fireHandedOver, handOver, takeWaiter } from './hand-over.js';
import { runWhileHeld } from './run-while-held.js';
import { safeString } from '../safe-string.js';

/**
 * A semaphore whose `acquire()` returns a Deferred (Twisted's `DeferredSemaphore`).
 *
 * Use it to cap concurrency (at most `limit` requests in flight): `acquire()` fires at once while tokens are
 * left, else in FIFO order as holders release. Cancelling a pending `acquire()` leaves the queue; cancelling
 * one already granted does nothing.
 *
 * @example
 * ```ts
 * const sem = new DeferredSemaphore(4);
 * const pages = urls.map((url) => sem.run(fetchPage, url)); // at most 4 fetches at a time
 * ```
 */
export class DeferredSemaphore {
  /** The number of tokens when none is held. */
  readonly limit: number;
  #tokens: number;
  readonly #waiting = new FifoLine<Deferred<DeferredSemaphore>>();
  /** A waiter handed a token no longer waits (its user fired it): release again, to the next one or back. */
  readonly #releaseAgain = (): void => this.release();

  /**
   * @param tokens - how many holders may hold it at once (an integer ≥ 1).
   * @throws RangeError when `tokens` is not an integer ≥ 1.
   */
  constructor(tokens: number) {
    if (!Number.isInteger(tokens) || tokens < 1) {
      throw new RangeError(`Expected \`tokens\` to be a positive integer, got \`${safeString(tokens)}\` (${typeof tokens})`);
    }
    this.limit = tokens;
    this.#tokens = tokens;
  }

  /** The tokens free right now. */
  get tokens(): number {
    return this.#tokens;
  }

  /** True while no token is free. */
  get locked(): boolean {
    return this.#tokens === 0;
  }

  /**
   * Ask for a token.
   *
   * @returns a Deferred firing with this semaphore once the caller holds a token.
   */
  acquire(): Deferred<DeferredSemaphore> {
    const d = new Deferred<DeferredSemaphore>((pending) => this.#cancelAcquire(pending));
    if (this.#tokens > 0) {
      this.#tokens--;
      d.callback(this);
    } else {
      this.#waiting.push(d);
    }
    return d;
  }

  /**
   * Give a token back; the next waiter (if any) gets it now.
   *
   * Its Deferred fires before this returns, except when `release()` is called from the handlers of another waiter
   * being fired: then it fires right after those handlers return (`hand-over.ts`).
   *
   * @throws RangeError when releasing would exceed `limit`.
   */
  release(): void {
    if (this.#tokens >= this.limit) {
      throw new RangeError(`Tried to release a DeferredSemaphore past its limit of ${this.limit}`);
    }
    const next = takeWaiter(this.#waiting);
    if (next === undefined) this.#tokens++;
    else handOver(next, this, this.#releaseAgain); // fired now, or after the handlers being fired (hand-over.ts)
  }

  /**
   * Run `fn(...args)` while holding a token, releasing it once `fn`'s result settles, either way.
   *
   * @param fn - the function; may return a value, a Promise or a Deferred, or throw.
   * @param args - its arguments.
   * @returns a Deferred of `fn`'s outcome.
   */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Deferred<ChainResult<R>> {
    return runWhileHeld(this, fn, args);
  }

  #cancelAcquire(pending: Deferred<DeferredSemaphore>): void {
    if (fireHandedOver(pending)) return; // granted, not fired yet: it fires with the grant
    this.#waiting.remove(pending);
  }
}
