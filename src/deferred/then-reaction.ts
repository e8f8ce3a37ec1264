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
 * - None of this is made when the Deferred fired and has nothing left to run, with a success that is not a thenable:
 *   `then` starts from `Promise.resolve(result)` instead (no link, no resolving functions). The caller's handlers
 *   are still attached with the platform's `then` at call time, so the points above hold, and their reaction is
 *   queued at the moment the link would have queued it (such a link settles its Promise at once): order unchanged.
 * - Nothing here keeps a Promise alive: the executor's capture is taken (and cleared) at once by {@link takeResolve}
 *   and {@link takeReject}. A resolving function left in a module variable would hold its Promise, the Promise its
 *   reactions, and those whatever awaited it (a stopped reactor, in the soak) for as long as the process lives.
 *
 * @module
 */

const none = (): undefined => undefined;

/** The resolving functions of the Promise {@link pendingPromise} made last, until taken. */
let capturedResolve: (value: unknown) => void = none;
let capturedReject: (reason: unknown) => void = none;

function capture(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * A new pending Promise; take its resolving functions right after, with {@link takeResolve} and {@link takeReject}.
 * @returns the Promise.
 */
export function pendingPromise(): Promise<any> {
  return new Promise(capture);
}

/**
 * Takes the `resolve` of the Promise {@link pendingPromise} made last (and forgets it).
 * @returns the function.
 */
export function takeResolve(): (value: unknown) => void {
  const resolve = capturedResolve;
  capturedResolve = none;
  return resolve;
}

/**
 * Takes the `reject` of the Promise {@link pendingPromise} made last (and forgets it).
 * @returns the function.
 */
export function takeReject(): (reason: unknown) => void {
  const reject = capturedReject;
  capturedReject = none;
  return reject;
}
