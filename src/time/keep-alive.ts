/**
 * `keepAlive`: hold the Node process open on purpose (the reactor's `run()`).
 *
 * @module
 */

import { maxTimerDelayMs } from '../max-timer-delay.js';

/**
 * Hold one ref'd handle so the process stays alive until the returned function releases it.
 *
 * Why: `reactor.run()` must keep a script running while it waits for `stop()`, even when nothing else is
 * scheduled — but an idle reactor that was never run must hold nothing. Living in `src/time/` keeps every
 * global timer in one place.
 *
 * @returns a function that releases the handle; calling it again does nothing.
 */
export function keepAlive(): () => void {
  // An interval that long never meaningfully fires.
  let handle: NodeJS.Timeout | undefined = setInterval(() => undefined, maxTimerDelayMs);
  return () => {
    if (handle !== undefined) {
      clearInterval(handle);
      handle = undefined;
    }
  };
}
