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
  const succeeded = (result: T, index: number): undefined => {
    if (final.called) return undefined;
    final.callback([index, result]);
    members.forEach((member, other) => {
      if (other !== index) member.cancel();
    });
    return undefined;
  };
  const onFailure = (failure: Failure, index: number): undefined => {
    failures[index] = failure;
    failed++;
    if (failed === members.length && !final.called) final.errback(new FailureGroup(failures));
    return undefined;
  };
  members.forEach((member, index) => {
    member.addCallbacks(succeeded, onFailure, { callbackArgs: [index], errbackArgs: [index] });
  });
  return final;
}
