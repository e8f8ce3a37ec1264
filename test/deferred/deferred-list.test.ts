import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { DeferredList } from '../../src/deferred/deferred-list.js';
import { Failure } from '../../src/deferred/failure.js';
import { succeed } from '../../src/deferred/succeed.js';
import { CancelledError, TimeoutError } from '../../src/errors.js';
import { Clock } from '../../src/time/clock.js';
import { FirstError } from '../../src/deferred/first-error.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';

describe('DeferredList', () => {
  it('is a Deferred', () => {
    expect(new DeferredList([])).toBeInstanceOf(Deferred);
  });

  it('fires with [success, result] pairs in input order once all members fired', () => {
    const a = new Deferred<string>();
    const b = new Deferred<string>();
    const list = new DeferredList([a, b]);
    b.callback('b');
    assertNoResult(list);
    a.callback('a');
    expect(successResultOf(list)).toEqual([
      [true, 'a'],
      [true, 'b'],
    ]);
  });

  it('records a failed member as [false, failure] and still succeeds', () => {
    const a = new Deferred<string>();
    const error = new Error('member failed');
    const list = new DeferredList([a, succeed('ok')], { consumeErrors: true });
    a.errback(error);
    const entries = successResultOf(list);
    expect(entries[0]?.[0]).toBe(false);
    expect((entries[0]?.[1] as Failure).value).toBe(error);
    expect(entries[1]).toEqual([true, 'ok']);
  });

  it('fires [] at once for an empty list', () => {
    expect(successResultOf(new DeferredList([]))).toEqual([]);
  });

  it('never fires for an empty list with fireOnOneCallback', () => {
    assertNoResult(new DeferredList([], { fireOnOneCallback: true }));
  });

  it('errbacks with CancelledError when an empty list with fireOnOneCallback is cancelled (nothing else can fire it)', () => {
    const list = new DeferredList([], { fireOnOneCallback: true });
    list.cancel();
    failureResultOf(list, CancelledError);
  });

  it('ends an empty list with fireOnOneCallback with TimeoutError under addTimeout', () => {
    const clock = new Clock();
    const list = new DeferredList([], { fireOnOneCallback: true }).addTimeout(10, clock);
    clock.advance(10);
    failureResultOf(list, TimeoutError);
  });

  it('with fireOnOneCallback fires [result, index] at the first success', () => {
    const a = new Deferred<string>();
    const b = new Deferred<string>();
    const list = new DeferredList<string, [string, number]>([a, b], { fireOnOneCallback: true });
    b.callback('second');
    expect(successResultOf(list)).toEqual(['second', 1]);
    a.callback('later');
    expect(successResultOf(list)).toEqual(['second', 1]);
  });

  it('with fireOnOneErrback errbacks with FirstError { subFailure, index } at the first failure', () => {
    const a = new Deferred<string>();
    const b = new Deferred<string>();
    const list = new DeferredList([a, b], { fireOnOneErrback: true, consumeErrors: true });
    const error = new RangeError('first');
    b.errback(error);
    const f = failureResultOf(list, FirstError);
    const firstError = f.value as FirstError;
    expect(firstError.index).toBe(1);
    expect(firstError.subFailure.value).toBe(error);
    expect(firstError).toMatchObject({ name: 'FirstError', code: 'ERR_FIRST_ERROR' });
  });

  it("with consumeErrors, a failed member's later handlers see undefined", () => {
    const a = new Deferred<string>();
    new DeferredList([a], { consumeErrors: true });
    a.errback(new Error('consumed'));
    expect(successResultOf(a)).toBeUndefined();
  });

  it("without consumeErrors, a failed member's later handlers still see the failure", () => {
    const a = new Deferred<string>();
    new DeferredList([a]);
    a.errback(new Error('kept'));
    expect(failureResultOf(a).getErrorMessage()).toBe('kept');
  });

  it("leaves a successful member's result unchanged", () => {
    const a = new Deferred<number>();
    new DeferredList([a]);
    a.callback(7);
    expect(successResultOf(a)).toBe(7);
  });

  it('on cancel, cancels the members not yet fired and fires with their outcomes', () => {
    let cancelledA = false;
    const a = new Deferred<string>(() => (cancelledA = true));
    const b = succeed('done');
    const list = new DeferredList([a, b], { consumeErrors: true });
    list.cancel();
    expect(cancelledA).toBe(true);
    const entries = successResultOf(list);
    expect(entries[0]?.[0]).toBe(false);
    expect((entries[0]?.[1] as Failure).check(CancelledError)).toBe(CancelledError);
    expect(entries[1]).toEqual([true, 'done']);
  });

  it('on cancel with fireOnOneErrback, errbacks with FirstError of the CancelledError', () => {
    const list = new DeferredList([new Deferred<string>()], { fireOnOneErrback: true, consumeErrors: true });
    list.cancel();
    const firstError = failureResultOf(list, FirstError).value as FirstError;
    expect(firstError.subFailure.check(CancelledError)).toBe(CancelledError);
  });

  it('on cancel after it fired early, leaves the other members alone', () => {
    const a = new Deferred<string>();
    const b = new Deferred<string>();
    const list = new DeferredList<string, [string, number]>([a, b], { fireOnOneCallback: true });
    a.callback('first');
    list.cancel();
    assertNoResult(b);
    expect(successResultOf(list)).toEqual(['first', 0]);
  });

  it('only watches the members present at construction', () => {
    const members = [new Deferred<number>()];
    const list = new DeferredList(members);
    members.push(new Deferred<number>());
    members[0]?.callback(1);
    expect(successResultOf(list)).toEqual([[true, 1]]);
  });
});
