/**
 * `StopOptions`: how `reactor.stop()` shuts down, and `readGraceMs`, the one reading of them.
 *
 * @module
 */
import { safeString } from '../safe-string.js';
import { thrownMessage } from '../task/thrown-message.js';
import { firstUnknownKey, unknownOptionMessage } from '../unknown-option.js';

/** Options of `reactor.stop()`. */
export interface StopOptions {
  /**
   * How long running work (thread tasks, greenlets) may still take after the `before` triggers settled,
   * before it is cancelled (ms, a finite number ≥ 0).
   * @defaultValue 5000
   */
  graceMs?: number;
}

/** The defaults of {@link StopOptions}, in one table. */
export const defaultStopOptions: Readonly<Required<StopOptions>> = Object.freeze({
  graceMs: 5000,
});

const stopOptionNames = Object.keys(defaultStopOptions);

/**
 * Reads `stop()`'s `graceMs`, once, and checks it.
 *
 * Why here and why finite: every component's shutdown arms a timer of `graceMs` on the reactor's clock, and a clock
 * refuses a delay that is not finite. Given `Infinity`, the hub's and each pool's shutdown threw from there: `stop()`
 * reported it and resolved with the pools never closed (their workers running on, holding the process) and no
 * greenlet killed. So a bad value is refused before the reactor starts stopping, as `stop()` promises for invalid
 * options, and reading them never throws out of `stop()` (a getter, `null`): it rejects.
 *
 * @param options - what the caller passed to `stop()`.
 * @returns the grace in ms.
 * @throws TypeError when `options` is neither undefined nor an object, has a key that is not an option (naming it),
 *   or reading `graceMs` throws; RangeError when
 *   `graceMs` is not a finite number ≥ 0.
 */
export function readGraceMs(options: unknown): number {
  if (options === undefined) return defaultStopOptions.graceMs;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` of stop() to be an object, got \`${safeString(options)}\` (${options === null ? 'null' : typeof options})`);
  }
  let graceMs: unknown;
  try {
    graceMs = (options as StopOptions).graceMs;
  } catch (error) {
    throw new TypeError(`Reading \`graceMs\` of stop()'s options threw: ${thrownMessage(error)}`, { cause: error });
  }
  let unknown: string | undefined;
  try {
    unknown = firstUnknownKey(options, stopOptionNames);
  } catch (error) {
    throw new TypeError(`Listing stop()'s options threw: ${thrownMessage(error)}`, { cause: error });
  }
  // A misspelt `graceMs` (`grace`) would stop with the default 5 s without a word.
  if (unknown !== undefined) throw new TypeError(unknownOptionMessage(unknown, stopOptionNames, 'stop()', 'its options are'));
  if (graceMs === undefined) return defaultStopOptions.graceMs;
  if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0) {
    throw new RangeError(`Expected \`graceMs\` to be a finite number >= 0, got \`${safeString(graceMs)}\` (${typeof graceMs})`);
  }
  return graceMs;
}
