/**
 * `Queue`: a FIFO channel between greenlets, optionally bounded (gevent's `Queue`).
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import { succeed } from '../deferred/succeed.js';
import { QueueEmpty, QueueFull } from '../errors.js';
import { getDefaultHub } from './default-hub.js';
import type { Hub } from './hub.js';
import { badTimeout } from './bad-timeout.js';
import { WaiterList } from './waiter-list.js';
import { describeValue } from '../describe-value.js';

/**
 * Items in FIFO order; `get` waits while empty, `put` waits while full; blocked getters and putters are served
 * in the order they arrived.
 *
 * What it adds to `DeferredQueue`: blocked putters on a bounded queue, timeouts (`QueueFull`/`QueueEmpty`), the
 * non-blocking variants, async iteration, and gevent's rule that a killed getter never consumes: an item handed
 * to a greenlet that is killed (or timed out) before it ran again goes to the next getter, or back to the head of
 * the queue (where it may briefly make a bounded queue hold one item more than `maxsize`).
 *
 * @typeParam T - the item type.
 * @example
 * ```ts
 * const q = new Queue<string>(10);
 * hub.spawn(function* () { for (;;) console.log(yield q.get()); });
 * hub.spawn(function* () { yield q.put('a'); yield q.put('b'); });
 * ```
 */
export class Queue<T> implements AsyncIterable<T> {
  /** The most items stored (`Infinity`: unbounded). */
  readonly maxsize: number;
  #items: T[] = [];
  #head = 0;
  readonly #getters = new WaiterList<T>((item) => this.#giveBack(item), true); // an item its callbacks took is theirs
  readonly #putters = new WaiterList<void, T>();
  readonly #hub: Hub | undefined;

  /**
   * @param maxsize - the most items stored; `undefined` or 0 is unbounded.
   * @param hub - whose clock times the timeouts; default: the default reactor's hub.
   * @throws RangeError when `maxsize` is negative or not a number.
   */
  constructor(maxsize?: number, hub?: Hub) {
    if (maxsize !== undefined && !(typeof maxsize === 'number' && maxsize >= 0)) {
      throw new RangeError(`Expected \`maxsize\` to be a number >= 0, got ${describeValue(maxsize)}`);
    }
    this.maxsize = maxsize === undefined || maxsize === 0 ? Infinity : maxsize;
    this.#hub = hub;
  }

  /** @returns the number of items stored. */
  qsize(): number {
    return this.#items.length - this.#head;
  }

  /** @returns true when no item is stored. */
  empty(): boolean {
    return this.qsize() === 0;
  }

  /** @returns true when a bounded queue holds `maxsize` items. */
  full(): boolean {
    return this.qsize() >= this.maxsize;
  }

  /**
   * Add an item, waiting for room when full.
   *
   * @param item - the item.
   * @param timeoutMs - give up after this long with `QueueFull` (hub clock).
   * @returns a Deferred firing once the item is in (at once when there is room or a getter waits).
   */
  put(item: T, timeoutMs?: number): Deferred<void> {
    const bad = badTimeout<void>(timeoutMs);
    if (bad !== null) return bad;
    if (this.#tryPut(item)) return succeed(undefined);
    return this.#putters.add(item, timeoutMs, () => this.#hub ?? getDefaultHub(), () => ({
      error: new QueueFull(`Queue.put() timed out after ${String(timeoutMs)} ms (maxsize ${this.maxsize})`),
    }));
  }

  /**
   * Add an item without waiting.
   * @param item - the item.
   * @throws QueueFull when the queue is full.
   */
  putNowait(item: T): void {
    if (!this.#tryPut(item)) throw new QueueFull(`The queue is full (maxsize ${this.maxsize})`);
  }

  /**
   * Take the oldest item, waiting while empty. A greenlet waiting on the Deferred that is killed (or timed out)
   * after the item was handed to it but before it ran again does not take it: the item goes to the next getter,
   * or back to the head of the queue — unless its code gave the Deferred a callback that takes the value
   * (`addCallback`, `addBoth`): that callback ran with the item, so the item is taken (once, by it).
   *
   * @param timeoutMs - give up after this long with `QueueEmpty` (hub clock).
   * @returns a Deferred firing with the item (at once when one is stored).
   */
  get(timeoutMs?: number): Deferred<T> {
    const bad = badTimeout<T>(timeoutMs);
    if (bad !== null) return bad;
    if (this.qsize() > 0) return succeed(this.#take());
    return this.#getters.add(undefined, timeoutMs, () => this.#hub ?? getDefaultHub(), () => ({
      error: new QueueEmpty(`Queue.get() timed out after ${String(timeoutMs)} ms`),
    }));
  }

  /**
   * Take the oldest item without waiting.
   * @returns the item.
   * @throws QueueEmpty when no item is stored.
   */
  getNowait(): T {
    if (this.qsize() === 0) throw new QueueEmpty('The queue is empty');
    return this.#take();
  }

  /** Iterate over items as they arrive; it ends only when the loop breaks. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) yield await this.get();
  }

  /** Hand `item` to the first waiting getter, else store it if there is room. @returns false when full. */
  #tryPut(item: T): boolean {
    if (this.#getters.serve(item)) return true; // a getter waits only while nothing is stored
    if (this.qsize() >= this.maxsize) return false;
    this.#items.push(item);
    return true;
  }

  /** Take the oldest stored item, then let the first blocked putter in if there is room. */
  #take(): T {
    const item = this.#items[this.#head]!;
    this.#items[this.#head] = undefined as T;
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (this.qsize() < this.maxsize) {
      const putter = this.#putters.shift();
      if (putter !== undefined) {
        this.#items.push(putter.data);
        putter.d.callback(undefined);
      }
    }
    return item;
  }

  /** An item served to a getter killed before it ran again: the next getter's, else the head of the queue again. */
  #giveBack(item: T): void {
    if (this.#getters.serve(item)) return;
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }
}
