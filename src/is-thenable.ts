/**
 * `isThenable`: the Promise/A+ test for "can be awaited", the one definition every layer uses (the Deferred helpers,
 * the green hub, the worker side, context carriers, error sinks).
 *
 * @module
 */

/**
 * True when `value` is an object or function with a callable `then` (a Promise, a Deferred, any thenable).
 *
 * @param value - anything.
 * @returns whether it can be followed like a Promise.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    ((typeof value === 'object' && value !== null) || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
