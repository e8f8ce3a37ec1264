/**
 * `isGenerator`: the one definition of "a generator object" in greenreactor.
 *
 * Every route uses it — `inlineCallbacks`/`ensureDeferred`, the inline route of `dispatch`, a greenlet's first step,
 * `callMultipleInGreenlet`, and the worker — so one task's result means the same on every route.
 *
 * @module
 */

/**
 * True for a generator object: any object with callable `next` and `throw` (duck-typed, as Twisted's
 * `inlineCallbacks` does) that is not an async iterable (an async generator object is not one). `Symbol.iterator`
 * is not required: such an object is driven with `next`/`throw`, never with `yield*` or `for…of`.
 *
 * @param value - anything.
 * @returns whether it can be driven like a generator.
 */
export function isGenerator(value: unknown): value is Generator<unknown, unknown, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { next?: unknown }).next === 'function' &&
    typeof (value as { throw?: unknown }).throw === 'function' &&
    // An async generator has `next` and `throw` too, but they return Promises, never `{ done: true }`: driven as a
    // generator it is resumed for ever, synchronously (the process hangs). It is an async iterable, not this.
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function'
  );
}
