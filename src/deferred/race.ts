/**
 * `race`: the first of several Deferreds to succeed.
 *
 * @module
 */
import { FailureGroup } from './failure-group.js';
import { combinatorMembers } from './combinator-members.js';
import { Deferred } from './deferred.js';
import { fail } from './fail.js';
import type { Failure } from './failure.js';

/**
 * Fire with `[index, result]` of the first member to succeed and cancel the others; errback with
 * `FailureGroup { failures }` (input order) if every member fails (Twisted's `race`).
 *
 * The members' results are consumed: their own chains continue with `undefined`. Cancelling the returned
 * Deferred cancels every member; when all of them then fail, it errbacks with the `FailureGroup`.
 *
 * @param deferreds - the competing Deferreds; not an iterable of Deferreds: errbacks with `TypeError`.
 * @returns a Deferred of the winner's index and result.
 * @example
 * ```ts
 * race([fromPrimary(), fromReplica()]).addCallback(([index, row]) => row);
 * ```
 */
export function race<T>(deferreds: Iterable<Deferred<T>>): Deferred<[index: number, result: T]> {
  const checked = combinatorMembers(deferreds);
  if ('error' in checked) return fail(checked.error);
  const members = checked.members;
  const failures = new Array<Failure>(members.length);
  let failed = 0;
  const final = new Deferred<[number, T]>(() => {
    for (const member of members) member.cancel();
  });
  // One handler per distinct Deferred, with every position it holds: the handler consumes the result, so a second
  // handler on a Deferred listed twice would see `undefined` as a success (a race of failures fired a winner).
  const positions = new Map<Deferred<T>, number[]>();
  members.forEach((member, index) => {
    const at = positions.get(member);
    if (at === undefined) positions.set(member, [index]);
    else at.push(index);
  });
  const succeeded = (result: T, at: number[], winner: Deferred<T>): undefined => {
    if (final.called) return undefined;
    final.callback([at[0]!, result]);
    for (const member of members) if (member !== winner) member.cancel();
    return undefined;
  };
  const onFailure = (failure: Failure, at: number[]): undefined => {
    for (const index of at) failures[index] = failure;
    failed += at.length;
    if (failed === members.length && !final.called) final.errback(new FailureGroup(failures));
    return undefined;
  };
  for (const [member, at] of positions) {
    member.addCallbacks(succeeded, onFailure, { callbackArgs: [at, member], errbackArgs: [at] });
  }
  return final;
}
