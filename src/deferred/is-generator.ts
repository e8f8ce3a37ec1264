/**
 * `isGenerator`: recognise a generator object, for the Deferred helpers that drive generators.
 *
 * @module
 */

/**
 * True for a generator object (anything with `next` and `throw` methods).
 *
 * @param value - anything.
 * @returns whether it can be driven like a generator.
 */
export function isGenerator(value: unknown): value is Generator<unknown, unknown, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { next?: unknown }).next === 'function' &&
    typeof (value as { throw?: unknown }).throw === 'function'
  );
}
