/**
 * The user's `onError` made safe to call from anywhere.
 *
 * @module
 */
import { isThenable } from './is-thenable.js';

/**
 * Wraps a user's error sink (a reactor's or a remote backend's `onError`) so that calling it never throws and never
 * leaves a rejected Promise behind.
 *
 * Why: the library calls `onError` where nothing can take a throw — Piscina's message handlers, ioredis's and
 * BullMQ's event handlers, timers, a stream's progress delivery. There a throw is an uncaught exception and a
 * rejected Promise (an `async` sink) an unhandled rejection: either ends the process on Node's defaults, and the
 * work that was reporting (a stream, a shutdown) is left half done. What the sink throws or rejects with goes to
 * `console.error`, with the error it was given; if even that throws, it is dropped.
 * @param sink - the user's function (checked by the caller).
 * @param label - who reports, for the `console.error` line (e.g. `greenreactor`).
 * @returns a function with the same parameters that calls `sink` and never throws.
 */
export function neverThrowingSink<A extends [error: unknown, ...rest: unknown[]]>(sink: (...args: A) => unknown, label: string): (...args: A) => void {
  const tell = (thrown: unknown, error: unknown): void => {
    try {
      console.error(`${label}: onError threw`, thrown, 'while reporting', error);
    } catch {
      // Nowhere left to report to.
    }
  };
  return (...args: A): void => {
    try {
      const returned: unknown = sink(...args);
      if (isThenable(returned)) returned.then(undefined, (thrown: unknown) => tell(thrown, args[0]));
    } catch (thrown) {
      tell(thrown, args[0]);
    }
  };
}
