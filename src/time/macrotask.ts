/**
 * The next turn of the event loop, for the green hub.
 *
 * The hub yields to the event loop between slices with `setImmediate`: it runs after pending I/O callbacks and
 * due timers, which is the point of yielding, and before the next timer phase. Only `src/time/` touches global
 * timers, so this one call lives here.
 *
 * @module
 */

/**
 * Run `fn` on the next turn of the event loop (`setImmediate`), after pending I/O and due timers.
 *
 * Why not `queueMicrotask` or `process.nextTick`: both run before I/O, so a hub that continued through them would
 * starve the loop exactly as inline work does. The immediate keeps the process alive only until it runs; an idle
 * hub schedules none, so it holds no handle.
 *
 * @param fn - the function to run; it receives no arguments and its exceptions surface as uncaught (callers catch).
 */
export function runOnNextTurn(fn: () => void): void {
  setImmediate(fn);
}
