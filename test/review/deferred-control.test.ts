/**
 * Adversarial tests of the Deferred core through the public API: unmatched `unpause()` while the chain waits,
 * thenables that misbehave (throwing `then`, settling twice, settling after `cancel()`), and hostile values (a
 * revoked Proxy, throwing getters) thrown or returned by handlers. Each pins "fires once, never throws out of
 * `callback()`, never wedges the chain".
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { CancelledError, Deferred, Failure, ensureDeferred, inlineCallbacks, maybeDeferred } from '../../src/index.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { revokedProxy } from '../helpers/hostile-values.js';

/** A thenable that hands its resolving functions out, so the test decides when (and how often) it settles. */
function manualThenable<T>(): { thenable: PromiseLike<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  const out = {} as { thenable: PromiseLike<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
  out.thenable = {
    then(onFulfilled: (v: T) => void, onRejected: (e: unknown) => void) {
      out.resolve = onFulfilled;
      out.reject = onRejected;
    },
  } as unknown as PromiseLike<T>;
  return out;
}

/** Records every result a link sees (the chain's result is passed on unchanged). */
function recordResults<T>(d: Deferred<T>): unknown[] {
  const seen: unknown[] = [];
  d.addBoth((r) => {
    seen.push(r);
    return r;
  });
  return seen;
}

describe('Deferred', () => {
  describe('.unpause()', () => {
    it('with no pause to undo, does not run the chain while it waits on a chained Deferred', () => {
      const inner = new Deferred<number>();
      const outer = new Deferred<number>();
      outer.addCallback(() => inner);
      const seen = recordResults(outer);
      outer.callback(1);
      outer.unpause();
      expect(seen).toEqual([]);
      expect(outer.paused).toBe(true);
      inner.callback(7);
      expect(seen).toEqual([7]);
      expect(successResultOf(outer)).toBe(7);
    });

    it('with no pause to undo, does not run the chain while it waits on a thenable', () => {
      const t = manualThenable<number>();
      const outer = new Deferred<number>();
      outer.addCallback(() => t.thenable);
      const seen = recordResults(outer);
      outer.callback(1);
      outer.unpause();
      expect(seen).toEqual([]);
      t.resolve(7);
      expect(seen).toEqual([7]);
    });

    it('undoes a user pause taken while waiting, and the chain runs once when the wait ends', () => {
      const inner = new Deferred<number>();
      const outer = new Deferred<number>();
      outer.addCallback(() => inner);
      const seen = recordResults(outer);
      outer.callback(1);
      outer.pause();
      outer.unpause();
      outer.unpause(); // one too many: must not undo the wait
      inner.callback(7);
      expect(seen).toEqual([7]);
    });
  });

  describe('.fromPromise()', () => {
    it('errbacks with the error a thenable\'s then threw', () => {
      const d = Deferred.fromPromise<number>({
        then() {
          throw new RangeError('then broke');
        },
      });
      expect(failureResultOf(d, RangeError).getErrorMessage()).toBe('then broke');
    });

    it('keeps the first outcome of a thenable that settles twice and throws nothing back into it', () => {
      const t = manualThenable<number>();
      const d = Deferred.fromPromise(t.thenable);
      t.resolve(1);
      expect(() => t.resolve(2)).not.toThrow();
      expect(() => t.reject(new Error('late'))).not.toThrow();
      expect(successResultOf(d)).toBe(1);
    });

    it('after cancel(), ignores every late outcome of the thenable', () => {
      const t = manualThenable<number>();
      const d = Deferred.fromPromise(t.thenable);
      d.cancel();
      expect(() => t.resolve(1)).not.toThrow();
      expect(() => t.resolve(2)).not.toThrow();
      failureResultOf(d, CancelledError);
    });

    it('errbacks with TypeError when a thenable fulfils with a Deferred, instead of throwing into it', () => {
      const t = manualThenable<unknown>();
      const d = Deferred.fromPromise(t.thenable);
      expect(() => t.resolve(new Deferred())).not.toThrow();
      failureResultOf(d, TypeError);
    });
  });

  describe('maybeDeferred()', () => {
    it('errbacks when the function returns a thenable whose then throws', () => {
      const d = maybeDeferred(() => ({
        then() {
          throw new RangeError('then broke');
        },
      }));
      failureResultOf(d, RangeError);
    });
  });

  describe('ensureDeferred()', () => {
    it('errbacks when the value\'s then getter throws', () => {
      const hostile = {
        get then(): unknown {
          throw new RangeError('getter broke');
        },
      };
      let d: Deferred<unknown> | undefined;
      expect(() => {
        d = ensureDeferred(hostile as unknown as PromiseLike<unknown>);
      }).not.toThrow();
      failureResultOf(d!, RangeError);
    });
  });

  describe('inlineCallbacks()', () => {
    it('errbacks when the function returns an object whose next getter throws', () => {
      const f = inlineCallbacks(
        (() => ({
          get next(): unknown {
            throw new RangeError('next broke');
          },
        })) as unknown as () => Generator<unknown, number>,
      );
      let d: Deferred<number> | undefined;
      expect(() => {
        d = f();
      }).not.toThrow();
      failureResultOf(d!, RangeError);
    });
  });

  describe('a handler that throws a hostile value', () => {
    it.each([
      ['a revoked Proxy', revokedProxy],
      [
        'an object whose constructor getter throws',
        () => ({
          get constructor(): unknown {
            throw new Error('constructor getter');
          },
        }),
      ],
      [
        'an object with no stack whose message getter throws',
        () => ({
          stack: '',
          get message(): unknown {
            throw new Error('message getter');
          },
        }),
      ],
    ])('with %s fails the chain with it, and later handlers still run', (_name, make) => {
      const thrown = make();
      const d = new Deferred<number>();
      d.addCallback(() => {
        throw thrown;
      });
      expect(() => d.callback(1)).not.toThrow();
      const seen = recordResults(d);
      expect(seen).toHaveLength(1);
      const failure = seen[0] as Failure;
      expect(failure).toBeInstanceOf(Failure);
      expect(failure.value).toBe(thrown);
      expect(typeof failure.getErrorMessage()).toBe('string');
      expect(typeof failure.getTraceback()).toBe('string');
      expect(failure.check(RangeError)).toBeNull();
      d.addErrback(() => undefined);
    });
  });

  describe('a handler that returns a hostile value', () => {
    it('returning a revoked Proxy fails the chain with TypeError instead of throwing from callback()', () => {
      const proxy = revokedProxy();
      const d = new Deferred<number>();
      d.addCallback(() => proxy);
      expect(() => d.callback(1)).not.toThrow();
      const seen = recordResults(d);
      // Reading its `then` throws, so the chain fails with that TypeError (as a Promise resolved with it rejects).
      expect(seen).toHaveLength(1);
      expect((seen[0] as Failure).check(TypeError)).toBe(TypeError);
      d.addErrback(() => undefined);
    });

    it('returning a Proxy of a pending Deferred fails the chain with TypeError instead of wedging it', () => {
      const d = new Deferred<number>();
      d.addCallback(() => new Proxy(new Deferred<number>(), {}));
      expect(() => d.callback(1)).not.toThrow();
      failureResultOf(d, TypeError);
    });

    it('callback() with a revoked Proxy hands it to the handlers', () => {
      const proxy = revokedProxy();
      const d = new Deferred<unknown>();
      const seen = recordResults(d);
      expect(() => d.callback(proxy)).not.toThrow();
      expect(seen).toHaveLength(1);
      expect(seen[0]).toBe(proxy);
      // The recording handler returned it, so the chain reads its `then` next, which fails it: consume that.
      failureResultOf(d, TypeError);
    });

    it('errback() with a revoked Proxy fails the chain with it', () => {
      const proxy = revokedProxy();
      const d = new Deferred<unknown>();
      const seen = recordResults(d);
      expect(() => d.errback(proxy)).not.toThrow();
      expect(seen).toHaveLength(1);
      expect((seen[0] as Failure).value).toBe(proxy);
      d.addErrback(() => undefined);
    });
  });
});
