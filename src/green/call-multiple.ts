/**
 * `callMultiple`: run several calls one after another inside one greenlet.
 *
 * @module
 */

import { isGenerator } from '../deferred/is-generator.js';
import { isThenable } from '../is-thenable.js';
import { safeString } from '../safe-string.js';
import { yieldFrom } from './yield-from.js';

/** One call: a function (plain, async or generator) and its arguments. */
export type GreenCall = readonly [(...args: any[]) => unknown, ...unknown[]];

/**
 * A generator function running `calls` in order inside one greenlet: a generator call's `yield`s stay switch
 * points ({@link yieldFrom}), a Promise or Deferred result is waited for, and the first error ends the greenlet with it.
 *
 * @param calls - the calls.
 * @returns a generator (use it as a greenlet function).
 */
export function* callMultiple(calls: readonly GreenCall[]): Generator<unknown, void, unknown> {
  for (const [fn, ...args] of calls) {
    const r = fn(...args);
    if (isGenerator(r)) yield* yieldFrom(r);
    else if (isThenable(r)) yield r;
  }
}

/**
 * Check that `calls` is a list of `[fn, ...args]`.
 * @returns a TypeError describing the first bad entry, or null.
 */
export function checkCalls(calls: unknown): TypeError | null {
  if (!Array.isArray(calls)) {
    return new TypeError(`Expected \`calls\` to be an array of [fn, ...args], got \`${safeString(calls)}\` (${typeof calls})`);
  }
  for (let i = 0; i < calls.length; i++) {
    const call: unknown = calls[i];
    if (!Array.isArray(call) || typeof call[0] !== 'function') {
      return new TypeError(`Expected \`calls[${i}]\` to be [fn, ...args] with a function first, got \`${safeString(call)}\``);
    }
  }
  return null;
}
