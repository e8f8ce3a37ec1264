/**
 * `weakCallLater`: a delayed call on a `Scheduler` that never keeps the process alive by itself.
 *
 * @module
 */
import { maxTimerDelayMs } from '../max-timer-delay.js';
import { RealTimeScheduler } from './real-time-scheduler.js';
import type { Scheduler } from './scheduler.js';
import { validateDelay } from './validate-delay.js';

/** A pending {@link weakCallLater}; cancelling it again, or after it ran, does nothing. */
export interface WeakCall {
  /** Prevents the call from running. */
  cancel(): void;
}

/**
 * Runs `fn` about `ms` milliseconds from now on `scheduler`, without holding the process open: housekeeping that
 * only matters while the process lives for other reasons (replacing an idle worker past its age) must not keep a
 * script that is done from exiting.
 *
 * Why not `scheduler.callLater`: a `RealTimeScheduler` holds one ref'd Node timer for all its calls, like
 * `setTimeout`. On a `RealTimeScheduler` the call gets an unref'd timer of its own instead (its time follows real
 * time; one whose injected `now` does not may see the call early or late — callers check what is due when it runs).
 * Any other scheduler (a test's `Clock`: virtual time, no handle) gets an ordinary `callLater`, so tests stay exact.
 *
 * @param scheduler - the time line (`Clock`, `RealTimeScheduler`, or any `Scheduler`).
 * @param ms - the delay, ≥ 0.
 * @param fn - what to run; what it throws goes where the scheduler's errors go (an uncaught exception on real time).
 * @returns a handle to cancel it.
 * @throws RangeError when `ms` is negative, infinite or not a number (`validateDelay`, as `callLater`).
 * @example
 * ```ts
 * const check = weakCallLater(pool.options.clock, 60_000, () => retireOldWorkers());
 * check.cancel(); // on close
 * ```
 */
export function weakCallLater(scheduler: Scheduler, ms: number, fn: () => void): WeakCall {
  if (!(scheduler instanceof RealTimeScheduler)) {
    const call = scheduler.callLater(ms, fn);
    return {
      cancel(): void {
        if (call.active()) call.cancel();
      },
    };
  }
  validateDelay(ms);
  let timer: NodeJS.Timeout | undefined;
  const arm = (left: number): void => {
    const hop = Math.min(maxTimerDelayMs, Math.ceil(left));
    timer = setTimeout(() => {
      if (left > hop) arm(left - hop);
      else {
        timer = undefined;
        fn();
      }
    }, hop);
    timer.unref();
  };
  arm(ms);
  return {
    cancel(): void {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
