/**
 * `Deferred.addTimeout`, kept beside the class: it only uses the Deferred's public API and a `Scheduler`.
 *
 * @module
 */
import { CancelledError, TimeoutError } from '../errors.js';
import type { DelayedCall, Scheduler } from '../time/scheduler.js';
import { realTimeScheduler } from '../time/real-time-scheduler.js';
import { expectScheduler } from '../time/expect-scheduler.js';
import { holdsResult, watchHeldResult, type Deferred } from './deferred.js';
import { Failure, isFailure } from './failure.js';
import { safeString } from '../safe-string.js';

/**
 * Maps a Deferred's result after `addTimeout` cancelled it: gets the result or `Failure` and the timeout in ms;
 * its return value (or throw) continues the chain.
 */
export type OnTimeoutCancel<T> = (resultOrFailure: T | Failure, timeoutMs: number) => unknown;

/** The default mapping: a `CancelledError` failure becomes `TimeoutError`; anything else passes through. */
function cancelledToTimeoutError(resultOrFailure: unknown, timeoutMs: number): unknown {
  if (isFailure(resultOrFailure)) {
    resultOrFailure.trap(CancelledError);
    throw new TimeoutError(`The Deferred timed out after ${timeoutMs} ms`, { cause: resultOrFailure.value });
  }
  return resultOrFailure;
}

/**
 * Implementation of {@link Deferred.addTimeout} (Twisted's `Deferred.addTimeout`).
 *
 * @param d - the Deferred to time out.
 * @param ms - the time limit in milliseconds.
 * @param clock - the scheduler; real time when omitted.
 * @param onTimeoutCancel - maps the result when the timeout fired.
 * @returns `d`.
 * @throws RangeError when `ms` is negative, NaN or not finite (from the clock's `callLater` for `Infinity`);
 *   TypeError when `clock` is given and is not a Scheduler.
 */
export function addTimeoutTo<T>(
  d: Deferred<T>,
  ms: number,
  clock: Scheduler | undefined,
  onTimeoutCancel: OnTimeoutCancel<T> | undefined,
): Deferred<T> {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw new RangeError(`Expected \`ms\` to be a non-negative number, got \`${safeString(ms)}\` (${typeof ms})`);
  }
  const scheduler = clock === undefined ? realTimeScheduler : expectScheduler(clock, 'clock');
  let timedOut = false;
  const onTime = (): void => {
    // The result came first and its handlers (ours among them) are held back by the caller's pause(): cancel()
    // cannot change it, and it is not a timeout (a manual cancel() stays CancelledError).
    if (holdsResult(d)) return;
    timedOut = true;
    d.cancel();
  };
  let call: DelayedCall | null = scheduler.callLater(ms, onTime);
  // While the caller's pause() holds a result back, our handler cannot run to cancel the timer, and the timeout can
  // change nothing: the timer is cancelled at once (it was a ref'd handle for up to `ms`), its due time kept. When
  // the handlers may run again, an earlier one may wait on a chained Deferred, which the timeout covers: it is
  // re-armed for the time left, if any (had it stayed armed, it would have found the result held and done nothing).
  let due = 0; // set when `held` drops the timer
  const held = (): void => {
    if (call === null) return;
    due = call.getTime();
    if (call.active()) call.cancel();
    call = null;
  };
  const unwatch = watchHeldResult(d, {
    held,
    resumed: () => {
      const left = due - scheduler.now();
      if (call === null && left > 0) call = scheduler.callLater(left, onTime);
    },
  });
  if (holdsResult(d) && d.paused) held();
  const map = onTimeoutCancel ?? cancelledToTimeoutError;
  d.addBoth((resultOrFailure) => {
    unwatch();
    if (call !== null && call.active()) call.cancel();
    return timedOut ? map(resultOrFailure, ms) : resultOrFailure;
  });
  return d;
}
