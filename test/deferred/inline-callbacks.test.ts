import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { fail } from '../../src/deferred/fail.js';
import { inlineCallbacks } from '../../src/deferred/inline-callbacks.js';
import { succeed } from '../../src/deferred/succeed.js';
import { CancelledError } from '../../src/errors.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { nextTurn } from '../helpers/next-turn.js';

describe('inlineCallbacks()', () => {
  it('runs the generator synchronously up to its first wait', () => {
    const steps: string[] = [];
    const pending = new Deferred<number>();
    const f = inlineCallbacks(function* () {
      steps.push('start');
      yield pending;
      steps.push('after');
    });
    const d = f();
    expect(steps).toEqual(['start']);
    assertNoResult(d);
    pending.callback(1);
    expect(steps).toEqual(['start', 'after']);
  });

  it("resumes with a yielded Deferred's result and fires with the return value", () => {
    const a = new Deferred<number>();
    const f = inlineCallbacks(function* (base: number) {
      const x: number = yield a;
      const y: number = yield succeed(10);
      return base + x + y;
    });
    const d = f(100);
    a.callback(1);
    expect(successResultOf(d)).toBe(111);
  });

  it("throws a yielded Deferred's failure value into the generator", () => {
    const error = new RangeError('inside');
    const f = inlineCallbacks(function* () {
      try {
        yield fail(error);
      } catch (caught) {
        return caught;
      }
      return 'not reached';
    });
    expect(successResultOf(f())).toBe(error);
  });

  it('errbacks with what the generator throws, also before its first yield', () => {
    const f = inlineCallbacks(function* (): Generator<unknown, void> {
      throw new TypeError('early');
    });
    failureResultOf(f(), TypeError);
  });

  it('sends a value that is not waitable straight back', () => {
    const f = inlineCallbacks(function* () {
      const v: number = yield 5;
      return v * 2;
    });
    expect(successResultOf(f())).toBe(10);
  });

  it('waits for a yielded Promise and resumes with its value', async () => {
    const p = Promise.resolve('from promise');
    const f = inlineCallbacks(function* () {
      const v: string = yield p;
      return v.toUpperCase();
    });
    const d = f();
    assertNoResult(d);
    await expect(d).resolves.toBe('FROM PROMISE');
  });

  it('throws a rejected Promise\'s reason into the generator', async () => {
    const f = inlineCallbacks(function* () {
      try {
        yield Promise.reject(new Error('rejected'));
      } catch (error) {
        return (error as Error).message;
      }
      return 'no';
    });
    await expect(f()).resolves.toBe('rejected');
  });

  it('handles 10,000 already-fired yields without growing the stack', () => {
    const f = inlineCallbacks(function* () {
      let total = 0;
      for (let i = 0; i < 10_000; i++) total += (yield succeed(1)) as number;
      return total;
    });
    expect(successResultOf(f())).toBe(10_000);
  });

  it("consumes the yielded Deferred's result (Twisted's rule)", () => {
    const inner = succeed(3);
    const f = inlineCallbacks(function* () {
      return (yield inner) as number;
    });
    expect(successResultOf(f())).toBe(3);
    expect(successResultOf(inner)).toBeUndefined();
  });

  it('passes this and the arguments through', () => {
    const obj = {
      factor: 3,
      run: inlineCallbacks(function* (this: { factor: number }, n: number) {
        return n * this.factor;
      }),
    };
    expect(successResultOf(obj.run(2))).toBe(6);
  });

  it('follows a Deferred the generator returns', () => {
    const later = new Deferred<string>();
    const f = inlineCallbacks(function* () {
      return later;
    });
    const d = f();
    assertNoResult(d);
    later.callback('returned');
    expect(successResultOf(d)).toBe('returned');
  });

  it('errbacks with TypeError when the function does not return a generator', () => {
    const f = inlineCallbacks((() => 42) as unknown as () => Generator<unknown, number>);
    failureResultOf(f(), TypeError);
  });

  it('throws TypeError when given a non-function', () => {
    expect(() => inlineCallbacks(42 as never)).toThrow(TypeError);
  });

  describe('cancellation', () => {
    it('cancels the awaited Deferred and throws CancelledError into the generator', () => {
      let awaitedCancelled = false;
      const awaited = new Deferred<number>(() => (awaitedCancelled = true));
      let seen: unknown;
      const f = inlineCallbacks(function* () {
        try {
          yield awaited;
        } catch (error) {
          seen = error;
          throw error;
        }
      });
      const d = f();
      d.cancel();
      expect(awaitedCancelled).toBe(true);
      expect(seen).toBeInstanceOf(CancelledError);
      failureResultOf(d, CancelledError);
    });

    it('fires with what the generator returns after catching the cancellation', () => {
      const f = inlineCallbacks(function* () {
        try {
          yield new Deferred<number>();
        } catch {
          return 'cleaned up';
        }
        return 'not reached';
      });
      const d = f();
      d.cancel();
      expect(successResultOf(d)).toBe('cleaned up');
    });

    it('resumes with the value the awaited Deferred\'s canceller fired', () => {
      const awaited = new Deferred<string>((self) => self.callback('from canceller'));
      const f = inlineCallbacks(function* () {
        return (yield awaited) as string;
      });
      const d = f();
      d.cancel();
      expect(successResultOf(d)).toBe('from canceller');
    });

    it('stays pending when the generator catches and waits again; a later cancel() cancels the new wait', () => {
      const second = new Deferred<string>();
      const f = inlineCallbacks(function* () {
        try {
          yield new Deferred<number>();
        } catch {
          return (yield second) as string;
        }
        return 'not reached';
      });
      const d = f();
      d.cancel();
      assertNoResult(d);
      d.cancel();
      failureResultOf(d, CancelledError);
      expect(second.called).toBe(true);
    });

    it('abandons a Promise wait with CancelledError and drops its late outcome', async () => {
      let resolve!: (v: string) => void;
      const p = new Promise<string>((r) => (resolve = r));
      const resumed: unknown[] = [];
      const f = inlineCallbacks(function* () {
        try {
          resumed.push(yield p);
        } catch (error) {
          resumed.push(error);
        }
        return resumed.length;
      });
      const d = f();
      d.cancel();
      expect(resumed[0]).toBeInstanceOf(CancelledError);
      resolve('too late');
      await nextTurn(); // every reaction to p has run, however many hops
      expect(resumed).toHaveLength(1);
      expect(successResultOf(d)).toBe(1);
    });

    it('is a no-op once the generator finished', () => {
      const f = inlineCallbacks(function* () {
        return 1;
      });
      const d = f();
      d.cancel();
      expect(successResultOf(d)).toBe(1);
    });

    it('cancelled from inside the generator, cancels its next wait', () => {
      const gate = new Deferred<void>();
      const next = new Deferred<number>();
      const box: { own?: Deferred<number> } = {};
      const f = inlineCallbacks(function* () {
        yield gate;
        box.own?.cancel();
        return (yield next) as number;
      });
      const d = f();
      box.own = d;
      gate.callback(undefined);
      expect(next.called).toBe(true);
      failureResultOf(d, CancelledError);
    });

    it('cancelled from inside the generator, cancels the pending Deferred it then returns', () => {
      const gate = new Deferred<void>();
      let cancellerCalls = 0;
      const returned = new Deferred<number>(() => {
        cancellerCalls++;
      });
      const box: { own?: Deferred<number> } = {};
      const f = inlineCallbacks(function* () {
        yield gate;
        box.own?.cancel();
        return returned;
      });
      const d = f();
      box.own = d;
      gate.callback(undefined);
      expect(cancellerCalls).toBe(1);
      failureResultOf(d, CancelledError);
    });

    it('cancelled from inside the generator, fails with CancelledError at once when it then returns a pending Promise', async () => {
      const gate = new Deferred<void>();
      let resolve!: (v: number) => void;
      const box: { own?: Deferred<number> } = {};
      const f = inlineCallbacks(function* () {
        yield gate;
        box.own?.cancel();
        return new Promise<number>((r) => (resolve = r));
      });
      const d = f();
      box.own = d;
      gate.callback(undefined);
      failureResultOf(d, CancelledError);
      resolve(1); // the late outcome is dropped
      await nextTurn();
      failureResultOf(d, CancelledError);
    });
  });
});
