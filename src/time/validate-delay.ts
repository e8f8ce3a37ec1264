/**
 * The one check every time API applies to a delay, so `callLater`, `delay`, `reset` and `advance` agree; and the
 * one way they add a delay to a time.
 *
 * @module
 */
import { safeString } from '../safe-string.js';

/**
 * Check that `ms` is a usable delay: a finite number ≥ 0.
 *
 * Every scheduler entry point runs this first, so a bad delay is reported where it was written, not later
 * as a timer that fires at once (Node coerces `NaN`, negative and huge delays to 1 ms).
 *
 * @param ms - the delay, in milliseconds.
 * @param name - the parameter's name, for the message.
 * @returns `ms`, unchanged.
 * @throws RangeError when `ms` is negative, `NaN`, infinite or not a number.
 */
export function validateDelay(ms: unknown, name = 'ms'): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`Expected \`${name}\` to be a non-negative finite number, got \`${safeString(ms)}\` (${typeof ms})`);
  }
  return ms;
}

/**
 * `time + ms`, for a due time or a `Clock`'s new time: `ms` checked by {@link validateDelay}, and the sum checked
 * to be finite and, for `ms > 0`, later than `time`.
 *
 * Why: a finite delay can still overflow the sum to `Infinity`, and past 2^53 ms a float cannot count single
 * milliseconds, so `time + 1` is `time`. A call due "1 ms later" was then due at once: a call that schedules itself
 * again ran for ever inside one `Clock.advance()`, and a `Clock` at `Infinity` ran every call at once.
 *
 * @param time - the base time (finite).
 * @param ms - the delay.
 * @param name - the parameter's name, for the message.
 * @returns `time + ms`.
 * @throws RangeError when `ms` is not a usable delay, or the sum overflows or loses it.
 */
export function addDelay(time: number, ms: unknown, name = 'ms'): number {
  const sum = time + validateDelay(ms, name);
  if (!Number.isFinite(sum) || (sum <= time && (ms as number) > 0)) {
    throw new RangeError(
      `Expected \`${name}\` to be a delay the time can hold: ${time} + ${safeString(ms)} ` +
        (Number.isFinite(sum) ? 'loses it (past 2^53 ms a time cannot count single milliseconds)' : 'overflows'),
    );
  }
  return sum;
}
