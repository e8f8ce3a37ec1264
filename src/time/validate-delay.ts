/**
 * The one check every time API applies to a delay, so `callLater`, `delay`, `reset` and `advance` agree.
 *
 * @module
 */

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
    throw new RangeError(`Expected \`${name}\` to be a non-negative finite number, got \`${String(ms)}\` (${typeof ms})`);
  }
  return ms;
}
