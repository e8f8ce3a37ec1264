/**
 * `DeferredQueue`: a producer/consumer queue whose `get()` returns a Deferred.
 *
 * @module
 */
import { QueueOverflow, QueueUnderflow } from '../errors.js';
import { Deferred } from './deferred.js';
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
  readonly #pending: T[] = [];
  readonly #waiting: Array<Deferred<T>> = [];

  /**
   * @param size - the most items stored at once; default unbounded.
   * @param backlog - the most getters waiting at once; default unbounded.
   * @throws RangeError when a limit is negative or not a number.
   */
  constructor(size = Infinity, backlog = Infinity) {
    for (const [name, value] of [['size', size], ['backlog', backlog]] as const) {
      if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
        throw new RangeError(`Expected \`${name}\` to be a non-negative number, got \`${String(value)}\` (${typeof value})`);
      }
    }
    this.size = size;
    this.backlog = backlog;
  }

  /** The number of items stored, waiting for a getter. */
  get pending(): number {
    return this.#pending.length;
  }

  /** The number of getters waiting for an item. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Add an item: give it to the first waiting getter, else store it.
   *
   * @param item - the item.
   * @throws QueueOverflow when `size` items are already stored.
   */
  put(item: T): void {
    const getter = this.#waiting.shift();
    if (getter !== undefined) {
      getter.callback(item);
    } else if (this.#pending.length < this.size) {
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
    if (this.#pending.length > 0) return succeed(this.#pending.shift() as T);
    if (this.#waiting.length >= this.backlog) {
      throw new QueueUnderflow(`The DeferredQueue backlog is full (${this.backlog} getters waiting)`);
    }
    const d = new Deferred<T>((pending) => {
      const index = this.#waiting.indexOf(pending);
      if (index !== -1) this.#waiting.splice(index, 1);
    });
    this.#waiting.push(d);
    return d;
  }
}
