/**
 * `Clock`: virtual time for deterministic tests (Twisted's `task.Clock`).
 *
 * @module
 */
import { CallQueue } from './call-queue.js';
import { DelayedCall, type DelayedCallOwner } from './delayed-call.js';
import type { Scheduler } from './scheduler.js';
import { addDelay } from './validate-delay.js';
import { safeString } from '../safe-string.js';

/**
 * A `Scheduler` whose time only moves when a test says so.
 *
 * Time starts at 0 and nothing runs until `advance` (or `pump`) is called — not even `callLater(0, f)`,
 * which needs `advance(0)`. `advance(ms)` moves time forward first, then runs every call due by then in
 * due-time order (ties in `callLater` order), including calls that those calls schedule for a time already
 * reached. An exception thrown by a call propagates out of `advance`; the calls not yet run stay queued and
 * run on the next `advance`. Inject a `Clock` wherever the code under test accepts a `Scheduler`
 * (`addTimeout`, `deferLater`, `new Hub({ clock })`, `new Reactor({ clock })`).
 *
 * @example
 * ```ts
 * const clock = new Clock();
 * const seen: string[] = [];
 * clock.callLater(10, () => seen.push('late'));
 * clock.callLater(5, () => seen.push('early'));
 * clock.advance(5);  // seen: ['early']
 * clock.advance(5);  // seen: ['early', 'late']
 * ```
 */
export class Clock implements Scheduler {
  #now = 0;
  readonly #queue = new CallQueue();
  readonly #owner: DelayedCallOwner = {
    now: () => this.#now,
    remove: (call) => {
      this.#queue.remove(call);
    },
    reschedule: (call) => {
      this.#queue.update(call);
    },
  };

  /** @returns the virtual time in milliseconds (0 until advanced). */
  now(): number {
    return this.#now;
  }

  /**
   * Schedule `fn(...args)` to run once virtual time reaches `now() + ms`.
   *
   * @param ms - the delay, ≥ 0.
   * @param fn - the function to run.
   * @param args - its arguments.
   * @returns the `DelayedCall`, to cancel, delay or reset it.
   * @throws RangeError when `ms` is negative or not a finite number, or lost when added to the time (past 2^53 ms).
   */
  callLater<A extends unknown[]>(ms: number, fn: (...args: A) => unknown, ...args: A): DelayedCall {
    const due = addDelay(this.#now, ms);
    if (typeof fn !== 'function') {
      throw new TypeError(`Expected \`fn\` to be a function, got \`${safeString(fn)}\` (${typeof fn})`);
    }
    const call = new DelayedCall(this.#owner, due, this.#queue.nextSequence(), fn, args);
    this.#queue.push(call);
    return call;
  }

  /**
   * Move virtual time forward by `ms`, then run every call now due, in order.
   *
   * @param ms - how far to move, ≥ 0 (0 runs what is already due).
   * @throws RangeError for a negative or non-finite `ms`, or one the time cannot hold (it would overflow, or, past
   *   2^53 ms, not move): time stays; whatever a call throws (the rest stay queued).
   */
  advance(ms: number): void {
    this.#now = addDelay(this.#now, ms);
    for (let call = this.#queue.peek(); call !== undefined && call.getTime() <= this.#now; call = this.#queue.peek()) {
      this.#queue.pop();
      call.run();
    }
  }

  /**
   * `advance` by each step in turn: `pump([0, 10, 10])` runs what is due now, then after 10 ms, then after 20.
   *
   * @param steps - the successive advances, each ≥ 0.
   * @throws like `advance`; steps after a throwing one are not taken.
   */
  pump(steps: readonly number[]): void {
    for (const step of steps) {
      this.advance(step);
    }
  }

  /** @returns the calls still waiting, in the order they will run (a copy). */
  getDelayedCalls(): DelayedCall[] {
    return this.#queue.toSortedArray();
  }
}
