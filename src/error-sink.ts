/**
 * The user's `onError` made safe to call from anywhere.
 *
 * @module
 */
import { isThenable } from './is-thenable.js';
import { safeString } from './safe-string.js';

/**
 * The default error sink of every `onError` option: `console.error`, with a line saying who reports and, when the
 * caller says, where the error came from.
 *
 * Why one definition: the reactor and both ends of the remote route report the same way unless told otherwise.
 * @param label - who reports (`greenreactor`, `greenreactor remote worker`…).
 * @returns the sink.
 * @example
 * ```ts
 * consoleErrorSink('greenreactor')(error, 'thread pool'); // console.error('greenreactor: error in thread pool:', error)
 * ```
 */
export function consoleErrorSink(label: string): (error: unknown, ...where: unknown[]) => void {
  // `where` as a rest parameter: the remote ends' sinks take the error alone, the reactor's a string after it.
  return (error, ...where) => {
    const at = where[0];
    console.error(typeof at === 'string' ? `${label}: error in ${at}:` : `${label}:`, error);
  };
}

/**
 * Reads an `onError` option (the reactor's, a remote backend's, a remote host's): the one reader of it. The value is
 * checked once, here, where the option was given, and made a sink that never throws (see {@link neverThrowingSink}).
 * @param value - the option as given (read once by the caller), or `undefined` for `fallback`.
 * @param label - who reports, for `console.error` lines.
 * @param fallback - the sink when `value` is undefined (default: {@link consoleErrorSink} of `label`).
 * @returns a sink that never throws.
 * @throws TypeError unless `value` is a function or undefined, in the house form
 *   (``Expected `onError` to be a function, got `1` (number)``).
 */
export function readErrorSink<A extends [error: unknown, ...rest: unknown[]]>(
  value: unknown,
  label: string,
  fallback: (...args: A) => unknown = consoleErrorSink(label),
): (...args: A) => void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`Expected \`onError\` to be a function, got \`${safeString(value)}\` (${typeof value})`);
  }
  return neverThrowingSink((value ?? fallback) as (...args: A) => unknown, label);
}

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
