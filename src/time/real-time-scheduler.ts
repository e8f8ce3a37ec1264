/**
 * `RealTimeScheduler`: the wall-clock `Scheduler` behind the reactor's `callLater` (and the default of
 * `addTimeout`). The only place in greenreactor that arms `setTimeout`.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { CallQueue } from './call-queue.js';
import { DelayedCall, type DelayedCallOwner } from './delayed-call.js';
import type { Scheduler } from './scheduler.js';
import { maxTimerDelayMs } from '../max-timer-delay.js';
import { safeString } from '../safe-string.js';
import { addDelay } from './validate-delay.js';

/** Options of a {@link RealTimeScheduler}. */
export interface RealTimeSchedulerOptions {
  /**
   * Called with whatever a delayed call throws; the other due calls still run.
   * @defaultValue rethrow it as an uncaught exception (on a microtask), as an error thrown from `setTimeout` is.
   */
  onError?: (error: unknown, call: DelayedCall) => void;
  /**
   * The time source, in milliseconds; it must be monotonic and follow real time (the timer waits for the
   * difference). Tests pass one that can pause, so calls scheduled "at the same instant" get equal due times.
   * A source that goes backwards, or whose reading is not a finite number or throws, is not trusted for that
   * reading: time goes on from its last good reading at the rate of `performance.now()`, so calls still run on
   * time, and a warning (`ERR_TIME_SOURCE`) is emitted once.
   * @defaultValue `performance.now`
   */
  now?: () => number;
}

/**
 * A `Scheduler` on real time: milliseconds of `performance.now()`, one Node timer for all its calls.
 *
 * Why one timer over a heap instead of a `setTimeout` per call: Node timers with different delays can fire
 * out of due order (each list has its own millisecond rounding), and a timeout per Deferred costs a handle
 * each. Here the calls sit in one queue ordered by due time then `callLater` order (kept after
 * `reset`/`delay`), and a single timer is armed for the earliest. When nothing is scheduled no timer is held,
 * so an idle process can exit; while a call is pending the timer is ref'd, like `setTimeout`. All due calls
 * run in one timer turn; a call scheduled from inside one (even with 0 ms) runs on a later turn.
 *
 * @example
 * ```ts
 * import { realTimeScheduler } from 'greenreactor'; // or a reactor's own callLater
 * const call = realTimeScheduler.callLater(100, () => console.log('100 ms later'));
 * call.reset(200); // now 200 ms from now
 * ```
 */
export class RealTimeScheduler implements Scheduler {
  readonly #queue = new CallQueue();
  readonly #onError: (error: unknown, call: DelayedCall) => void;
  readonly #now: () => number;
  /** The last reading handed out, and `performance.now()` then: the base a bad reading goes on from. */
  #last = 0;
  #lastAt = 0;
  #warned = false;
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Number.POSITIVE_INFINITY;
  readonly #owner: DelayedCallOwner = {
    now: () => this.now(),
    remove: (call) => {
      this.#queue.remove(call);
      this.#arm();
    },
    reschedule: (call) => {
      this.#queue.update(call);
      this.#arm();
    },
  };

  /**
   * @param options - how errors thrown by calls are reported, and the time source.
   * @throws TypeError when `now` is not a function, or its first reading is not a finite number (or throws).
   */
  constructor(options: RealTimeSchedulerOptions = {}) {
    this.#onError = options.onError ?? rethrowUncaught;
    const source = options.now;
    if (source === undefined) {
      this.#now = () => performance.now();
      return;
    }
    if (typeof source !== 'function') {
      throw new TypeError(`Expected \`now\` to be a function, got \`${safeString(source)}\` (${typeof source})`);
    }
    let first: unknown;
    try {
      first = source();
    } catch (error) {
      throw new TypeError('Expected `now` to return a finite number, but it threw', { cause: error });
    }
    if (typeof first !== 'number' || !Number.isFinite(first)) {
      throw new TypeError(`Expected \`now\` to return a finite number, got \`${safeString(first)}\` (${typeof first})`);
    }
    this.#last = first;
    this.#lastAt = performance.now();
    this.#now = () => this.#read(source);
  }

  /** @returns the time source's reading: by default `performance.now()`, ms since the process started. */
  now(): number {
    return this.#now();
  }

  /**
   * A reading of a user's time source, never NaN, never backwards, never a throw: a bad one (see
   * {@link RealTimeSchedulerOptions.now}) is replaced by the last good reading plus the real time elapsed since.
   * Without this a NaN reading made every call never due and re-armed a 1 ms timer for ever, a throwing one threw
   * out of the timer (an uncaught exception), and a backwards one held every call back.
   */
  #read(source: () => number): number {
    let reading: unknown;
    let threw: { error: unknown } | undefined;
    try {
      reading = source();
    } catch (error) {
      threw = { error };
    }
    const at = performance.now();
    if (threw === undefined && typeof reading === 'number' && Number.isFinite(reading) && reading >= this.#last) {
      this.#last = reading;
      this.#lastAt = at;
      return reading;
    }
    if (!this.#warned) {
      this.#warned = true;
      const what = threw !== undefined ? 'threw' : `returned \`${safeString(reading)}\` (${typeof reading}) after ${this.#last}`;
      process.emitWarning(
        `RealTimeScheduler: its \`now\` time source ${what}; time goes on from its last good reading at the rate of performance.now()`,
        { code: 'ERR_TIME_SOURCE', ...(threw === undefined ? {} : { detail: safeString(threw.error) }) },
      );
    }
    this.#last += Math.max(0, at - this.#lastAt);
    this.#lastAt = at;
    return this.#last;
  }

  /** The number of calls waiting to run. */
  get pendingCount(): number {
    return this.#queue.size;
  }

  /**
   * Run `fn(...args)` after `ms` milliseconds.
   *
   * @param ms - the delay, ≥ 0.
   * @param fn - the function to run.
   * @param args - its arguments.
   * @returns the `DelayedCall`, to cancel, delay or reset it.
   * @throws RangeError when `ms` is negative or not a finite number; TypeError when `fn` is not a function.
   */
  callLater<A extends unknown[]>(ms: number, fn: (...args: A) => unknown, ...args: A): DelayedCall {
    const due = addDelay(this.now(), ms);
    if (typeof fn !== 'function') {
      throw new TypeError(`Expected \`fn\` to be a function, got \`${safeString(fn)}\` (${typeof fn})`);
    }
    const call = new DelayedCall(this.#owner, due, this.#queue.nextSequence(), fn, args);
    this.#queue.push(call);
    this.#arm();
    return call;
  }

  /** @returns the calls still waiting, in the order they will run (a copy). */
  getDelayedCalls(): DelayedCall[] {
    return this.#queue.toSortedArray();
  }

  /**
   * Keep exactly one timer, armed no later than the earliest call — none when the queue is empty. A timer
   * armed earlier than needed is kept (it fires, finds nothing due, re-arms): cheaper than re-arming on every
   * cancel of the front call.
   */
  #arm(): void {
    const next = this.#queue.peek();
    if (next === undefined) {
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#armedFor = Number.POSITIVE_INFINITY;
      }
      return;
    }
    const due = next.getTime();
    if (this.#timer !== undefined && this.#armedFor <= due) {
      return;
    }
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
    }
    this.#armedFor = due;
    const wait = Math.min(maxTimerDelayMs, Math.max(0, Math.ceil(due - this.now()))); // a later call: in hops
    this.#timer = setTimeout(this.#fire, wait);
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = this.now();
    // Only calls made before this turn: one a call makes is due no earlier than `now` and would run in this same
    // turn when time has not moved (a source held still): a call that schedules itself froze the process.
    const madeBefore = this.#queue.peekSequence();
    try {
      for (
        let call = this.#queue.peek();
        call !== undefined && call.getTime() <= now && call.sequence < madeBefore;
        call = this.#queue.peek()
      ) {
        this.#queue.pop();
        try {
          call.run();
        } catch (error: unknown) {
          this.#onError(error, call);
        }
      }
    } finally {
      this.#arm();
    }
  };
}

function rethrowUncaught(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/**
 * The process-wide real-time scheduler: the default for `addTimeout`, `deferLater` and every `Reactor`
 * created without a `clock`.
 */
export const realTimeScheduler = new RealTimeScheduler();
