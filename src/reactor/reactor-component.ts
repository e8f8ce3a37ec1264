/**
 * `ReactorComponent`: what the reactor closes during `stop()`.
 *
 * @module
 */

/**
 * A part of the reactor that holds work or resources (the thread pool, the hub) and must be closed on
 * shutdown.
 *
 * `stop()` calls every component's `shutdown(graceMs)` together, after the `before` triggers settled and
 * before the `during` triggers run. A component lets its running work finish within `graceMs`, then cancels
 * what is left and releases its handles. It must not reject for the work it cancels (that work's Deferreds
 * errback); a rejection is reported as an error of the component.
 */
export interface ReactorComponent {
  /** A short name for error reports (`'thread pool'`, `'hub'`). */
  readonly name: string;
  /**
   * Finish or cancel the component's work and release its resources.
   * @param graceMs - how long running work may still take before it is cancelled.
   */
  shutdown(graceMs: number): Promise<void>;
}
