/**
 * `chainDeferred()` given something that is not a Deferred, and chained Deferreds that loop back.
 *
 * A bad `other` used to be accepted and to fail only when the chain fired: the runner then read a private field of
 * a value that has none and threw `TypeError` out of `callback()` (into whoever fired the Deferred: a timer, a
 * worker's message handler), with the rest of the chain never run. It is bad input to a synchronous method, refused
 * where it was written, as `addCallback(42)` is. Chains that loop back (`a` fires `b`, `b` fires `a`, or `a` itself)
 * end with a named error in the chain, each Deferred firing once: no overflow, no hang.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { AlreadyCalledError, Deferred } from '../../src/index.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

describe('Deferred', () => {
  describe('.chainDeferred()', () => {
    it.each([
      ['undefined', undefined],
      ['null', null],
      ['a number', 42],
      ['a Promise', Promise.resolve(1)],
      ['a Proxy of a Deferred', new Proxy(new Deferred<number>(), {})],
      ['a revoked Proxy', revokedProxy()],
      ['an object without a primitive value', Object.create(null) as object],
    ])('throws TypeError for %s and leaves the chain as it was', (_name, other) => {
      const d = new Deferred<number>();
      expect(() => d.chainDeferred(other as Deferred<number>)).toThrow(
        expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(/^Expected `other` to be a Deferred, got /) }),
      );
      const seen: number[] = [];
      d.addCallback((n) => seen.push(n));
      expect(() => d.callback(1)).not.toThrow();
      expect(seen).toEqual([1]);
    });

    it('on two Deferreds chained to each other, fires each once and fails the second with AlreadyCalledError', () => {
      const a = new Deferred<number>();
      const b = new Deferred<number>();
      let runs = 0;
      b.addBoth((r) => {
        runs++;
        return r;
      });
      a.chainDeferred(b);
      b.chainDeferred(a);
      expect(() => a.callback(1)).not.toThrow();
      expect(runs).toBe(1);
      expect(successResultOf(a)).toBeUndefined();
      failureResultOf(b, AlreadyCalledError);
    });

    it('on a Deferred chained to itself, fails its chain with AlreadyCalledError', () => {
      const a = new Deferred<number>();
      a.chainDeferred(a);
      expect(() => a.callback(1)).not.toThrow();
      failureResultOf(a, AlreadyCalledError);
    });
  });
});
