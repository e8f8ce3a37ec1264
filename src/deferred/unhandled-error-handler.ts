/**
 * Reporting of failures nobody handled: a Deferred garbage-collected while its chain ends in a `Failure`.
 *
 * Twisted logs "Unhandled error in Deferred" from `__del__`; JavaScript has no destructors, so this uses a
 * `FinalizationRegistry`. The registry holds the `Failure` (never the Deferred), and `Failure` reads its traceback
 * eagerly, so holding it does not keep the Deferred alive through the error's captured stack frames.
 *
 * @module
 */
import type { Failure } from './failure.js';
import { isThenable } from '../is-thenable.js';
import { safeString } from '../safe-string.js';

/**
 * Receives each unhandled failure once, after its Deferred was garbage-collected. It may be async: a rejection of
 * the Promise it returns is logged as a throw is, not left unhandled.
 */
export type UnhandledErrorHandler = (failure: Failure) => unknown;

/** The default handler: `console.error` with the failure's traceback. */
export const defaultUnhandledErrorHandler: UnhandledErrorHandler = (failure) => {
  console.error(`Unhandled error in Deferred:\n${failure.getTraceback()}`);
};

let handler: UnhandledErrorHandler = defaultUnhandledErrorHandler;

/**
 * Hand `failure` to the handler. Nothing may come out of this: it runs in a `FinalizationRegistry` callback, a
 * timer's function, a Promise reaction or `cancel()`, where a throw ends the process or breaks the caller. What
 * the handler throws, or its returned Promise rejects with (an async handler), is logged with the failure.
 */
function report(failure: Failure): void {
  let returned: unknown;
  try {
    returned = handler(failure);
    if (isThenable(returned)) {
      void returned.then(undefined, (error: unknown) => handlerFailed(error, failure));
    }
  } catch (error) {
    handlerFailed(error, failure);
  }
}

function handlerFailed(error: unknown, failure: Failure): void {
  try {
    console.error('The unhandled-error handler threw while reporting:', error);
    defaultUnhandledErrorHandler(failure);
  } catch {
    // console.error threw as well: nothing is left to report with, and a throw from here would end the process.
  }
}

const registry = new FinalizationRegistry<Failure>(report);

/**
 * Set the function that reports failures left unhandled in garbage-collected Deferreds.
 *
 * Reports arrive only after a garbage collection, so they are a safety net for forgotten errbacks, not a control
 * path: handle failures with `addErrback` or `await`. Each failure is reported at most once.
 *
 * @param fn - the new handler, or `null` to restore the default (`console.error` with the traceback).
 * @returns the handler that was in place before, so a test can put it back.
 * @example
 * ```ts
 * const previous = setUnhandledErrorHandler((f) => logger.error(f.getTraceback()));
 * ```
 */
export function setUnhandledErrorHandler(fn: UnhandledErrorHandler | null): UnhandledErrorHandler {
  if (fn !== null && typeof fn !== 'function') {
    throw new TypeError(`Expected \`fn\` to be a function or null, got \`${safeString(fn)}\` (${typeof fn})`);
  }
  const previous = handler;
  handler = fn ?? defaultUnhandledErrorHandler;
  return previous;
}

/**
 * Watch `owner`: report `failure` if `owner` is collected before {@link untrackFailure} is called for it.
 * Internal to the Deferred family.
 *
 * @param owner - the Deferred whose chain currently ends in `failure`.
 * @param failure - the failure to report.
 */
export function trackFailure(owner: object, failure: Failure): void {
  // A traceback not read yet (`cancelledFailure`) is read now: the registry holds `failure` strongly, and the
  // error's captured stack frames, released by the read, could reach `owner` and keep it from being collected.
  failure.getTraceback();
  registry.register(owner, failure, owner);
}

/**
 * Stop watching `owner` (its failure was handled or replaced). Internal to the Deferred family.
 *
 * @param owner - the Deferred passed to {@link trackFailure}.
 */
export function untrackFailure(owner: object): void {
  registry.unregister(owner);
}

/**
 * Report `failure` now: an error that no Deferred can carry, so nobody can handle it (a canceller that fired its
 * Deferred and then threw). Goes to the same handler as the failures of collected Deferreds. Internal to the
 * Deferred family.
 *
 * @param failure - the failure to report.
 */
export function reportUnhandledFailure(failure: Failure): void {
  report(failure);
}
