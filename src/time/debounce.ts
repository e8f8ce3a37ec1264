/**
 * `debounce`: one call after a burst of triggers has gone quiet, on a timer that never holds the process.
 *
 * @module
 */

/** A debounced function; see {@link debounce}. */
export interface Debounced {
  /** (Re)start the quiet period: the function runs once `quietMs` pass without another trigger. */
  trigger(): void;
  /** Drop a pending run (no effect when none is pending). */
  cancel(): void;
}

/**
 * Run `fn` once, `quietMs` after the last of a burst of {@link Debounced.trigger} calls.
 *
 * Why here: only `src/time/` touches global timers. The timer is unref'd: a pending run never keeps the process
 * alive (the policy file watcher uses it; a watch must not hold a script open).
 *
 * @param fn - what to run; it receives no arguments, and an exception it throws surfaces as uncaught, as from a
 *   timer (callers catch).
 * @param quietMs - the quiet time in ms.
 * @returns the trigger and a cancel.
 * @example
 * ```ts
 * const reload = debounce(() => readConfig(), 50);
 * watcher.on('change', () => reload.trigger());
 * ```
 */
export function debounce(fn: () => void, quietMs: number): Debounced {
  let timer: NodeJS.Timeout | undefined;
  const run = (): void => {
    timer = undefined;
    fn();
  };
  return {
    trigger(): void {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(run, quietMs);
      timer.unref();
    },
    cancel(): void {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
