/**
 * `Deferred.addTimeout`, kept beside the class: it only uses the Deferred's public API and a `Scheduler`.
 *
 * @module
 */
import { CancelledError, TimeoutError } from '../errors.js';
import type { Scheduler } from '../time/scheduler.js';
import { realTimeScheduler } from '../time/real-time-scheduler.js';
import { expectScheduler } from '../time/expect-scheduler.js';
import { holdsResult, type Deferred } from './deferred.js';
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
  const call = scheduler.callLater(ms, () => {
    // The result came first and its handlers (ours among them) are held back by the caller's pause(): cancel()
    // cannot change it, and it is not a timeout (a manual cancel() stays CancelledError).
    if (holdsResult(d)) return;
    timedOut = true;
    d.cancel();
  });
  const map = onTimeoutCancel ?? cancelledToTimeoutError;
  d.addBoth((resultOrFailure) => {
    if (call.active()) call.cancel();
    return timedOut ? map(resultOrFailure, ms) : resultOrFailure;
  });
  return d;
}
