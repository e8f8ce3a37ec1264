/**
 * `Queue`: a FIFO channel between greenlets, optionally bounded (gevent's `Queue`).
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { DeferredQueue } from '../deferred/deferred-queue.js';
import { QueueEmpty, QueueFull } from '../errors.js';
import type { Scheduler } from '../time/scheduler.js';
import { getDefaultHub } from './default-hub.js';
import { newHubWait, type Hub } from './hub.js';
import { badTimeout, WaiterList } from './waiter-list.js';

/**
 * Items in FIFO order; `get` waits while empty, `put` waits while full; blocked getters and putters are served
 * in the order they arrived.
 *
 * Built on `DeferredQueue` (stored items and waiting getters); this class adds what gevent's queue has beyond it:
 * blocked putters on a bounded queue, timeouts (`QueueFull`/`QueueEmpty`), the non-blocking variants and async
 * iteration.
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
  readonly #items: DeferredQueue<T>;
  readonly #putters = new WaiterList<void, T>();
  readonly #hub: Hub | undefined;

  /**
   * @param maxsize - the most items stored; `undefined` or 0 is unbounded.
   * @param hub - whose clock times the timeouts; default: the default reactor's hub.
   * @throws RangeError when `maxsize` is negative or not a number.
   */
  constructor(maxsize?: number, hub?: Hub) {
    if (maxsize !== undefined && !(typeof maxsize === 'number' && maxsize >= 0)) {
      throw new RangeError(`Expected \`maxsize\` to be a number >= 0, got \`${String(maxsize)}\` (${typeof maxsize})`);
    }
    this.maxsize = maxsize === undefined || maxsize === 0 ? Infinity : maxsize;
    this.#items = new DeferredQueue<T>(this.maxsize);
    this.#hub = hub;
  }

  /** @returns the number of items stored. */
  qsize(): number {
    return this.#items.pending;
  }

  /** @returns true when no item is stored. */
  empty(): boolean {
    return this.#items.pending === 0;
  }

  /** @returns true when a bounded queue holds `maxsize` items. */
  full(): boolean {
    return this.#items.pending >= this.maxsize;
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
    if (this.#tryPut(item)) {
      const d = new Deferred<void>();
      d.callback(undefined);
      return d;
    }
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
   * Take the oldest item, waiting while empty.
   *
   * @param timeoutMs - give up after this long with `QueueEmpty` (hub clock).
   * @returns a Deferred firing with the item (at once when one is stored).
   */
  get(timeoutMs?: number): Deferred<T> {
    const bad = badTimeout<T>(timeoutMs);
    if (bad !== null) return bad;
    if (this.#items.pending > 0) return this.#take();
    const inner = this.#items.get();
    let timer: ReturnType<Scheduler['callLater']> | null = null;
    let timedOut = false;
    let dropped = false;
    const drop = (): void => {
      dropped = true; // cancelled, or the waiting greenlet was killed: leave the line, fire nothing more
      if (timer?.active() === true) timer.cancel();
      inner.cancel();
    };
    const hub = this.#hub ?? getDefaultHub();
    const w = newHubWait<T>(hub, drop, drop);
    inner.addBoth((r: unknown) => {
      if (timer?.active() === true) timer.cancel();
      if (timedOut) w.errback(new QueueEmpty(`Queue.get() timed out after ${String(timeoutMs)} ms`));
      else if (!dropped) w.callback(r as T); // a Failure here errbacks
      return undefined; // handed over to `w`
    });
    if (timeoutMs !== undefined) {
      timer = hub.clock.callLater(timeoutMs, () => {
        timedOut = true;
        inner.cancel();
      });
    }
    return w;
  }

  /**
   * Take the oldest item without waiting.
   * @returns the item.
   * @throws QueueEmpty when no item is stored.
   */
  getNowait(): T {
    if (this.#items.pending === 0) throw new QueueEmpty('The queue is empty');
    let item: T | undefined;
    void this.#take().addCallback((v: T) => {
      item = v;
    });
    return item as T;
  }

  /** Iterate over items as they arrive; it ends only when the loop breaks. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) yield await this.get();
  }

  #tryPut(item: T): boolean {
    if (this.#items.waiting === 0 && this.#items.pending >= this.maxsize) return false;
    this.#items.put(item);
    return true;
  }

  /** Take a stored item, then let the first blocked putter in. */
  #take(): Deferred<T> {
    const d = this.#items.get();
    const putter = this.#putters.shift();
    if (putter !== undefined) {
      this.#items.put(putter.data);
      putter.d.callback(undefined);
    }
    return d;
  }
}
