import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Failure } from '../../src/deferred/failure.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { nextTurn } from '../helpers/next-turn.js';

describe('Deferred', () => {
  describe('returning a Deferred from a handler', () => {
    it('pauses the chain until the inner Deferred fires, then goes on with its result', () => {
      const outer = new Deferred<number>();
      const inner = new Deferred<number>();
      const seen: number[] = [];
      outer.addCallback(() => inner).addCallback((n) => seen.push(n));
      outer.callback(1);
      expect(outer.paused).toBe(true);
      expect(seen).toEqual([]);
      inner.callback(7);
      expect(seen).toEqual([7]);
      expect(outer.paused).toBe(false);
    });

    it("switches to the errback side on the inner Deferred's failure", () => {
      const outer = new Deferred<number>();
      const inner = new Deferred<number>();
      outer.addCallback(() => inner);
      outer.callback(1);
      const error = new Error('inner failed');
      inner.errback(error);
      expect(failureResultOf(outer).value).toBe(error);
    });

    it('takes the result of an already-fired inner Deferred at once', () => {
      const outer = new Deferred<number>();
      const inner = new Deferred<number>();
      inner.callback(3);
      outer.addCallback(() => inner).addCallback((n) => n * 2);
      outer.callback(1);
      expect(successResultOf(outer)).toBe(6);
    });

    it("leaves the inner Deferred's result undefined after handing it over (already fired)", () => {
      const outer = new Deferred<number>();
      const inner = new Deferred<number>();
      inner.callback(3);
      outer.addCallback(() => inner);
      outer.callback(1);
      expect(successResultOf(inner)).toBeUndefined();
      expect(successResultOf(outer)).toBe(3);
    });

    it("leaves the inner Deferred's result undefined after handing it over (fired later)", () => {
      const outer = new Deferred<number>();
      const inner = new Deferred<number>();
      outer.addCallback(() => inner);
      outer.callback(1);
      inner.errback(new Error('moved'));
      expect(successResultOf(inner)).toBeUndefined();
      expect(failureResultOf(outer).getErrorMessage()).toBe('moved');
    });

    it("runs the inner Deferred's own handlers first, then hands over what they produce", () => {
      const outer = new Deferred<number>();
      const inner = new Deferred<number>();
      inner.addCallback((n) => n + 100);
      outer.addCallback(() => inner);
      outer.callback(1);
      inner.callback(1);
      expect(successResultOf(outer)).toBe(101);
    });

    it('waits for a paused inner Deferred to be unpaused', () => {
      const outer = new Deferred<number>();
      const inner = new Deferred<number>();
      inner.callback(5);
      inner.pause();
      outer.addCallback(() => inner);
      outer.callback(1);
      assertNoResult(outer);
      inner.unpause();
      expect(successResultOf(outer)).toBe(5);
    });

    it('errbacks with TypeError when a Deferred is returned from its own callbacks', () => {
      const d = new Deferred<number>();
      d.addCallback(() => d);
      d.callback(1);
      expect(failureResultOf(d, TypeError).getErrorMessage()).toMatch(/own callbacks/);
    });

    it('runs 10,000 nested chained Deferreds without growing the stack', () => {
      const innermost = new Deferred<number>();
      let previous: Deferred<number> = innermost;
      const all: Deferred<number>[] = [];
      for (let i = 0; i < 10_000; i++) {
        const waitOn = previous;
        const d = new Deferred<number>();
        d.addCallback(() => waitOn).addCallback((n) => n + 1);
        d.callback(0);
        all.push(d);
        previous = d;
      }
      innermost.callback(0);
      expect(successResultOf(previous)).toBe(10_000);
      expect(all.every((d) => !d.paused)).toBe(true);
    });

    it('runs a chain of 10,000 already-fired returned Deferreds without growing the stack', () => {
      const d = new Deferred<number>();
      for (let i = 0; i < 10_000; i++) {
        d.addCallback((n) => {
          const inner = new Deferred<number>();
          inner.callback(n + 1);
          return inner;
        });
      }
      d.callback(0);
      expect(successResultOf(d)).toBe(10_000);
    });

    it('lets several outer Deferreds wait on one inner in turn; only the first gets its result', () => {
      const inner = new Deferred<string>();
      const a = new Deferred<number>();
      const b = new Deferred<number>();
      a.addCallback(() => inner);
      b.addCallback(() => inner);
      a.callback(1);
      b.callback(1);
      inner.callback('x');
      expect(successResultOf(a)).toBe('x');
      expect(successResultOf(b)).toBeUndefined();
    });
  });

  describe('returning a Promise or thenable from a handler', () => {
    it('pauses until the Promise resolves, then goes on with its value', async () => {
      const d = new Deferred<number>();
      let resolve!: (n: number) => void;
      const p = new Promise<number>((r) => (resolve = r));
      d.addCallback(() => p).addCallback((n) => n + 1);
      d.callback(0);
      expect(d.paused).toBe(true);
      resolve(41);
      await p;
      expect(successResultOf(d)).toBe(42);
    });

    it('switches to the errback side with the rejection reason', async () => {
      const d = new Deferred<number>();
      const error = new Error('rejected');
      const p = Promise.reject(error);
      d.addCallback(() => p);
      d.callback(0);
      await p.catch(() => undefined);
      expect(failureResultOf(d).value).toBe(error);
    });

    it('accepts any thenable, also one that calls back synchronously', () => {
      const d = new Deferred<number>();
      const thenable = { then: (onFulfilled: (v: number) => void) => onFulfilled(9) };
      d.addCallback(() => thenable).addCallback((n) => n * 2);
      d.callback(0);
      expect(successResultOf(d)).toBe(18);
    });

    it('fails when the thenable throws from then()', () => {
      const d = new Deferred<number>();
      const thenable = {
        then: () => {
          throw new Error('bad thenable');
        },
      };
      d.addCallback(() => thenable);
      d.callback(0);
      expect(failureResultOf(d).getErrorMessage()).toBe('bad thenable');
    });
  });

  describe('.then() / await', () => {
    it('yields the current result', async () => {
      const d = new Deferred<number>();
      d.addCallback((n) => n * 3);
      d.callback(2);
      await expect(d).resolves.toBe(6);
    });

    it("throws the failure's value", async () => {
      const d = new Deferred<number>();
      const error = new Error('awaited');
      d.errback(error);
      await expect(d).rejects.toBe(error);
    });

    it('waits for a Deferred fired later', async () => {
      const d = new Deferred<string>();
      const awaited = (async () => await d)();
      d.callback('later');
      await expect(awaited).resolves.toBe('later');
    });

    it("does not change the chain's result", async () => {
      const d = new Deferred<number>();
      d.callback(1);
      await d.then((n) => n + 100);
      expect(successResultOf(d)).toBe(1);
      const failed = new Deferred<number>();
      const f = new Failure(new Error('kept'));
      failed.errback(f);
      await failed.then(undefined, () => 'handled');
      expect(failureResultOf(failed)).toBe(f);
    });
  });

  describe('.asPromise()', () => {
    it('resolves with the result at that point of the chain', async () => {
      const d = new Deferred<number>();
      const p = d.asPromise();
      d.addCallback((n) => n + 1);
      d.callback(1);
      await expect(p).resolves.toBe(1);
      expect(successResultOf(d)).toBe(2);
    });
  });

  describe('Deferred.fromPromise()', () => {
    it('fires with the resolved value', async () => {
      const p = Promise.resolve(5);
      const d = Deferred.fromPromise(p);
      await p;
      expect(successResultOf(d)).toBe(5);
    });

    it('errbacks with a Failure of the rejection reason, even a non-error', async () => {
      const p = Promise.reject('just a string');
      const d = Deferred.fromPromise(p);
      await p.catch(() => undefined);
      expect(failureResultOf(d).value).toBe('just a string');
    });

    it('returns a Deferred given as it is', () => {
      const d = new Deferred<number>();
      expect(Deferred.fromPromise(d)).toBe(d);
    });

    it('errbacks with CancelledError on cancel() and ignores the late outcome', async () => {
      let resolve!: (n: number) => void;
      const p = new Promise<number>((r) => (resolve = r));
      const d = Deferred.fromPromise(p);
      d.cancel();
      failureResultOf(d, Error);
      resolve(1);
      await nextTurn(); // every reaction to p has run, however many hops
      expect(failureResultOf(d).type?.name).toBe('CancelledError');
    });
  });
});
