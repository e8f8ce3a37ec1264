/**
 * `badTimeout`: the one check of an optional `timeoutMs` argument on the green path.
 *
 * @module
 */
import { inspect } from 'node:util';
import type { Deferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';

/**
 * Validate an optional timeout the way every green waiting method does (`Greenlet.join`/`get`, `joinAll`, and each
 * primitive's `wait`/`get`/`put`/`acquire`/`waitAvailable`): `undefined` or a number >= 0.
 *
 * Why it answers with a Deferred: waiting methods report bad input through the Deferred they return, never by
 * throwing (SPEC: async APIs never throw).
 *
 * @param timeoutMs - the caller's argument.
 * @returns a Deferred already failed with a `TypeError` naming the bad value, else null.
 */
export function badTimeout<T>(timeoutMs: unknown): Deferred<T> | null {
  if (timeoutMs === undefined || (typeof timeoutMs === 'number' && timeoutMs >= 0)) return null;
  return fail<T>(new TypeError(`Expected \`timeoutMs\` to be a number >= 0, got \`${inspect(timeoutMs)}\` (${typeof timeoutMs})`));
}
