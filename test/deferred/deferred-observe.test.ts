import { describe, expect, it } from '@jest/globals';
import { Deferred, observe } from '../../src/deferred/deferred.js';
import { Failure } from '../../src/deferred/failure.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

describe('observe()', () => {
  it('calls the observer synchronously with the result and leaves the chain unchanged', () => {
    const d = new Deferred<number>();
    const seen: unknown[] = [];
    observe(d, (r) => seen.push(r));
    d.addCallback((n) => n + 1);
    d.callback(1);
    expect(seen).toEqual([1]);
    expect(successResultOf(d)).toBe(2);
  });

  it('passes a failure to the observer and keeps the chain failing with it', () => {
    const d = new Deferred<number>();
    const f = new Failure(new Error('observed'));
    d.errback(f);
    let seen: unknown;
    observe(d, (r) => (seen = r));
    expect(seen).toBe(f);
    expect(failureResultOf(d)).toBe(f);
  });

  it('fails the chain with what a throwing observer throws', () => {
    const d = new Deferred<number>();
    d.callback(1);
    observe(d, () => {
      throw new RangeError('observer bug');
    });
    failureResultOf(d, RangeError);
  });
});
