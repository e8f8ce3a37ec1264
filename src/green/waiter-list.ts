/**
 * FIFO waiters with optional timeouts, shared by the green primitives.
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import { FifoLine } from '../deferred/fifo-line.js';
import type { DelayedCall } from '../time/scheduler.js';
import { newHubWait, type Hub } from './hub.js';
import { takerRunning, type HubWait } from './hub-wait.js';

/** One waiter: its Deferred, its data, its timeout, and what {@link WaiterList.serve} handed it. */
interface Waiter<T, D> {
  d: HubWait<T>;
  data: D;
  timer: DelayedCall | null;
  served: boolean;
  value: T | undefined;
  /** Whether what it was served came back: by the kill of its greenlet (`onRefused`), or released by its callbacks. */
  back: 'no' | 'refunded' | 'released';
}

/**
 * A FIFO of Deferreds waiting for something (a set Event, a free token, an item, room in a queue).
 *
 * Why one class: every primitive needs the same four rules — serve waiters in arrival order, drop a waiter whose
 * Deferred was cancelled, on timeout take the waiter out and fire it with the primitive's timeout outcome, and
 * never let a dead greenlet consume: what {@link WaiterList.serve} handed to a greenlet that is killed before it
 * ran again (gevent's rule, SPEC §6.1) comes back through the list's `onRefused`, so the primitive hands it to its
 * next waiter or takes it back.
 *
 * @typeParam T - what a waiter receives.
 * @typeParam D - data kept with each waiter (a queued item for blocked putters).
 */
export class WaiterList<T, D = undefined> {
  /** The line (the Deferred family's: O(1) take and removal, so a timeout storm on a long line stays linear). */
  readonly #line = new FifoLine<Waiter<T, D>>();
  readonly #onRefused: ((value: T) => void) | null;
  readonly #callbacksTake: boolean;
  /** The served waiters that may give back what they got, by their wait (see {@link WaiterList.releasing}). */
  readonly #served = new WeakMap<HubWait<unknown>, Waiter<T, D>>();

  /**
   * @param onRefused - takes back a value {@link WaiterList.serve} handed to a greenlet that was killed (or timed
   *   out by its caller) before it ran again; omit it when serving consumes nothing (an Event, a result).
   * @param callbacksTake - true when the value served is the thing itself (a `Queue` item): once a callback the
   *   greenlet's code gave the wait that takes its value ran with it ({@link HubWait.took}), it is theirs, and a kill
   *   does not give it back (it would be taken twice). False (a token, whose callbacks only see `true`): it goes back.
   */
  constructor(onRefused?: (value: T) => void, callbacksTake = false) {
    this.#onRefused = onRefused ?? null;
    this.#callbacksTake = callbacksTake;
  }

  /** How many are waiting. */
  get length(): number {
    return this.#line.size;
  }

  /**
   * Add a waiter.
   *
   * @param data - kept with the waiter, handed back by {@link WaiterList.shift}.
   * @param timeoutMs - fire `onTimeout()` after this long (`undefined`: never).
   * @param hub - the hub whose clock times the timeout and whose current greenlet waits.
   * @param onTimeout - the outcome on timeout: a value, or `{ error }` to errback.
   * @param refundable - false when the caller's own callback takes what is served (`Semaphore.run`): then it is
   *   consumed at once and nothing goes back to `onRefused`.
   * @returns the waiter's Deferred (a hub wait); cancelling it, or killing the greenlet waiting on it, removes the waiter.
   */
  add(
    data: D,
    timeoutMs: number | undefined,
    hub: () => Hub,
    onTimeout: () => { value: T } | { error: unknown },
    refundable = true,
  ): Deferred<T> {
    const h = hub();
    const drop = (): void => {
      this.#remove(entry);
      if (entry.timer !== null) entry.timer.cancel();
    };
    const abandoned = (): void => {
      if (!entry.served) drop(); // its greenlet was killed while waiting: the waiter leaves the line
      else if (refundable && this.#onRefused !== null && !(this.#callbacksTake && entry.d.took) && entry.back === 'no') {
        entry.back = 'refunded';
        this.#onRefused(entry.value as T); // killed when served, before it ran (and no callback of its took it or gave it back)
      }
    };
    const entry: Waiter<T, D> = {
      d: newHubWait<T>(h, drop, abandoned), // cancelled: the waiter leaves the line
      data,
      timer: null,
      served: false,
      value: undefined,
      back: 'no',
    };
    this.#line.push(entry);
    if (timeoutMs !== undefined) {
      entry.timer = h.clock.callLater(timeoutMs, () => {
        entry.timer = null;
        this.#remove(entry);
        const outcome = onTimeout();
        if ('error' in outcome) entry.d.errback(outcome.error);
        else entry.d.callback(outcome.value);
      });
    }
    return entry.d;
  }

  /**
   * Take the oldest waiter out (its timer is cancelled); the caller fires its Deferred.
   * @returns the waiter's Deferred and data, or `undefined` when none waits.
   */
  shift(): { d: Deferred<T>; data: D } | undefined {
    return this.#next();
  }

  /**
   * Like {@link WaiterList.shift}, only when the oldest waiter's data passes `test`; else it stays first in line,
   * its timeout running.
   * @param test - decides on the oldest waiter's data.
   * @returns the waiter's Deferred and data, or `undefined` when none waits or the oldest does not pass.
   */
  shiftIf(test: (data: D) => boolean): { d: Deferred<T>; data: D } | undefined {
    const entry = this.#line.shift();
    if (entry === undefined) return undefined;
    if (!test(entry.data)) {
      this.#line.unshift(entry);
      return undefined;
    }
    if (entry.timer !== null) entry.timer.cancel();
    return entry;
  }

  /**
   * Hand `value` to the oldest waiter (its Deferred fires with it). Should its greenlet be killed before it runs
   * again, `value` goes to the list's `onRefused`.
   *
   * @param value - what the waiter receives.
   * @returns false when nobody waits.
   */
  serve(value: T): boolean {
    const entry = this.#next();
    if (entry === undefined) return false;
    entry.served = true;
    entry.value = value;
    if (this.#onRefused !== null) this.#served.set(entry.d, entry);
    entry.d.callback(value);
    return true;
  }

  /**
   * A token is being given back (`Semaphore.release()`): when a callback of the caller's code on a wait this list
   * served runs right now ({@link takerRunning}), it is that waiter's token, which can come back only once — by
   * that release or by the kill of its greenlet before it ran again (`onRefused`), whichever comes first.
   *
   * Why: `sem.acquire().addCallback(() => sem.release())` in a greenlet killed before it ran again would otherwise
   * give its token back twice (the release, then the kill): a `Lock` held by two greenlets at once.
   *
   * @returns false when the kill already gave that token back: this release is the same token and must do
   *   nothing; true for any other release, which the caller carries out.
   */
  releasing(): boolean {
    const d = takerRunning();
    const entry = d === null ? undefined : this.#served.get(d);
    if (entry === undefined || entry.back === 'released') return true;
    const first = entry.back === 'no';
    entry.back = 'released';
    return first;
  }

  #next(): Waiter<T, D> | undefined {
    const entry = this.#line.shift();
    if (entry === undefined) return undefined;
    if (entry.timer !== null) entry.timer.cancel();
    return entry;
  }

  #remove(entry: Waiter<T, D>): void {
    this.#line.remove(entry);
  }
}
