/**
 * The one abstraction of time every other part of greenreactor uses.
 *
 * Code that waits (`addTimeout`, `deferLater`, the hub's sleeps and timeouts, the thread path's
 * `timeoutMs`) asks a `Scheduler`, never the global timers, so tests can swap real time for a
 * `Clock` and drive it deterministically. Times are milliseconds.
 *
 * @module
 */

/**
 * A call scheduled to run later; returned by {@link Scheduler.callLater}.
 *
 * Mirrors Twisted's `IDelayedCall`: it can be cancelled, postponed or rescheduled until it runs.
 */
export interface DelayedCall {
  /** The scheduler time (ms) at which the call is due. */
  getTime(): number;
  /** Prevent the call from running. @throws AlreadyCalledError once it ran; AlreadyCancelledError once cancelled. */
  cancel(): void;
  /** Postpone the call by `ms`. @throws AlreadyCalledError, AlreadyCancelledError, RangeError (negative). */
  delay(ms: number): void;
  /** Make the call due `ms` from now. @throws AlreadyCalledError, AlreadyCancelledError, RangeError (negative). */
  reset(ms: number): void;
  /** True while the call has neither run nor been cancelled. */
  active(): boolean;
  /** True once the call ran (set before its function starts). */
  readonly called: boolean;
  /** True once the call was cancelled. */
  readonly cancelled: boolean;
}

/**
 * A source of time and delayed calls: implemented by the `Reactor` (real time) and by `Clock` (virtual time).
 *
 * Calls run in due-time order; calls due at the same time run in the order `callLater` made them, and a
 * `reset` or `delay` changes a call's due time without changing that rank.
 */
export interface Scheduler {
  /** The current time in milliseconds (monotonic; its origin is the scheduler's own). */
  now(): number;
  /**
   * Run `fn(...args)` after `ms` milliseconds.
   * @throws RangeError when `ms` is negative or not a number.
   */
  callLater<A extends unknown[]>(ms: number, fn: (...args: A) => unknown, ...args: A): DelayedCall;
}
