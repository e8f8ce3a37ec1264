/**
 * `DeferredQueue`: a producer/consumer queue whose `get()` returns a Deferred.
 *
 * @module
 */
import { QueueOverflow, QueueUnderflow } from '../errors.js';
import { safeString } from '../safe-string.js';
import { Deferred, isDeferred } from './deferred.js';
import { FifoLine } from './fifo-line.js';
import { fireHandedOver, handOver, takeWaiter } from './hand-over.js';
import { succeed } from './succeed.js';

/**
 * A queue where consumers wait with Deferreds (Twisted's `DeferredQueue`).
 *
 * `put(v)` hands `v` to the longest-waiting `get()` if there is one, else stores it; `get()` fires at once with
 * the oldest stored item, else waits. `size` bounds the stored items and `backlog` the waiting getters; both
 * are unbounded by default. Cancelling a pending `get()` leaves the queue of getters.
 *
 * @typeParam T - the item type.
 * @example
 * ```ts
 * const jobs = new DeferredQueue<Job>();
 * jobs.get().addCallback(handle);
 * jobs.put(job); // handle(job) runs now
 * ```
 */
export class DeferredQueue<T> {
  /** The most items it stores (`Infinity`: unbounded). */
  readonly size: number;
  /** The most getters it lets wait (`Infinity`: unbounded). */
  readonly backlog: number;
  readonly #pending = new FifoLine<T>();
  readonly #waiting = new FifoLine<Deferred<T>>();
  /**
   * An item handed to a getter that no longer waits (its user fired it before its hand-over's turn): to the next
   * getter, else first in line (it was put before anything stored meanwhile), even past `size` (it was in already).
   */
  readonly #putBack = (item: T): void => {
    const getter = takeWaiter(this.#waiting);
    if (getter !== undefined) handOver(getter, item, this.#putBack);
    else this.#pending.unshift(item);
  };

  /**
   * @param size - the most items stored at once (an integer ≥ 0, or `Infinity`); default unbounded.
   * @param backlog - the most getters waiting at once (an integer ≥ 0, or `Infinity`); default unbounded.
   * @throws RangeError when a limit is not an integer ≥ 0 or `Infinity`.
   */
  constructor(size = Infinity, backlog = Infinity) {
    for (const [name, value] of [['size', size], ['backlog', backlog]] as const) {
      // A count: `1.5` would let two items (or getters) in, as `pending < 1.5` holds for 0 and 1.
      if (!(value === Infinity || (Number.isInteger(value) && value >= 0))) {
        throw new RangeError(
          `Expected \`${name}\` to be a non-negative integer or Infinity, got \`${safeString(value)}\` (${typeof value})`,
        );
      }
    }
    this.size = size;
    this.backlog = backlog;
  }

  /** The number of items stored, waiting for a getter. */
  get pending(): number {
    return this.#pending.size;
  }

  /** The number of getters waiting for an item (not counting those their users fired meanwhile). */
  get waiting(): number {
    this.#waiting.retain(stillWaits);
    return this.#waiting.size;
  }

  /**
   * Add an item: give it to the first waiting getter, else store it.
   *
   * The getter's Deferred fires before this returns, except when `put()` is called from the handlers of another
   * getter being fired: then it fires right after those handlers return (`hand-over.ts`).
   *
   * @param item - the item.
   * @throws QueueOverflow when `size` items are already stored; TypeError when `item` is a Deferred (nothing changes).
   */
  put(item: T): void {
    // A getter's Deferred cannot fire with a Deferred (`callback` throws): refused before a getter is taken.
    if (isDeferred(item)) throw new TypeError('Expected `item` not to be a Deferred; a DeferredQueue cannot hold one');
    const getter = takeWaiter(this.#waiting);
    if (getter !== undefined) {
      handOver(getter, item, this.#putBack); // fired now, or after the handlers of the getter being fired (hand-over.ts)
    } else if (this.#pending.size < this.size) {
      this.#pending.push(item);
    } else {
      throw new QueueOverflow(`The DeferredQueue is full (size ${this.size})`);
    }
  }

  /**
   * Take the oldest item.
   *
   * @returns a Deferred firing with it, at once if one is stored.
   * @throws QueueUnderflow when `backlog` getters are already waiting.
   */
  get(): Deferred<T> {
    if (this.#pending.size > 0) return succeed(this.#pending.shift() as T);
    // Getters their users fired no longer wait: only those that do count (O(waiting), only when it looks full).
    if (this.#waiting.size >= this.backlog) this.#waiting.retain(stillWaits);
    if (this.#waiting.size >= this.backlog) {
      throw new QueueUnderflow(`The DeferredQueue backlog is full (${this.backlog} getters waiting)`);
    }
    const d = new Deferred<T>((pending) => {
      if (fireHandedOver(pending)) return; // it was given an item, not fired yet: it fires with the item
      this.#waiting.remove(pending);
    });
    this.#waiting.push(d);
    return d;
  }
}

/** For `retain`: a getter still waits unless its user fired it. */
function stillWaits(d: Deferred<unknown>): boolean {
  return !d.called;
}
