import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { race } from '../../src/deferred/race.js';
import { CancelledError } from '../../src/errors.js';
import { FailureGroup } from '../../src/deferred/failure-group.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';

describe('race()', () => {
  it('fires with [index, result] of the first member to succeed and cancels the others', () => {
    const cancelled: number[] = [];
    const members = [0, 1, 2].map((i) => new Deferred<string>(() => cancelled.push(i)));
    const d = race(members);
    members[1]?.callback('winner');
    expect(successResultOf(d)).toEqual([1, 'winner']);
    expect(cancelled).toEqual([0, 2]);
  });

  it('ignores a failure that comes before the first success', () => {
    const a = new Deferred<string>();
    const b = new Deferred<string>();
    const d = race([a, b]);
    a.errback(new Error('lost'));
    assertNoResult(d);
    b.callback('b');
    expect(successResultOf(d)).toEqual([1, 'b']);
  });

  it('errbacks with FailureGroup { failures } in input order when all fail', () => {
    const a = new Deferred<string>();
    const b = new Deferred<string>();
    const d = race([a, b]);
    b.errback(new Error('b failed'));
    a.errback(new Error('a failed'));
    const group = failureResultOf(d, FailureGroup).value as FailureGroup;
    expect(group.failures.map((f) => f.getErrorMessage())).toEqual(['a failed', 'b failed']);
    expect(group).toMatchObject({ name: 'FailureGroup', code: 'ERR_FAILURE_GROUP' });
  });

  it("consumes the members' results", () => {
    const a = new Deferred<string>();
    const b = new Deferred<string>();
    race([a, b]);
    a.callback('a');
    expect(successResultOf(a)).toBeUndefined();
    expect(successResultOf(b)).toBeUndefined(); // cancelled, and its CancelledError consumed
  });

  it('on cancel, cancels every member', () => {
    const a = new Deferred<string>();
    const b = new Deferred<string>();
    const d = race([a, b]);
    d.cancel();
    const group = failureResultOf(d, FailureGroup).value as FailureGroup;
    expect(group.failures.every((f) => f.check(CancelledError) !== null)).toBe(true);
  });
});
