/**
 * Thenables that call back synchronously, from inside their own `then` (a hand-written thenable, a cache that already
 * has the value, a library's "resolved" object). SPEC §1: a callback returning any thenable pauses the chain until it
 * settles, and chains of any length run iteratively; an `inlineCallbacks` yield of one waits for it, and thousands of
 * yields that need no waiting do not grow the stack. Each such settlement used to run the rest of the chain (or resume
 * the generator) from inside the thenable's `then`, one nesting per thenable: about 10,000 in a row overflowed the
 * stack, and the `RangeError`, thrown back through the `then`s above, reached waits that were no longer current and
 * was dropped: the Deferred stayed pending for ever. Such a settlement now goes on in the loop that called `then`.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { CancelledError, Deferred, inlineCallbacks } from '../../src/index.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';

/** Far deeper than the JavaScript stack allows for a few frames per level. */
const depth = 100_000;

/** A thenable that fulfils with `value` from inside `then`, before `then` returns. */
function calledBack<T>(value: T): PromiseLike<T> {
  return {
    then(onFulfilled) {
      onFulfilled?.(value);
      return this as never;
    },
  };
}

/** A thenable that fulfils with `value` from inside `then`, then misbehaves (`how`). */
function misbehaving(value: number, how: 'calls back again' | 'throws after calling back'): PromiseLike<number> {
  return {
    then(onFulfilled, onRejected) {
      onFulfilled?.(value);
      if (how === 'throws after calling back') throw new Error('then threw after calling back');
      onFulfilled?.(value + 1);
      onRejected?.(new Error('rejected after calling back'));
      return this as never;
    },
  };
}

describe('Deferred', () => {
  describe('a callback returning a thenable that calls back synchronously', () => {
    it(`runs ${depth.toLocaleString('en-US')} of them in a row in one loop (no stack growth)`, () => {
      const d = new Deferred<number>();
      for (let i = 0; i < depth; i++) d.addCallback((n: number) => calledBack(n + 1));
      d.callback(0);
      expect(successResultOf(d)).toBe(depth);
    });

    it.each(['calls back again', 'throws after calling back'] as const)(
      'takes its first outcome only when it %s',
      (how) => {
        const d = new Deferred<number>();
        d.addCallback(() => misbehaving(7, how)).addCallback((n: number) => n * 2);
        d.callback(0);
        expect(successResultOf(d)).toBe(14);
      },
    );

    it('runs each handler once when its then, after calling back, adds a handler (appended, run in order)', () => {
      const d = new Deferred<number>();
      const seen: string[] = [];
      d.addCallback(() => {
        seen.push('first');
        if (seen.length > 1) return 0; // guard: a re-run must not loop for ever
        return {
          then(onFulfilled: (value: number) => void) {
            onFulfilled(1);
            d.addCallback((n: number) => seen.push(`added ${n}`));
          },
        } as unknown as number;
      });
      d.addCallback((n: number) => (seen.push(`second ${n}`), n));
      d.callback(0);
      expect(seen).toEqual(['first', 'second 1', 'added 1']);
    });

    it('goes on with CancelledError when its then cancels the Deferred before calling back', () => {
      const d = new Deferred<number>();
      d.addCallback(
        () =>
          ({
            then(onFulfilled: (value: number) => void) {
              d.cancel();
              onFulfilled(1); // dropped: the wait was abandoned
            },
          }) as unknown as number,
      );
      const after: unknown[] = [];
      d.addBoth((r) => {
        after.push((r as { type?: unknown }).type);
        return r;
      });
      d.callback(0);
      expect(after).toEqual([CancelledError]);
      failureResultOf(d, CancelledError);
    });

    it('still waits when its then calls back later (on a later turn)', async () => {
      const d = new Deferred<number>();
      d.addCallback(() => Promise.resolve(5));
      d.callback(0);
      assertNoResult(d);
      expect(await d).toBe(5);
    });
  });
});

describe('inlineCallbacks()', () => {
  describe('yielding a thenable that calls back synchronously', () => {
    it(`resumes ${depth.toLocaleString('en-US')} yields of them in one loop (no stack growth)`, () => {
      const run = inlineCallbacks(function* (): Generator<unknown, number, number> {
        let sum = 0;
        for (let i = 0; i < depth; i++) sum += yield calledBack(1);
        return sum;
      });
      expect(successResultOf(run())).toBe(depth);
    });

    it.each(['calls back again', 'throws after calling back'] as const)(
      'resumes once, with its first outcome, when it %s',
      (how) => {
        const seen: number[] = [];
        const run = inlineCallbacks(function* (): Generator<unknown, number[], number> {
          seen.push(yield misbehaving(7, how));
          seen.push(yield misbehaving(8, how));
          return seen;
        });
        expect(successResultOf(run())).toEqual([7, 8]);
      },
    );

    it('cancelled from inside the then after it called back, cancels the next wait', () => {
      const gate = new Deferred<void>();
      const next = new Deferred<number>();
      const ref: { outer?: Deferred<string> } = {};
      const thenable: PromiseLike<number> = {
        then(onFulfilled) {
          onFulfilled?.(1);
          ref.outer!.cancel();
          return this as never;
        },
      };
      const run = inlineCallbacks(function* (): Generator<unknown, string, number> {
        yield gate;
        yield thenable;
        try {
          yield next;
          return 'not cancelled';
        } catch (error) {
          return (error as Error).name;
        }
      });
      const outer = (ref.outer = run());
      gate.callback();
      expect(successResultOf(outer)).toBe('CancelledError');
      expect(next.called).toBe(true);
    });
  });
});
