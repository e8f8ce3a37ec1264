/**
 * The event loop's next turn, for tests: `await nextTurn()` resolves from a `setImmediate` callback, so by then every
 * microtask queued before it (and every one those queued) has run, Node has reported unhandled rejections of the
 * turn, and I/O callbacks that were ready have had their go. It is not a sleep: nothing waits for wall time.
 *
 * One definition for every test folder (it was written out in each file before), so a change to what "the next
 * turn" means is made once.
 *
 * @module
 */

/**
 * Resolve on the event loop's next check phase (a `setImmediate` callback): after every microtask queued so far.
 * @returns a Promise that resolves, with nothing, on the next turn.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
