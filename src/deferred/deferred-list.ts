/**
 * `DeferredList`: wait for several Deferreds at once.
 *
 * @module
 */
import { combinatorMembers } from './combinator-members.js';
import { FirstError } from './first-error.js';
import { CANCELLER_KEEPS_PENDING, Deferred } from './deferred.js';
import { Failure, isFailure } from './failure.js';

/** One member's outcome in a {@link DeferredList} result: `[true, result]` or `[false, failure]`. */
export type DeferredListEntry<T> = [success: true, result: T] | [success: false, failure: Failure];

/** How a {@link DeferredList} decides when to fire; every field defaults to `false`. */
export interface DeferredListOptions {
  /**
   * Fire with `[result, index]` as soon as one member succeeds (an empty list then never fires by itself; its
   * `cancel()` fails it with `CancelledError`, so a timeout on it ends it with `TimeoutError`).
   * @defaultValue false
   */
  fireOnOneCallback?: boolean;
  /**
   * Errback with `FirstError { subFailure, index }` as soon as one member fails.
   * @defaultValue false
   */
  fireOnOneErrback?: boolean;
  /**
   * After a member's failure is recorded, that member's later handlers see `undefined` instead of the failure,
   * so it is not reported as unhandled.
   * @defaultValue false
   */
  consumeErrors?: boolean;
}

/**
 * A Deferred that fires when the Deferreds it watches have fired (Twisted's `DeferredList`).
 *
 * By default it waits for all of them and fires with `[success, resultOrFailure]` pairs in input order, never
 * failing itself; the options make it fire early on the first success or failure. Cancelling it cancels every
 * member (cancelling a member that already has its result does nothing); it then fires as its options say.
 *
 * @typeParam T - the members' result type.
 * @typeParam R - the result type; `[T, number]` when using `fireOnOneCallback`.
 * @example
 * ```ts
 * new DeferredList([fetchA(), fetchB()], { consumeErrors: true }).addCallback((entries) => {
 *   for (const [ok, value] of entries) if (!ok) console.warn(value.getErrorMessage());
 * });
 * ```
 */
export class DeferredList<T = unknown, R = Array<DeferredListEntry<T>>> extends Deferred<R> {
  /**
   * @param deferreds - the Deferreds to watch (the ones present now; the list is copied). Not an iterable of
   *   Deferreds: the list errbacks with `TypeError` and watches none of them.
   * @param options - when to fire; see {@link DeferredListOptions}.
   */
  constructor(deferreds: Iterable<Deferred<T>>, options: DeferredListOptions = {}) {
    const checked = combinatorMembers(deferreds);
    const members = 'members' in checked ? checked.members : [];
    // Cancelled, the list fires as its options say once its members have (their cancellation fires them, or a
    // result a member's caller holds paused comes later), so it stays pending for them. With no member (an empty
    // list with `fireOnOneCallback`) nothing could ever fire it: SPEC §1's general rule, CancelledError.
    super(() => {
      for (const member of members) member.cancel();
      return members.length === 0 ? undefined : CANCELLER_KEEPS_PENDING;
    });
    if ('error' in checked) {
      this.errback(checked.error);
      return;
    }
    const { fireOnOneCallback = false, fireOnOneErrback = false, consumeErrors = false } = options;
    const entries = new Array<DeferredListEntry<T>>(members.length);
    let finished = 0;
    // One handler for both sides, its position the one extra argument: a failure is exactly a `Failure` result. A
    // Deferred listed again is not given a second handler (with `consumeErrors` it would see `undefined` as a
    // success): its later positions are in `repeats`, filled from the first one's outcome.
    let repeats: Map<number, number[]> | null = null;
    const onResult = (result: unknown, index: number): unknown => {
      const succeeded = !isFailure(result);
      const entry: DeferredListEntry<T> = succeeded ? [true, result as T] : [false, result];
      entries[index] = entry;
      finished++;
      const again = repeats?.get(index);
      if (again !== undefined) {
        for (const at of again) entries[at] = [...entry];
        finished += again.length;
      }
      if (!this.called) {
        if (succeeded && fireOnOneCallback) this.callback([result, index] as R);
        else if (!succeeded && fireOnOneErrback) this.errback(new FirstError(result, index));
        else if (finished === members.length) this.callback(entries as R);
      }
      return !succeeded && consumeErrors ? undefined : result;
    };
    if (members.length === 0 && !fireOnOneCallback) this.callback(entries as R);
    // Every repeat is known before the first handler is added: a member that already fired calls it at once.
    const first = members.length > 1 ? new Map<Deferred<T>, number>() : null;
    let repeated = false;
    for (let index = 0; first !== null && index < members.length; index++) {
      const member = members[index]!;
      const seen = first.get(member);
      if (seen === undefined) {
        first.set(member, index);
        continue;
      }
      repeated = true;
      const again = (repeats ??= new Map()).get(seen);
      if (again === undefined) repeats.set(seen, [index]);
      else again.push(index);
    }
    for (let index = 0; index < members.length; index++) {
      const member = members[index]!;
      if (!repeated || first!.get(member) === index) member.addBoth(onResult, index);
    }
  }
}
