/**
 * `gatherResults`: the results of several Deferreds, or the first failure.
 *
 * @module
 */
import { combinatorMembers } from './combinator-members.js';
import { addBothIndexed, CANCELLER_KEEPS_PENDING, ownedDeferred, ownerOf, type Deferred } from './deferred.js';
import { fail } from './fail.js';
import { isFailure } from './failure.js';
import { FirstError } from './first-error.js';
import { markLibraryHandler } from './user-code-gate.js';

/** The one canceller every gathered Deferred shares: cancel every member, stay pending until they answer. */
const cancelMembers = (d: Deferred<any>): typeof CANCELLER_KEEPS_PENDING => {
  (ownerOf(d) as Gathered<unknown>).cancelMembers();
  return CANCELLER_KEEPS_PENDING;
};

/**
 * One `gatherResults` call: the plain Deferred it returns (owned by this, see `ownedDeferred`) and what it collects.
 * It collects the values itself: a member costs one handler link (its index kept in the link: `addBothIndexed`),
 * not a `[success, result]` pair, an options object and two argument arrays as a `DeferredList` member does, and no
 * list of pairs is mapped to values at the end.
 */
class Gathered<T> {
  readonly deferred: Deferred<T[]> = ownedDeferred(this, cancelMembers);
  #members: Array<Deferred<T>> | null; // until it fires (for the canceller)
  readonly #values: T[];
  readonly #consumeErrors: boolean;
  #left: number;

  constructor(members: Array<Deferred<T>>, consumeErrors: boolean) {
    this.#members = members;
    this.#values = new Array<T>(members.length);
    this.#consumeErrors = consumeErrors;
    this.#left = members.length;
    markLibraryHandler(this.#onResult); // records a value; the caller's code runs on the gathered Deferred
  }

  /** Watch every member (after construction: a member that already fired calls back at once). */
  watch(): void {
    const members = this.#members!;
    if (members.length === 0) {
      this.#members = null;
      this.deferred.callback(this.#values);
      return;
    }
    for (let i = 0; i < members.length; i++) addBothIndexed(members[i]!, this.#onResult, i);
  }

  /** The canceller's work: cancel every member. */
  cancelMembers(): void {
    for (const member of this.#members!) member.cancel();
  }

  /** A member's result (a `Failure` when it failed): record it, fire when all are in or at the first failure. */
  readonly #onResult = (result: unknown, index: number): unknown => {
    this.#left--;
    if (isFailure(result)) {
      if (!this.deferred.called) {
        this.#members = null;
        this.deferred.errback(new FirstError(result, index));
      }
      return this.#consumeErrors ? undefined : result;
    }
    this.#values[index] = result as T;
    if (this.#left === 0 && !this.deferred.called) {
      this.#members = null;
      this.deferred.callback(this.#values);
    }
    return result;
  };
}

/**
 * Fire with every member's result in input order, or errback with `FirstError` at the first failure
 * (Twisted's `gatherResults`, the Deferred counterpart of `Promise.all`).
 *
 * Cancelling the returned Deferred cancels every member.
 *
 * @param deferreds - the Deferreds to wait for; not an iterable of Deferreds: errbacks with `TypeError`.
 * @param consumeErrors - stop a failed member's failure from continuing down its own chain (and being reported
 *   as unhandled); the failure still reaches the result through `FirstError.subFailure`.
 * @returns a Deferred of the results.
 * @example
 * ```ts
 * gatherResults([getUser(id), getOrders(id)]).addCallback(([user, orders]) => render(user, orders));
 * ```
 */
export function gatherResults<T>(deferreds: Iterable<Deferred<T>>, consumeErrors = false): Deferred<T[]> {
  const checked = combinatorMembers(deferreds);
  if ('error' in checked) return fail(checked.error);
  const gathered = new Gathered<T>(checked.members, consumeErrors);
  gathered.watch();
  return gathered.deferred;
}
