/**
 * Outcomes that meet in one turn: a race member whose canceller succeeds while the race is being cancelled, list
 * members that fail while the list is being built, and a result due at the same clock time as its timeout. Each
 * pins which outcome wins and that every Deferred fires once.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Clock, Deferred, DeferredList, FirstError, TimeoutError, fail, gatherResults, race } from '../../src/index.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

describe('race()', () => {
  it("when cancelled, fires with a member that its own canceller made succeed, and cancels the rest", () => {
    const first = new Deferred<string>();
    const second = new Deferred<string>((d) => d.callback('from the canceller'));
    const third = new Deferred<string>();
    const raced = race([first, second, third]);
    raced.cancel();
    expect(successResultOf(raced)).toEqual([1, 'from the canceller']);
    expect(third.called).toBe(true); // cancelled; race consumed its CancelledError
    expect(successResultOf(third)).toBeUndefined();
  });
});

describe('DeferredList', () => {
  it('with fireOnOneErrback and consumeErrors, errbacks with the first member that had already failed and consumes every failure', () => {
    const members = [fail<number>(new RangeError('zero')), new Deferred<number>(), fail<number>(new RangeError('two'))];
    const list = new DeferredList(members, { fireOnOneErrback: true, consumeErrors: true });
    const error = failureResultOf(list, FirstError).value as FirstError;
    expect(error.index).toBe(0);
    expect(error.subFailure.getErrorMessage()).toBe('zero');
    expect(successResultOf(members[0]!)).toBeUndefined();
    expect(successResultOf(members[2]!)).toBeUndefined();
    members[1]!.callback(1);
  });
});

describe('gatherResults()', () => {
  it('with consumeErrors, errbacks with the first member that had already failed and consumes the later failures', () => {
    const members = [new Deferred<number>(), fail<number>(new RangeError('one')), fail<number>(new RangeError('two'))];
    const gathered = gatherResults(members, true);
    expect((failureResultOf(gathered, FirstError).value as FirstError).index).toBe(1);
    expect(successResultOf(members[2]!)).toBeUndefined();
    members[0]!.callback(0);
    expect(successResultOf(members[0]!)).toBe(0);
  });
});

describe('Deferred', () => {
  describe('.addTimeout()', () => {
    it('keeps a result that arrives at the timeout time when it was scheduled before the timeout', () => {
      const clock = new Clock();
      const d = new Deferred<string>();
      clock.callLater(10, () => d.callback('in time'));
      d.addTimeout(10, clock);
      clock.advance(10);
      expect(successResultOf(d)).toBe('in time');
      expect(clock.getDelayedCalls()).toHaveLength(0);
    });

    it('times out at the timeout time when the result was scheduled after the timeout, and ignores the late callback', () => {
      const clock = new Clock();
      const d = new Deferred<string>();
      d.addTimeout(10, clock);
      let late: unknown;
      clock.callLater(10, () => {
        try {
          d.callback('too late');
        } catch (error) {
          late = error;
        }
      });
      clock.advance(10);
      failureResultOf(d, TimeoutError);
      expect(late).toBeUndefined(); // no canceller: the one late callback of the abandoned work is ignored
      expect(clock.getDelayedCalls()).toHaveLength(0);
    });
  });
});
