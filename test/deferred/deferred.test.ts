import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Failure } from '../../src/deferred/failure.js';
import { AlreadyCalledError, CancelledError } from '../../src/errors.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';

describe('Deferred', () => {
  describe('.callback()', () => {
    it('runs the handlers synchronously, before it returns', () => {
      const d = new Deferred<number>();
      const seen: number[] = [];
      d.addCallback((n) => seen.push(n));
      d.callback(1);
      expect(seen).toEqual([1]);
      expect(d.called).toBe(true);
    });

    it('throws AlreadyCalledError when called a second time', () => {
      const d = new Deferred<number>();
      d.callback(1);
      expect(() => d.callback(2)).toThrow(expect.objectContaining({ name: 'AlreadyCalledError', code: 'ERR_ALREADY_CALLED' }));
      expect(() => d.errback(new Error('late'))).toThrow(AlreadyCalledError);
      expect(successResultOf(d)).toBe(1);
    });

    it('with a Failure behaves like errback()', () => {
      const d = new Deferred<unknown>();
      const f = new Failure(new Error('as callback'));
      d.callback(f);
      expect(failureResultOf(d)).toBe(f);
    });

    it('throws TypeError when given a Deferred', () => {
      const d = new Deferred<unknown>();
      expect(() => d.callback(new Deferred())).toThrow(TypeError);
      expect(d.called).toBe(false);
    });
  });

  describe('.errback()', () => {
    it('wraps a non-Failure reason in a Failure', () => {
      const d = new Deferred();
      const error = new RangeError('r');
      d.errback(error);
      const f = failureResultOf(d, RangeError);
      expect(f).toBeInstanceOf(Failure);
      expect(f.value).toBe(error);
    });

    it('keeps a Failure it is given', () => {
      const d = new Deferred();
      const f = new Failure('x');
      d.errback(f);
      expect(failureResultOf(d)).toBe(f);
    });

    it('uses a generic Error when called without a reason', () => {
      const d = new Deferred();
      d.errback();
      expect(failureResultOf(d).type).toBe(Error);
    });
  });

  describe('.addCallback()', () => {
    it('runs at once when the Deferred already fired', () => {
      const d = new Deferred<string>();
      d.callback('a');
      let seen: string | undefined;
      d.addCallback((s) => (seen = s));
      expect(seen).toBe('a');
    });

    it('passes extra arguments after the result', () => {
      const d = new Deferred<number>();
      d.addCallback((n: number, a: string, b: number) => `${n}${a}${b}`, '-', 2);
      d.callback(1);
      expect(successResultOf(d)).toBe('1-2');
    });

    it('returns the same Deferred', () => {
      const d = new Deferred<number>();
      expect(d.addCallback((n) => n) as unknown).toBe(d);
    });

    it('uses the return value as the next result', () => {
      const d = new Deferred<number>();
      d.addCallback((n) => n + 1).addCallback((n) => n * 10);
      d.callback(1);
      expect(successResultOf(d)).toBe(20);
    });

    it('is skipped while the chain is failing', () => {
      const d = new Deferred<number>();
      let ran = false;
      d.addCallback(() => (ran = true));
      d.errback(new Error('e'));
      expect(ran).toBe(false);
      failureResultOf(d);
    });

    it('throws TypeError for a non-function', () => {
      expect(() => new Deferred().addCallback(5 as never)).toThrow(TypeError);
    });
  });

  describe('.addErrback()', () => {
    it('switches back to the callback side when it returns normally', () => {
      const d = new Deferred<number>();
      const steps: string[] = [];
      d.addErrback((f) => {
        steps.push(`eb:${f.getErrorMessage()}`);
        return 5;
      });
      d.addCallback((n) => steps.push(`cb:${String(n)}`));
      d.errback(new Error('e1'));
      expect(steps).toEqual(['eb:e1', 'cb:5']);
    });

    it('is skipped on success', () => {
      const d = new Deferred<number>();
      let ran = false;
      d.addErrback(() => (ran = true));
      d.callback(3);
      expect(ran).toBe(false);
      expect(successResultOf(d)).toBe(3);
    });

    it('keeps failing with the same Failure when trap() does not match', () => {
      const d = new Deferred();
      const f = new Failure(new RangeError('r'));
      d.addErrback((failure) => failure.trap(TypeError));
      d.errback(f);
      expect(failureResultOf(d)).toBe(f);
    });

    it('passes extra arguments after the failure', () => {
      const d = new Deferred();
      d.addErrback((f: Failure, tag: string) => `${tag}:${f.getErrorMessage()}`, 'x');
      d.errback(new Error('m'));
      expect(successResultOf(d)).toBe('x:m');
    });
  });

  describe('.addCallbacks()', () => {
    it('runs only the callback on success and only the errback on failure', () => {
      const ok = new Deferred<number>();
      ok.addCallbacks((n) => `cb${n}`, () => 'eb');
      ok.callback(1);
      expect(successResultOf(ok)).toBe('cb1');
      const bad = new Deferred<number>();
      bad.addCallbacks((n) => `cb${n}`, () => 'eb');
      bad.errback(new Error());
      expect(successResultOf(bad)).toBe('eb');
    });

    it('does not run the errback when its own callback throws', () => {
      const d = new Deferred<number>();
      let errbackRan = false;
      d.addCallbacks(
        () => {
          throw new Error('from callback');
        },
        () => (errbackRan = true),
      );
      d.callback(1);
      expect(errbackRan).toBe(false);
      expect(failureResultOf(d).getErrorMessage()).toBe('from callback');
    });

    it('passes callbackArgs and errbackArgs', () => {
      const d1 = new Deferred<number>();
      d1.addCallbacks((n: number, x: string) => `${n}${x}`, null, { callbackArgs: ['c'], errbackArgs: ['e'] });
      d1.callback(1);
      expect(successResultOf(d1)).toBe('1c');
      const d2 = new Deferred<number>();
      d2.addCallbacks(null, (_f: Failure, x: string) => x, { callbackArgs: ['c'], errbackArgs: ['e'] });
      d2.errback(new Error());
      expect(successResultOf(d2)).toBe('e');
    });
  });

  describe('.addBoth()', () => {
    it('runs on either side and its return value continues the chain', () => {
      const d = new Deferred<number>();
      d.addBoth((r) => (r instanceof Failure ? 'failed' : 'ok'));
      d.errback(new Error());
      expect(successResultOf(d)).toBe('failed');
    });
  });

  describe('chain rules', () => {
    it('switches to the errback side when a callback throws', () => {
      const d = new Deferred<number>();
      const error = new Error('thrown');
      d.addCallback(() => {
        throw error;
      });
      d.callback(1);
      expect(failureResultOf(d).value).toBe(error);
    });

    it('switches to the errback side when a callback returns a Failure', () => {
      const d = new Deferred<number>();
      const f = new Failure(new Error('returned'));
      d.addCallback(() => f);
      d.callback(1);
      expect(failureResultOf(d)).toBe(f);
    });

    it('keeps a thrown Failure as it is', () => {
      const d = new Deferred<number>();
      const f = new Failure(new Error('thrown failure'));
      d.addCallback(() => {
        throw f;
      });
      d.callback(1);
      expect(failureResultOf(d)).toBe(f);
    });

    it('runs a 10,000-handler chain without growing the stack', () => {
      const d = new Deferred<number>();
      for (let i = 0; i < 10_000; i++) d.addCallback((n) => n + 1);
      d.callback(0);
      expect(successResultOf(d)).toBe(10_000);
    });

    it('appends handlers added while a handler runs and runs them after it returns', () => {
      const d = new Deferred<number>();
      const order: string[] = [];
      d.addCallback((n) => {
        d.addCallback((m) => {
          order.push(`added:${m}`);
          return m;
        });
        order.push('first-end');
        return n + 1;
      });
      d.addCallback((n) => {
        order.push(`second:${n}`);
        return n;
      });
      d.callback(1);
      expect(order).toEqual(['first-end', 'second:2', 'added:2']);
    });
  });

  describe('.pause() / .unpause()', () => {
    it('holds handlers while paused and runs them on unpause', () => {
      const d = new Deferred<number>();
      const seen: number[] = [];
      d.addCallback((n) => seen.push(n));
      d.pause();
      expect(d.paused).toBe(true);
      d.callback(1);
      expect(seen).toEqual([]);
      d.unpause();
      expect(seen).toEqual([1]);
      expect(d.paused).toBe(false);
    });

    it('nests: handlers run only after as many unpauses as pauses', () => {
      const d = new Deferred<number>();
      d.pause();
      d.pause();
      d.callback(1);
      d.unpause();
      assertNoResult(d);
      d.unpause();
      expect(successResultOf(d)).toBe(1);
    });

    it('stops the rest of the chain when a handler pauses its own Deferred', () => {
      const d = new Deferred<number>();
      const seen: string[] = [];
      d.addCallback((n) => {
        d.pause();
        seen.push('first');
        return n;
      });
      d.addCallback(() => seen.push('second'));
      d.callback(1);
      expect(seen).toEqual(['first']);
      d.unpause();
      expect(seen).toEqual(['first', 'second']);
    });

    it('holds handlers added while paused after firing', () => {
      const d = new Deferred<number>();
      d.callback(1);
      d.pause();
      let ran = false;
      d.addCallback(() => (ran = true));
      expect(ran).toBe(false);
      d.unpause();
      expect(ran).toBe(true);
    });

    it('ignores an unpause without a pause', () => {
      const d = new Deferred<number>();
      d.unpause();
      d.pause();
      d.callback(1);
      assertNoResult(d);
    });
  });

  describe('.chainDeferred()', () => {
    it('fires the other Deferred with the result; this chain goes on with undefined', () => {
      const a = new Deferred<number>();
      const b = new Deferred<number>();
      a.chainDeferred(b);
      a.callback(4);
      expect(successResultOf(b)).toBe(4);
      expect(successResultOf(a)).toBeUndefined();
    });

    it('passes a failure on to the other Deferred', () => {
      const a = new Deferred<number>();
      const b = new Deferred<number>();
      a.chainDeferred(b);
      a.errback(new CancelledError());
      failureResultOf(b, CancelledError);
      expect(successResultOf(a)).toBeUndefined();
    });
  });

  describe('.toString()', () => {
    it('describes pending and fired Deferreds', () => {
      const d = new Deferred<number>();
      expect(d.toString()).toContain('pending');
      d.callback(1);
      expect(d.toString()).toContain('number');
    });
  });
});
