import { describe, expect, it } from '@jest/globals';
import { Deferred, observe } from '../../src/deferred/deferred.js';
import { Failure } from '../../src/deferred/failure.js';
import { failureResultOf } from '../helpers/deferred-results.js';
import { revokedProxy } from '../helpers/hostile-values.js';

/** The result `d` holds now, read by a handler that hands it on unchanged (no thenable check reads it). */
function currentResult(d: Deferred<any>): unknown {
  let seen: unknown = 'not fired';
  observe(d, (r) => (seen = r));
  return seen;
}

describe('observe()', () => {
  it('calls the observer synchronously with the result and leaves the chain unchanged', () => {
    const d = new Deferred<number>();
    const seen: unknown[] = [];
    observe(d, (r) => seen.push(r));
    d.addCallback((n) => n + 1);
    d.callback(1);
    expect(seen).toEqual([1]);
    expect(currentResult(d)).toBe(2);
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

  it('leaves a revoked Proxy as the result: observing never reads its then', () => {
    const d = new Deferred<object>();
    const proxy = revokedProxy();
    const seen: unknown[] = [];
    observe(d, (r) => seen.push(r));
    d.callback(proxy);
    expect(seen.length === 1 && seen[0] === proxy).toBe(true);
    expect(currentResult(d) === proxy).toBe(true);
  });

  it('leaves a pending Promise as the result: observing does not make the Deferred wait on it', () => {
    const d = new Deferred<Promise<never>>();
    const pending = new Promise<never>(() => undefined);
    observe(d, () => undefined);
    d.callback(pending);
    expect(currentResult(d)).toBe(pending);
    expect(d.toString()).not.toBe('Deferred (waiting)');
  });
});
