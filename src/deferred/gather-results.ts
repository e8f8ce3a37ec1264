/**
 * `gatherResults`: the results of several Deferreds, or the first failure.
 *
 * @module
 */
import type { Deferred } from './deferred.js';
import { DeferredList } from './deferred-list.js';

/**
 * Fire with every member's result in input order, or errback with `FirstError` at the first failure
 * (Twisted's `gatherResults`, the Deferred counterpart of `Promise.all`).
 *
 * Cancelling the returned Deferred cancels every member.
 *
 * @param deferreds - the Deferreds to wait for.
 * @param consumeErrors - stop a failed member's failure from continuing down its own chain (and being reported
 *   as unhandled); the failure still reaches the result through `FirstError.subFailure`.
 * @returns a Deferred of the results.
 * @example
 * ```ts
 * gatherResults([getUser(id), getOrders(id)]).addCallback(([user, orders]) => render(user, orders));
 * ```
 */
export function gatherResults<T>(deferreds: Iterable<Deferred<T>>, consumeErrors = false): Deferred<T[]> {
  return new DeferredList<T>(deferreds, { fireOnOneErrback: true, consumeErrors }).addCallback((entries) =>
    entries.map((entry) => entry[1] as T),
  );
}
