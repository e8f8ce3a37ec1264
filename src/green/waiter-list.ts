/**
 * FIFO waiters with optional timeouts, shared by the green primitives.
 *
 * @module
 */
import { inspect } from 'node:util';
import { Deferred } from '../deferred/deferred.js';
import type { DelayedCall } from '../time/scheduler.js';
import { newHubWait, type Hub } from './hub.js';

/**
 * A FIFO of Deferreds waiting for something (a set Event, a free token, an item, room in a queue).
 *
 * Why one class: every primitive needs the same three rules — serve waiters in arrival order, drop a waiter whose
 * Deferred was cancelled, and on timeout take the waiter out and fire it with the primitive's timeout outcome.
 *
 * @typeParam T - what a waiter receives.
 * @typeParam D - data kept with each waiter (a queued item for blocked putters).
 */
export class WaiterList<T, D = undefined> {
  #items: Array<{ d: Deferred<T>; data: D; timer: DelayedCall | null }> = [];
  #head = 0;

  /** How many are waiting. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Add a waiter.
   *
   * @param data - kept with the waiter, handed back by {@link WaiterList.shift}.
   * @param timeoutMs - fire `onTimeout()` after this long (`undefined`: never).
   * @param hub - the hub whose clock times the timeout and whose current greenlet waits.
   * @param onTimeout - the outcome on timeout: a value, or `{ error }` to errback.
   * @returns the waiter's Deferred (a hub wait); cancelling it, or killing the greenlet waiting on it, removes the waiter.
   */
  add(data: D, timeoutMs: number | undefined, hub: () => Hub, onTimeout: () => { value: T } | { error: unknown }): Deferred<T> {
    const h = hub();
    const drop = (): void => {
      this.#remove(entry);
      if (entry.timer !== null) entry.timer.cancel();
    };
    const entry: { d: Deferred<T>; data: D; timer: DelayedCall | null } = {
      d: newHubWait<T>(h, drop, drop), // cancelled, or its greenlet killed: the waiter leaves the line
      data,
      timer: null,
    };
    this.#items.push(entry);
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
    if (this.#head >= this.#items.length) return undefined;
    const entry = this.#items[this.#head]!;
    this.#items[this.#head] = undefined as never;
    this.#head++;
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (entry.timer !== null) entry.timer.cancel();
    return entry;
  }

  #remove(entry: object): void {
    const i = this.#items.indexOf(entry as never, this.#head);
    if (i !== -1) this.#items.splice(i, 1);
  }
}

/**
 * Validate an optional timeout the way every green waiting method does.
 * @returns a failed Deferred for a bad value, else null.
 */
export function badTimeout<T>(timeoutMs: unknown): Deferred<T> | null {
  if (timeoutMs === undefined || (typeof timeoutMs === 'number' && timeoutMs >= 0)) return null;
  const d = new Deferred<T>();
  d.errback(new TypeError(`Expected \`timeoutMs\` to be a number >= 0, got \`${inspect(timeoutMs)}\` (${typeof timeoutMs})`));
  return d;
}
