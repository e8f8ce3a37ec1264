/**
 * The Promise behind one `Deferred.then()` call, and the two functions that settle it.
 *
 * Invariants:
 * - `then` adds one link whose argument slots hold this Promise's `resolve` and `reject` (no record, no closure
 *   per call: the resolving functions are taken by one shared executor); when the chain's result reaches the link,
 *   it settles the Promise synchronously — harmless, since a Promise runs its reactions asynchronously.
 * - The caller's handlers are attached with the platform's own `then` on that Promise, at the time of the `then()`
 *   call: so they run asynchronously (Promises/A+ 2.2.4), in the order `then` was called, and in the async context
 *   of the code that called `then()` — what any Promise does (`AsyncLocalStorage` stores are right in them). A
 *   `then()` without handlers (`asPromise()`) returns the Promise itself: one Promise per call.
 *
 * @module
 */

/** The resolving functions of the Promise {@link pendingPromise} made last; read them right after calling it. */
export let settleWith: (value: unknown) => void = () => undefined;
/** See {@link settleWith}. */
export let rejectWith: (reason: unknown) => void = () => undefined;

function capture(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  settleWith = resolve;
  rejectWith = reject;
}

/**
 * A new pending Promise; its resolving functions are {@link settleWith} and {@link rejectWith} until the next call.
 * @returns the Promise.
 */
export function pendingPromise(): Promise<any> {
  return new Promise(capture);
}
