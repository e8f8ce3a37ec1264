/**
 * `killException`: what a kill throws into a greenlet, made from what `kill(exception)` was given.
 *
 * @module
 */

/**
 * The exception to throw in: an error instance (or any value that is not a function) as it is; a class made with
 * `new` and no arguments, one instance per greenlet killed (gevent's `kill(exception=GreenletExit)`).
 *
 * Why a result instead of a throw: `kill`, `killAll`, `GreenPool.kill` and `Group.kill` answer with a Deferred, so
 * a function that cannot be made that way (an arrow function, `Symbol`, a class whose constructor throws) comes back
 * through it as a named `TypeError`, and no greenlet is killed by bad input.
 *
 * @param exception - what `kill` was given.
 * @returns `{ exception }` to throw in, or `{ error }`: a `TypeError` (its `cause`: what `new` threw).
 */
export function killException(exception: unknown): { exception: unknown } | { error: TypeError } {
  if (typeof exception !== 'function') return { exception };
  try {
    return { exception: new (exception as new () => unknown)() };
  } catch (cause: unknown) {
    let shown: string;
    try {
      shown = exception.name !== '' ? exception.name : String(exception);
    } catch {
      shown = '<function>'; // a hostile `name` getter or `toString`: the message must still be made
    }
    const message = `Expected \`exception\` to be an error instance or a class constructible without arguments, got \`${shown}\` (function)`;
    return { error: new TypeError(message, { cause }) };
  }
}
