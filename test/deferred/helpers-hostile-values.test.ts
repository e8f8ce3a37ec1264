import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { ensureDeferred } from '../../src/deferred/ensure-deferred.js';
import { inlineCallbacks } from '../../src/deferred/inline-callbacks.js';
import { maybeDeferred } from '../../src/deferred/maybe-deferred.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { revokedProxy, withThrowingThen, withThrowingThenGetter } from '../helpers/hostile-values.js';

describe('inlineCallbacks() with hostile awaitables', () => {
  it("throws a yielded object's then-getter error back into the generator at that yield", () => {
    const error = new RangeError('then getter');
    const seen: unknown[] = [];
    const f = inlineCallbacks(function* () {
      try {
        yield withThrowingThenGetter(error);
      } catch (caught) {
        seen.push(caught);
      }
      return 'went on';
    });
    const d = f();
    expect(successResultOf(d)).toBe('went on');
    expect(seen).toEqual([error]);
  });

  it('errbacks (not throws) when the generator does not catch a then-getter error at its yield', () => {
    const error = new RangeError('then getter');
    const f = inlineCallbacks(function* () {
      yield withThrowingThenGetter(error);
    });
    let d: Deferred<unknown> | undefined;
    expect(() => (d = f())).not.toThrow();
    expect(failureResultOf(d!).value).toBe(error);
  });

  it('errbacks with the then-getter error of a returned object after a real wait', () => {
    const error = new RangeError('then getter on the return value');
    const pending = new Deferred<number>();
    const f = inlineCallbacks(function* () {
      yield pending;
      return withThrowingThenGetter(error);
    });
    const d = f();
    expect(() => pending.callback(1)).not.toThrow();
    expect(failureResultOf(d).value).toBe(error);
  });

  it('errbacks with the error a returned thenable throws from its then', () => {
    const error = new RangeError('then throws');
    const f = inlineCallbacks(function* () {
      return withThrowingThen(error);
    });
    let d: Deferred<unknown> | undefined;
    expect(() => (d = f())).not.toThrow();
    expect(failureResultOf(d!).value).toBe(error);
  });

  it('keeps the first outcome of a returned thenable that resolves and then throws, firing once', () => {
    const f = inlineCallbacks(function* () {
      return withThrowingThen(new RangeError('after resolving'), (resolve) => resolve('first'));
    });
    const d = f();
    expect(successResultOf(d)).toBe('first');
  });
});

describe('Deferred.fromPromise() with a thenable whose then throws', () => {
  it('errbacks with the error instead of throwing', () => {
    const error = new RangeError('then throws');
    let d: Deferred<unknown> | undefined;
    expect(() => (d = Deferred.fromPromise(withThrowingThen(error)))).not.toThrow();
    expect(failureResultOf(d!).value).toBe(error);
  });

  it('fires once with the first outcome when then calls a handler and then throws or calls another', () => {
    const resolvedThenThrew = Deferred.fromPromise(withThrowingThen(new RangeError('late'), (resolve) => resolve(1)));
    expect(successResultOf(resolvedThenThrew)).toBe(1);
    const error = new RangeError('first');
    let secondCall: unknown = 'not made';
    const rejectedThenResolved = Deferred.fromPromise({
      then(resolve: (v: unknown) => void, reject: (r: unknown) => void) {
        reject(error);
        try {
          resolve(2);
          secondCall = 'ignored';
        } catch (thrown) {
          secondCall = thrown;
        }
      },
    } as PromiseLike<unknown>);
    expect(failureResultOf(rejectedThenResolved).value).toBe(error);
    expect(secondCall).toBe('ignored'); // as a Promise's resolving functions are: no AlreadyCalledError
  });
});

describe('inlineCallbacks() with Proxies', () => {
  it('throws the error of probing a yielded revoked Proxy back in at the yield instead of throwing out of the call', () => {
    const seen: unknown[] = [];
    const f = inlineCallbacks(function* () {
      try {
        yield revokedProxy();
      } catch (caught) {
        seen.push(caught);
      }
      return 'went on';
    });
    let d: Deferred<unknown> | undefined;
    expect(() => (d = f())).not.toThrow();
    expect(successResultOf(d!)).toBe('went on');
    expect(seen).toEqual([expect.any(TypeError)]);
  });

  it('resumes the generator with a revoked Proxy that a yielded Deferred fired with', () => {
    const proxy = revokedProxy();
    const source = new Deferred<unknown>();
    const f = inlineCallbacks(function* () {
      const v: unknown = yield source;
      return v === proxy;
    });
    const d = f();
    source.callback(proxy);
    expect(successResultOf(d)).toBe(true);
  });

  it('follows a yielded or returned Proxy of a Deferred as a thenable: its then fails, and the call fails with it', () => {
    const seen: unknown[] = [];
    const f = inlineCallbacks(function* () {
      try {
        yield new Proxy(new Deferred<number>(), {});
      } catch (caught) {
        seen.push(caught);
      }
      return new Proxy(new Deferred<number>(), {});
    });
    let d: Deferred<unknown> | undefined;
    expect(() => (d = f())).not.toThrow();
    expect(seen).toEqual([expect.any(TypeError)]);
    expect(failureResultOf(d!).value).toBeInstanceOf(TypeError);
  });
});

describe('maybeDeferred(), ensureDeferred() and Deferred.fromPromise() with Proxies', () => {
  it('maybeDeferred fails with TypeError, not throwing, for a function returning a Proxy of a Deferred or a revoked Proxy', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    for (const returned of [new Proxy(new Deferred<number>(), {}), proxy]) {
      let d: Deferred<unknown> | undefined;
      expect(() => (d = maybeDeferred(() => returned))).not.toThrow();
      expect(() => d!.addCallback((v) => v)).not.toThrow(); // a real Deferred, not the Proxy
      expect(failureResultOf(d!).value).toBeInstanceOf(TypeError);
    }
  });

  it('ensureDeferred and fromPromise give a real Deferred that fails for a Proxy of a Deferred', () => {
    for (const convert of [ensureDeferred, (p: PromiseLike<unknown>) => Deferred.fromPromise(p)] as Array<(p: PromiseLike<unknown>) => Deferred<unknown>>) {
      const d = convert(new Proxy(new Deferred<number>(), {}));
      expect(() => d.addCallback((v) => v)).not.toThrow();
      expect(failureResultOf(d).value).toBeInstanceOf(TypeError);
    }
  });
});

