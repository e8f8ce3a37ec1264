/**
 * `StopOptions`: how `reactor.stop()` shuts down.
 *
 * @module
 */

/** Options of `reactor.stop()`. */
export interface StopOptions {
  /**
   * How long running work (thread tasks, greenlets) may still take after the `before` triggers settled,
   * before it is cancelled (ms, ≥ 0).
   * @defaultValue 5000
   */
  graceMs?: number;
}

/** The defaults of {@link StopOptions}, in one table. */
export const defaultStopOptions: Readonly<Required<StopOptions>> = Object.freeze({
  graceMs: 5000,
});
