/**
 * `combinatorMembers`: the one check `DeferredList`, `gatherResults` and `race` apply to the list they are given.
 *
 * @module
 */
import { safeString } from '../safe-string.js';
import { isDeferred, type Deferred } from './deferred.js';
import { isThenable } from '../is-thenable.js';

/**
 * Copy `deferreds` into an array of Deferreds, or say why it cannot be one.
 *
 * Why up front: a combinator adds a handler to each member in turn; a bad member found on the way (a Promise, a
 * number) would throw out of the call after the members before it got a handler that consumes their results, and
 * with whatever its first method call happened to throw. Checking the whole list first lets the combinator fail
 * through its Deferred with a clear `TypeError` and leave every member untouched. The check is a brand check
 * (`isDeferred`), so a revoked Proxy in the list is reported, not thrown from.
 *
 * @param deferreds - what the caller passed as the list.
 * @returns the members, or the error to fail the combinator's Deferred with (what a throwing iterator threw).
 */
export function combinatorMembers<T>(deferreds: Iterable<Deferred<T>>): { members: Array<Deferred<T>> } | { error: unknown } {
  let members: unknown[];
  try {
    if (typeof (deferreds as { [Symbol.iterator]?: unknown } | null | undefined)?.[Symbol.iterator] !== 'function') {
      return { error: new TypeError(`Expected \`deferreds\` to be an iterable of Deferreds, got ${describe(deferreds)}`) };
    }
    members = Array.from(deferreds);
  } catch (error) {
    return { error };
  }
  for (let i = 0; i < members.length; i++) {
    const member = members[i];
    if (!isDeferred(member)) {
      return { error: new TypeError(`Expected \`deferreds[${i}]\` to be a Deferred, got ${describe(member)}${hint(member)}`) };
    }
  }
  return { members: members as Array<Deferred<T>> };
}

function describe(value: unknown): string {
  return `\`${safeString(value)}\` (${typeof value})`;
}

function hint(value: unknown): string {
  try {
    return isThenable(value) ? '; wrap a Promise with Deferred.fromPromise()' : '';
  } catch {
    return '';
  }
}
