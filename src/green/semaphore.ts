/**
 * `Semaphore`: counted tokens greenlets wait for (gevent's `Semaphore`).
 *
 * @module
 */
import { inspect } from 'node:util';
import { Deferred, type ChainResult } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
import { maybeDeferred } from '../deferred/maybe-deferred.js';
import { succeed } from '../deferred/succeed.js';
import { getDefaultHub } from './default-hub.js';
import type { Hub } from './hub.js';
import { badTimeout } from './bad-timeout.js';
import { WaiterList } from './waiter-list.js';
import { describeValue } from '../describe-value.js';

/**
 * A counter of free tokens; `acquire` takes one or waits (FIFO), `release` gives one back.
 *
 * Why not `DeferredSemaphore`: gevent's semaphore may start at 0 and may be released past its start value (a
 * signalling pattern), and its `acquire` takes a timeout and answers with a boolean — `DeferredSemaphore` refuses
 * both by contract. {@link BoundedSemaphore} adds the over-release check.
 *
 * @example
 * ```ts
 * const sem = new Semaphore(2);
 * hub.spawn(function* () { if (yield sem.acquire(100)) { try { yield work(); } finally { sem.release(); } } });
 * ```
 */
export class Semaphore {
  #counter: number;
  // A token served to a greenlet killed before it ran again is handed on (gevent: a killed waiter never consumes).
  readonly #waiters = new WaiterList<boolean>(() => this.#handOn());
  readonly #hub: Hub | undefined;

  /**
   * @param value - the tokens free at the start (an integer >= 0).
   * @param hub - whose clock times `acquire` timeouts; default: the default reactor's hub.
   * @throws RangeError when `value` is negative or not an integer.
   */
  constructor(value = 1, hub?: Hub) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`Expected \`value\` to be an integer >= 0, got ${describeValue(value)}`);
    }
    this.#counter = value;
    this.#hub = hub;
  }

  /** The tokens free right now. */
  get counter(): number {
    return this.#counter;
  }

  /** @returns true while no token is free. */
  locked(): boolean {
    return this.#counter <= 0;
  }

  /**
   * Take a token.
   *
   * A greenlet waiting on the Deferred that is killed (or timed out) after the token was handed to it but before
   * it ran again never holds it: the token passes to the next waiter, or back (gevent's rule). Callbacks added to
   * the Deferred besides the greenlet's own wait do not change that; use {@link Semaphore.run} to hold the token
   * from a callback.
   *
   * @param timeoutMs - give up after this long (hub clock).
   * @returns a Deferred firing `true` once the caller holds a token (at once when one is free), `false` on timeout.
   */
  acquire(timeoutMs?: number): Deferred<boolean> {
    return this.#acquire(timeoutMs, true);
  }

  /**
   * Give a token back: the longest waiter gets it now, else the counter grows. Should that waiter's greenlet be
   * killed (or timed out) before it runs again, the token passes on to the next waiter, or back to the counter.
   * Called from a callback on an `acquire()` whose greenlet such a kill gave the token back for, it does nothing:
   * that token is back already (one token comes back once).
   */
  release(): void {
    if (!this.#waiters.releasing()) return; // the kill of the waiter whose callback this is gave its token back
    this.checkRelease();
    this.#handOn();
  }

  /**
   * Refuse a release before it is carried out (a subclass's bound); one that is the token a kill already gave back
   * never gets here.
   * @throws whatever the subclass's rule throws.
   */
  protected checkRelease(): void {}

  /**
   * Run `fn()` holding a token; the token is released once its result settles, either way.
   *
   * @param fn - returns a value, a Promise or a Deferred, or throws.
   * @returns a Deferred of `fn`'s outcome; errbacking `TypeError` at once, without a token, when `fn` is not a function.
   */
  run<R>(fn: () => R): Deferred<ChainResult<R>> {
    if (typeof fn !== 'function') {
      return fail(new TypeError(`Expected \`fn\` to be a function, got \`${inspect(fn)}\` (${typeof fn})`)); // before taking a token
    }
    return this.#acquire(undefined, false).addCallback(() =>
      maybeDeferred(fn).addBoth((result) => {
        this.release();
        return result;
      }),
    );
  }

  /** @param refundable - false when the caller's own callback takes the token (see {@link WaiterList.add}). */
  #acquire(timeoutMs: number | undefined, refundable: boolean): Deferred<boolean> {
    const bad = badTimeout<boolean>(timeoutMs);
    if (bad !== null) return bad;
    if (this.#counter > 0 && this.#waiters.length === 0) {
      this.#counter--;
      return succeed(true);
    }
    return this.#waiters.add(undefined, timeoutMs, () => this.#hub ?? getDefaultHub(), () => ({ value: false }), refundable);
  }

  #handOn(): void {
    if (!this.#waiters.serve(true)) this.#counter++;
  }
}
