/**
 * `GreenPool`: a bounded set of greenlets; spawning past the bound queues them (gevent's `Pool`).
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
import { succeed } from '../deferred/succeed.js';
import type { Task } from '../task/task.js';
import { getDefaultHub } from './default-hub.js';
import { greenletControl, type Greenlet } from './greenlet.js';
import { hubControl, newHubWait, type GreenletFunction, type Hub } from './hub.js';
import { joinAllUnowned } from './join-all.js';
import { joinUntilEmpty, killIfKilling, killUntilEmpty, newSetKills } from './until-empty.js';
import { killAll } from './kill-all.js';
import { badIterable } from './bad-iterable.js';
import { badTimeout } from './bad-timeout.js';
import { WaiterList } from './waiter-list.js';
import { describeValue } from '../describe-value.js';

type MapFn<T, R> = GreenletFunction<[T], R> | Task<[T], R>;

/** A link that observes an imap greenlet: its failure is the iterator's to report, not the hub's `'error'`. */
const reportedByIterator = (): void => undefined;

/**
 * Runs at most `size` greenlets at once; `spawn` never blocks the caller — past the bound the greenlet waits for
 * a free slot (FIFO) before it starts.
 *
 * Why: to bound concurrency (connections, requests in flight) while handing out greenlets at once.
 * `map`/`imap`/`imapUnordered` run a function over items with at most `size` in flight.
 *
 * @example
 * ```ts
 * const pool = new GreenPool(10);
 * for await (const page of pool.imapUnordered(fetchPage, urls)) console.log(page.length);
 * ```
 */
export class GreenPool {
  /** The capacity: how many greenlets run at once. */
  readonly size: number;
  readonly #hub: Hub;
  readonly #running = new Set<Greenlet<any>>();
  readonly #queued: Array<Greenlet<any>> = [];
  readonly #slotWaiters = new WaiterList<number>();
  readonly #kills = newSetKills();
  readonly #leave = (g: Greenlet<any>): void => {
    if (this.#running.delete(g)) this.#admit();
  };

  /**
   * @param size - the capacity (an integer >= 0; 0 admits nothing).
   * @param hub - the hub to run on; default: the default reactor's hub.
   * @throws RangeError when `size` is negative or not an integer.
   */
  constructor(size: number, hub?: Hub) {
    if (!(Number.isInteger(size) || size === Infinity) || size < 0) {
      throw new RangeError(`Expected \`size\` to be an integer >= 0, got ${describeValue(size)}`);
    }
    this.size = size;
    this.#hub = hub ?? getDefaultHub();
  }

  /** The hub the pool runs on. */
  get hub(): Hub {
    return this.#hub;
  }

  /** @returns the number of slots free (never negative). */
  freeCount(): number {
    return Math.max(0, this.size - this.#running.size);
  }

  /** @returns true when every slot is taken. */
  full(): boolean {
    return this.freeCount() === 0;
  }

  /**
   * Spawn `fn(...args)`: it starts now if a slot is free, else when one frees up (FIFO). While {@link GreenPool.kill}
   * runs, it is killed at once and never runs, so the kill ends even when a link respawns every greenlet that dies.
   * @param fn - the function or Task.
   * @param args - its arguments.
   * @returns the greenlet, at once (`started` once admitted).
   */
  spawn<A extends unknown[], R>(fn: GreenletFunction<A, R> | Task<A, R>, ...args: A): Greenlet<R> {
    const g = hubControl.spawnPending<R>(this.#hub, fn as GreenletFunction<any[], R>, args);
    killIfKilling(this.#kills, g);
    if (g.dead) return g; // refused by the hub's maxGreenlets, or killed with the pool
    this.#queued.push(g);
    this.#admit();
    return g;
  }

  /**
   * Run `fn` over `items`; fires with the results in input order, or errbacks with the first error in time (the
   * rest are killed). Bad input errbacks too: `TypeError` for a bad `fn` or items that are not iterable, or what
   * the items' iterator threw (the greenlets spawned before it are killed). A greenlet waiting in it is killable there
   * (a hub wait), and that kill ends the greenlets `map` spawned, as cancelling it does.
   * @param fn - the function or Task, given one item.
   * @param items - the items.
   * @returns a Deferred of the results.
   */
  map<T, R>(fn: MapFn<T, R>, items: Iterable<T>): Deferred<R[]> {
    const notIterable = badIterable(items, 'items');
    if (notIterable !== null) return fail(notIterable);
    const gs: Array<Greenlet<R>> = [];
    try {
      for (const item of items) gs.push(this.spawn(fn as GreenletFunction<[T], R>, item));
    } catch (error: unknown) {
      void killAll(gs); // a bad `fn`, or the items' iterator threw: what was spawned before never runs on for nothing
      return fail(error);
    }
    // A hub wait: a greenlet waiting in it is killable there; as a cancel does, that kill ends the greenlets it spawned
    // (nobody is left to take their results). The join inside is owned by no greenlet: it feeds this one.
    const stop = (): void => void killAll(gs);
    const result = newHubWait<R[]>(this.#hub, stop, stop);
    // `result` may have fired already: a kill of the greenlet waiting in it fires it with the kill (hub-wait.ts).
    joinAllUnowned(gs, { raiseError: true, hub: this.#hub }).addCallbacks(
      () => {
        if (!result.called) result.callback(gs.map((g) => g.value as R));
      },
      (failure) => {
        void killAll(gs);
        if (!result.called) result.errback(failure);
      },
    );
    return result;
  }

  /**
   * Run `fn` over `items` with at most `size` in flight; yields results in input order. Breaking out kills
   * what is still running; an error is thrown at its position, and only there (an item that fails before the
   * loop reaches it is not also reported on the hub's `'error'`; one the loop never reaches is dropped with it).
   * @param fn - the function or Task, given one item.
   * @param items - the items (consumed lazily).
   * @returns an async iterable of results.
   */
  async *imap<T, R>(fn: MapFn<T, R>, items: Iterable<T>): AsyncGenerator<R, void, undefined> {
    const source = items[Symbol.iterator]();
    const window: Array<Greenlet<R>> = [];
    const fill = (): void => {
      while (window.length < Math.max(1, this.size)) {
        const next = source.next();
        if (next.done === true) return;
        const g = this.spawn(fn as GreenletFunction<[T], R>, next.value);
        g.link(reportedByIterator);
        window.push(g);
      }
    };
    try {
      fill();
      while (window.length > 0) {
        const value = await window[0]!;
        window.shift();
        fill();
        yield value;
      }
    } finally {
      await killAll(window); // breaking out: what is still running dies before the loop moves on
    }
  }

  /**
   * Like {@link GreenPool.imap}, yielding results in completion order (an error is thrown when its greenlet
   * dies, and only there).
   * @param fn - the function or Task, given one item.
   * @param items - the items (consumed lazily).
   * @returns an async iterable of results.
   */
  async *imapUnordered<T, R>(fn: MapFn<T, R>, items: Iterable<T>): AsyncGenerator<R, void, undefined> {
    const source = items[Symbol.iterator]();
    const inFlight = new Set<Greenlet<R>>();
    const finished: Array<Greenlet<R>> = [];
    let wake: (() => void) | null = null;
    const onDeath = (g: Greenlet<R>): void => {
      inFlight.delete(g);
      finished.push(g);
      const w = wake;
      wake = null;
      w?.();
    };
    const fill = (): void => {
      while (inFlight.size < Math.max(1, this.size)) {
        const next = source.next();
        if (next.done === true) return;
        const g = this.spawn(fn as GreenletFunction<[T], R>, next.value);
        inFlight.add(g);
        g.link(onDeath);
      }
    };
    try {
      fill();
      while (inFlight.size > 0 || finished.length > 0) {
        if (finished.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const g = finished.shift()!;
        fill();
        if (!g.successful()) throw g.exception;
        yield g.value as R;
      }
    } finally {
      await killAll(inFlight); // breaking out: what is still running dies before the loop moves on
    }
  }

  /**
   * Wait until every greenlet of the pool (running and queued) is dead, those spawned meanwhile too.
   * @param timeoutMs - give up after this long (hub clock).
   * @returns a Deferred firing `true` when all died, `false` on timeout.
   */
  join(timeoutMs?: number): Deferred<boolean> {
    return joinUntilEmpty(() => [...this.#running, ...this.#queued.filter((g) => !g.dead)], timeoutMs, this.#hub);
  }

  /**
   * Kill every greenlet of the pool, and those spawned meanwhile (in a dying one's `finally`: killed at once);
   * queued ones never run.
   * @param exception - an error instance or class; default `GreenletExit`.
   * @returns a Deferred firing once all are dead.
   */
  kill(exception?: unknown): Deferred<void> {
    // Bad input errbacks before the queue is emptied: its greenlets stay queued.
    return killUntilEmpty(() => [...this.#queued.splice(0), ...this.#running], exception, this.#kills);
  }

  /**
   * Wait for a free slot.
   * @param timeoutMs - give up after this long (hub clock) and fire with the free count then (0).
   * @returns a Deferred firing with the number of free slots.
   */
  waitAvailable(timeoutMs?: number): Deferred<number> {
    const bad = badTimeout<number>(timeoutMs);
    if (bad !== null) return bad;
    if (this.freeCount() > 0) return succeed(this.freeCount());
    return this.#slotWaiters.add(undefined, timeoutMs, () => this.#hub, () => ({ value: this.freeCount() }));
  }

  /** Start queued greenlets while slots are free (FIFO); then tell slot waiters. */
  #admit(): void {
    while (this.#running.size < this.size && this.#queued.length > 0) {
      const g = this.#queued.shift()!;
      if (g.dead) continue; // killed while queued
      this.#running.add(g);
      greenletControl.linkInternal(g, this.#leave);
      greenletControl.start(g);
    }
    while (this.freeCount() > 0 && this.#slotWaiters.length > 0) this.#slotWaiters.shift()!.d.callback(this.freeCount());
  }
}
