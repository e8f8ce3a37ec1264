import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { DeferredLock } from '../../src/deferred/deferred-lock.js';
import { CancelledError } from '../../src/errors.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';

describe('DeferredLock', () => {
  describe('.acquire()', () => {
    it('fires at once with the lock when it is free', () => {
      const lock = new DeferredLock();
      expect(successResultOf(lock.acquire())).toBe(lock);
      expect(lock.locked).toBe(true);
    });

    it('makes later callers wait, served FIFO as the lock is released', () => {
      const lock = new DeferredLock();
      lock.acquire();
      const order: string[] = [];
      lock.acquire().addCallback(() => order.push('first'));
      lock.acquire().addCallback(() => order.push('second'));
      expect(order).toEqual([]);
      lock.release();
      expect(order).toEqual(['first']);
      lock.release();
      expect(order).toEqual(['first', 'second']);
      lock.release();
      expect(lock.locked).toBe(false);
    });

    it('on cancel of a pending acquire, leaves the queue with CancelledError', () => {
      const lock = new DeferredLock();
      lock.acquire();
      const waiting = lock.acquire();
      waiting.cancel();
      failureResultOf(waiting, CancelledError);
      lock.release();
      expect(lock.locked).toBe(false);
    });

    it('ignores cancel of a granted acquire', () => {
      const lock = new DeferredLock();
      const granted = lock.acquire();
      granted.cancel();
      expect(successResultOf(granted)).toBe(lock);
      expect(lock.locked).toBe(true);
    });
  });

  describe('.release()', () => {
    it('throws when the lock is not held', () => {
      expect(() => new DeferredLock().release()).toThrow(RangeError);
    });
  });

  describe('.run()', () => {
    it("releases after fn's Deferred fires, and gives its result", () => {
      const lock = new DeferredLock();
      const work = new Deferred<string>();
      const d = lock.run((x: string) => work.addCallback((w) => w + x), '!');
      expect(lock.locked).toBe(true);
      work.callback('done');
      expect(successResultOf(d)).toBe('done!');
      expect(lock.locked).toBe(false);
    });

    it('releases after fn throws, and fails with the error', () => {
      const lock = new DeferredLock();
      const d = lock.run(() => {
        throw new TypeError('inside');
      });
      failureResultOf(d, TypeError);
      expect(lock.locked).toBe(false);
    });

    it('waits for the lock before calling fn', () => {
      const lock = new DeferredLock();
      lock.acquire();
      let ran = false;
      const d = lock.run(() => (ran = true));
      expect(ran).toBe(false);
      assertNoResult(d);
      lock.release();
      expect(ran).toBe(true);
      expect(lock.locked).toBe(false);
    });
  });
});
