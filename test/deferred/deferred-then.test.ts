import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Failure } from '../../src/deferred/failure.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { nextTurn } from '../helpers/next-turn.js';

describe('Deferred', () => {
  describe('.then()', () => {
    it('does not run its handler inside then() when the Deferred already fired', async () => {
      const d = new Deferred<number>();
      d.callback(1);
      const seen: string[] = [];
      const p = d.then((n) => seen.push(`handler ${n}`));
      seen.push('then returned');
      await p;
      expect(seen).toEqual(['then returned', 'handler 1']);
    });

    it('does not run its handlers inside the callback() or errback() that fires the Deferred', async () => {
      const ok = new Deferred<number>();
      const failed = new Deferred<number>();
      const seen: string[] = [];
      const p1 = ok.then((n) => seen.push(`fulfilled ${n}`));
      const p2 = failed.then(undefined, (reason: Error) => seen.push(`rejected ${reason.message}`));
      ok.callback(2);
      failed.errback(new Error('no'));
      seen.push('fired');
      await Promise.all([p1, p2]);
      expect(seen).toEqual(['fired', 'fulfilled 2', 'rejected no']);
    });

    it('runs a handler that comes due while other handlers run after them, not inside the one that fired it', async () => {
      const first = new Deferred<string>();
      const second = new Deferred<string>();
      const seen: string[] = [];
      const p2 = second.then((s) => seen.push(s));
      const p1 = first.then((s) => {
        second.callback('second');
        seen.push(s);
      });
      first.callback('first');
      await Promise.all([p1, p2]);
      expect(seen).toEqual(['first', 'second']);
    });

    it('runs each handler in the async context of the code that called then(), as a Promise does, not the firer\'s', async () => {
      const store = new AsyncLocalStorage<string>();
      const d = new Deferred<number>();
      const failed = new Deferred<number>();
      const seen: Array<string | undefined> = [];
      const p1 = store.run('caller a', () => d.then(() => seen.push(store.getStore())));
      const p2 = store.run('caller b', () => d.then(() => seen.push(store.getStore())));
      const p3 = store.run('caller c', () => failed.then(undefined, () => seen.push(store.getStore())));
      store.run('firer', () => {
        d.callback(1);
        failed.errback(new Error('no'));
      });
      await Promise.all([p1, p2, p3]);
      expect(seen).toEqual(['caller a', 'caller b', 'caller c']);
    });

    it("runs the handler of a Deferred that already fired in the async context of the code that called then()", async () => {
      const store = new AsyncLocalStorage<string>();
      const d = store.run('firer', () => {
        const fired = new Deferred<number>();
        fired.callback(1);
        return fired;
      });
      const seen: Array<string | undefined> = [];
      const p1 = store.run('caller a', () => d.then(() => seen.push(store.getStore())));
      const p2 = store.run('caller b', () => d.then(() => seen.push(store.getStore())));
      await Promise.all([p1, p2]);
      expect(seen).toEqual(['caller a', 'caller b']);
    });

    it('runs the handlers of links and of calls after firing in then() order, each with the result at its call', async () => {
      const d = new Deferred<number>();
      const seen: string[] = [];
      const p1 = d.then((n) => seen.push(`before firing ${n}`));
      d.callback(1);
      const p2 = d.then((n) => seen.push(`fired ${n}`));
      d.addCallback((n) => n * 10);
      const p3 = d.then((n) => seen.push(`after a callback ${n}`));
      d.pause();
      const p4 = d.then((n) => seen.push(`paused ${n}`));
      d.unpause();
      const p5 = d.then((n) => seen.push(`unpaused ${n}`));
      await Promise.all([p1, p2, p3, p4, p5]);
      expect(seen).toEqual(['before firing 1', 'fired 1', 'after a callback 10', 'paused 10', 'unpaused 10']);
    });

    it.each([
      ['paused by pause()', (d: Deferred<string>): (() => void) => (d.pause(), () => d.unpause()), 'fired'],
      [
        'waiting on a chained Deferred',
        (d: Deferred<string>): (() => void) => {
          const inner = new Deferred<string>();
          d.addCallback(() => inner);
          return () => inner.callback('from the inner one');
        },
        'from the inner one',
      ],
    ])('settles the Promise of a Deferred %s only once its chain goes on, with the result then', async (_, stop, expected) => {
      const d = new Deferred<string>();
      d.callback('fired');
      const resume = stop(d);
      let settled = false;
      const p = d.then((s) => {
        settled = true;
        return s;
      });
      await nextTurn(); // every microtask queued so far has run
      expect(settled).toBe(false);
      resume();
      await expect(p).resolves.toBe(expected);
    });

    it.each([
      ['fired before then()', true],
      ['fired after then()', false],
    ])('rejects with what its handler throws and with the failure value when a Deferred %s', async (_, firstFire) => {
      const ok = new Deferred<number>();
      const failed = new Deferred<number>();
      const error = new Error('the failure');
      const fire = (): void => {
        ok.callback(1);
        failed.errback(error);
      };
      if (firstFire) fire();
      const thrown = new Error('from onFulfilled');
      const p1 = ok.then(() => {
        throw thrown;
      });
      const p2 = failed.then(() => 'not this');
      if (!firstFire) fire();
      await expect(p1).rejects.toBe(thrown);
      await expect(p2).rejects.toBe(error);
    });

    it('keeps nothing a handler holds alive once the Deferred and its Promise are dropped', async () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      expect(gc).toBeDefined(); // the suite runs with --expose-gc
      const held = ((): WeakRef<object> => {
        const target = { what: 'what a pending then() handler holds (an awaiting function, a reactor)' };
        void new Deferred<number>().then(() => target);
        return new WeakRef(target);
      })();
      await nextTurn(); // a WeakRef keeps its target until the job ends
      gc!();
      expect(held.deref()).toBeUndefined();
    });

    it('runs the handlers of one Deferred in the order then() was called, each with the result at its link', async () => {
      const d = new Deferred<number>();
      const seen: number[] = [];
      const p1 = d.then((n) => seen.push(n));
      d.addCallback((n) => n * 10);
      const p2 = d.then((n) => seen.push(n));
      const p3 = d.then((n) => seen.push(n + 1));
      d.callback(1);
      await Promise.all([p1, p2, p3]);
      expect(seen).toEqual([1, 10, 11]);
    });

    it('keeps the links before and after a then() that follows one link, each then() seeing the result at its link', async () => {
      const d = new Deferred<number>();
      d.addCallback((n) => n + 1);
      const p1 = d.then((n) => n);
      d.addCallback((n) => n * 10);
      const p2 = d.then((n) => n);
      d.callback(1);
      await expect(Promise.all([p1, p2])).resolves.toEqual([2, 20]);
      expect(successResultOf(d)).toBe(20);
    });

    it('settles a then() called inside the only callback of its Deferred, with the result after that callback', async () => {
      const d = new Deferred<number>();
      let settled: number | undefined;
      d.addCallback((n) => {
        void d.then((m) => (settled = m));
        return n + 1;
      });
      d.callback(1);
      await nextTurn(); // every microtask queued so far has run
      expect(settled).toBe(2);
    });

    it("resolves its Promise with the handler's return value and adopts a returned Promise or Deferred", async () => {
      const d = new Deferred<number>();
      d.callback(3);
      await expect(d.then((n) => n * 2)).resolves.toBe(6);
      await expect(d.then((n) => Promise.resolve(n + 1))).resolves.toBe(4);
      const inner = new Deferred<string>();
      const adopted = d.then(() => inner);
      inner.callback('inner');
      await expect(adopted).resolves.toBe('inner');
    });

    it('rejects its Promise with what the handler throws, on either side', async () => {
      const ok = new Deferred<number>();
      ok.callback(1);
      const thrown = new Error('from onFulfilled');
      await expect(
        ok.then(() => {
          throw thrown;
        }),
      ).rejects.toBe(thrown);
      const failed = new Deferred<number>();
      failed.errback(new Error('original'));
      const rethrown = new Error('from onRejected');
      await expect(
        failed.then(undefined, () => {
          throw rethrown;
        }),
      ).rejects.toBe(rethrown);
    });

    it('passes the result or the failure value through when it has no handler for it', async () => {
      const ok = new Deferred<string>();
      ok.callback('kept');
      await expect(ok.then(undefined, () => 'not this')).resolves.toBe('kept');
      const failed = new Deferred<string>();
      const error = new Error('passed on');
      failed.errback(error);
      await expect(failed.then(() => 'not this')).rejects.toBe(error);
      await expect(failed.then()).rejects.toBe(error);
    });

    it('leaves a failure it observed handled, and the chain still holds it', async () => {
      const d = new Deferred<number>();
      const f = new Failure(new Error('seen'));
      const p = d.then(undefined, () => 'handled');
      d.errback(f);
      await expect(p).resolves.toBe('handled');
      expect(failureResultOf(d)).toBe(f);
    });
  });

  describe('.asPromise()', () => {
    it('gives a Promise of its own that adopts a Promise the Deferred fired with', async () => {
      const inner = Promise.resolve(5);
      const d = new Deferred<Promise<number>>();
      d.callback(inner);
      const p = d.asPromise();
      expect(p).not.toBe(inner);
      await expect(p).resolves.toBe(5);
    });


    it('rejects with the failure value at that point and leaves the chain free to recover', async () => {
      const d = new Deferred<number>();
      const error = new Error('at that point');
      const p = d.asPromise();
      d.addErrback(() => 7);
      d.errback(error);
      await expect(p).rejects.toBe(error);
      expect(successResultOf(d)).toBe(7);
    });
  });
});
