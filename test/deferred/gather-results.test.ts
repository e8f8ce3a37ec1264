import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { gatherResults } from '../../src/deferred/gather-results.js';
import { succeed } from '../../src/deferred/succeed.js';
import { CancelledError } from '../../src/errors.js';
import { FirstError } from '../../src/deferred/first-error.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';

describe('gatherResults()', () => {
  it('fires with the results in input order', () => {
    const a = new Deferred<number>();
    const d = gatherResults([a, succeed(2)]);
    assertNoResult(d);
    a.callback(1);
    expect(successResultOf(d)).toEqual([1, 2]);
  });

  it('fires [] for no members', () => {
    expect(successResultOf(gatherResults([]))).toEqual([]);
  });

  it('errbacks with FirstError at the first failure', () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    const d = gatherResults([a, b], true);
    b.errback(new TypeError('bad'));
    const firstError = failureResultOf(d, FirstError).value as FirstError;
    expect(firstError.index).toBe(1);
    expect(firstError.subFailure.check(TypeError)).toBe(TypeError);
  });

  it("with consumeErrors, the failed member's later handlers see undefined", () => {
    const a = new Deferred<number>();
    const d = gatherResults([a], true);
    a.errback(new Error('x'));
    expect(successResultOf(a)).toBeUndefined();
    failureResultOf(d, FirstError);
  });

  it('with consumeErrors, a member failing after the first failure is consumed too', () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    const d = gatherResults([a, b], true);
    a.errback(new Error('first'));
    b.errback(new Error('second'));
    expect((failureResultOf(d, FirstError).value as FirstError).index).toBe(0);
    expect(successResultOf(b)).toBeUndefined();
  });

  it('fires once with the values, whatever order the members fire in', () => {
    const a = new Deferred<string>();
    const b = new Deferred<string>();
    const c = new Deferred<string>();
    const d = gatherResults([a, b, c]);
    c.callback('c');
    a.callback('a');
    assertNoResult(d);
    b.callback('b');
    expect(successResultOf(d)).toEqual(['a', 'b', 'c']);
  });

  it('without consumeErrors, the failed member keeps its failure', () => {
    const a = new Deferred<number>();
    const d = gatherResults([a]);
    a.errback(new Error('x'));
    failureResultOf(a);
    failureResultOf(d, FirstError);
  });

  it('on cancel, cancels the members', () => {
    const a = new Deferred<number>();
    const d = gatherResults([a], true);
    d.cancel();
    expect((failureResultOf(d, FirstError).value as FirstError).subFailure.check(CancelledError)).toBe(CancelledError);
    expect(a.called).toBe(true);
  });
});
