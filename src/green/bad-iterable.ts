/**
 * `badIterable` and `badGreenletItem`: the checks of an iterable argument on the green path (`GreenPool.map`'s
 * items, the greenlets of `joinAll` and `killAll`).
 *
 * @module
 */
import { inspect } from 'node:util';

/**
 * Check that `value` can be iterated, the way every green helper that answers with a Deferred does.
 *
 * Why a TypeError to errback with rather than letting `for…of` throw: those helpers report bad input through the
 * Deferred they return, never by throwing (SPEC: async APIs never throw), in the house form of message.
 *
 * @param value - the caller's argument.
 * @param name - the parameter's name.
 * @param of - what it should hold, when the message should say (`'Greenlets'`).
 * @returns a `TypeError` naming the bad value, or null when it is iterable.
 */
export function badIterable(value: unknown, name: string, of?: string): TypeError | null {
  if (value != null && typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') return null;
  const expected = of === undefined ? 'iterable' : `an iterable of ${of}`;
  return new TypeError(`Expected \`${name}\` to be ${expected}, got \`${inspect(value)}\` (${typeof value})`);
}

/**
 * @param item - an item of a `greenlets` argument that is not a Greenlet.
 * @returns the `TypeError` naming it.
 */
export function badGreenletItem(item: unknown): TypeError {
  return new TypeError(`Expected \`greenlets\` to be an iterable of Greenlets, got an item \`${inspect(item)}\` (${typeof item})`);
}
