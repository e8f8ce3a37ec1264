import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Failure } from '../../src/deferred/failure.js';
import { inlineCallbacks } from '../../src/deferred/inline-callbacks.js';
import { maybeDeferred } from '../../src/deferred/maybe-deferred.js';
import { succeed } from '../../src/deferred/succeed.js';
import { successResultOf } from '../helpers/deferred-results.js';

/** Compile-time equality of two types; `true` only when they are identical. */
type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(_proof?: T): void => undefined;

describe('Deferred typing', () => {
  it('re-types the chain by what each handler returns, unwrapping Deferreds and Promises', async () => {
    const d = new Deferred<number>();
    const asString = d.addCallback((n) => String(n));
    const fromDeferred = asString.addCallback((s) => succeed(s.length));
    const fromPromise = fromDeferred.addCallback(async (n) => n > 0);
    const withFailure = fromPromise.addCallback((b): number | Failure => (b ? 1 : new Failure(new Error('no'))));
    assertType<Equal<typeof asString, Deferred<string>>>();
    assertType<Equal<typeof fromDeferred, Deferred<number>>>();
    assertType<Equal<typeof fromPromise, Deferred<boolean>>>();
    assertType<Equal<typeof withFailure, Deferred<number>>>();
    d.callback(12);
    await expect(withFailure).resolves.toBe(1);
  });

  it('widens the type with what an errback recovers to', () => {
    const d = new Deferred<number>();
    const recovered = d.addErrback(() => 'fallback');
    assertType<Equal<typeof recovered, Deferred<number | string>>>();
    d.errback(new Error());
    expect(successResultOf(recovered)).toBe('fallback');
  });

  it('is covariant: a Deferred<number> is a Deferred<unknown>', () => {
    const list: Array<Deferred<unknown>> = [new Deferred<number>(), new Deferred<string>()];
    expect(list).toHaveLength(2);
  });

  it('types inlineCallbacks and maybeDeferred by their functions', () => {
    const f = inlineCallbacks(function* (n: number) {
      const s = (yield succeed(String(n))) as string;
      return s.length;
    });
    const d = f(100);
    assertType<Equal<typeof d, Deferred<number>>>();
    const m = maybeDeferred(async (x: string) => x.toUpperCase(), 'a');
    assertType<Equal<typeof m, Deferred<string>>>();
    expect(successResultOf(d)).toBe(3);
    expect(m).toBeInstanceOf(Deferred);
  });

  it('awaits to the result type', async () => {
    const value: number = await succeed(5);
    expect(value).toBe(5);
  });
});
