import { describe, expect, it } from '@jest/globals';
import { deferLater } from '../../src/deferred/defer-later.js';
import { Deferred } from '../../src/deferred/deferred.js';
import { CancelledError } from '../../src/errors.js';
import { Clock } from '../../src/time/clock.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';

describe('deferLater()', () => {
  it('calls the function with its arguments after the delay and fires with its result', () => {
    const clock = new Clock();
    const d = deferLater(clock, 100, (a: number, b: number) => a + b, 2, 3);
    clock.advance(99);
    assertNoResult(d);
    clock.advance(1);
    expect(successResultOf(d)).toBe(5);
  });

  it('fires with undefined when no function is given', () => {
    const clock = new Clock();
    const d = deferLater(clock, 10);
    clock.advance(10);
    expect(successResultOf(d)).toBeUndefined();
  });

  it("fails with the function's error", () => {
    const clock = new Clock();
    const d = deferLater(clock, 1, () => {
      throw new RangeError('late failure');
    });
    clock.advance(1);
    failureResultOf(d, RangeError);
  });

  it('follows a Deferred the function returns', () => {
    const clock = new Clock();
    const inner = new Deferred<string>();
    const d = deferLater(clock, 1, () => inner);
    clock.advance(1);
    assertNoResult(d);
    inner.callback('inner');
    expect(successResultOf(d)).toBe('inner');
  });

  it('on cancel errbacks with CancelledError, removes the call, and never runs the function', () => {
    const clock = new Clock();
    let ran = false;
    const d = deferLater(clock, 50, () => (ran = true));
    d.cancel();
    failureResultOf(d, CancelledError);
    expect(clock.getDelayedCalls()).toHaveLength(0);
    clock.advance(100);
    expect(ran).toBe(false);
  });

  it('throws RangeError for a negative delay', () => {
    expect(() => deferLater(new Clock(), -1)).toThrow(RangeError);
  });
});
