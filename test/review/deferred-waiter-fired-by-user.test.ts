/**
 * A waiter of a DeferredLock, DeferredSemaphore or DeferredQueue whose Deferred its user fired while it waited
 * (misuse: `cancel()` is the way to stop waiting). `release()`/`put()` used to hand the lock, the token or the item
 * to it anyway: its `callback()` threw `AlreadyCalledError` out of `release()`/`put()`, the lock stayed locked and
 * the token or item was lost for ever, with live waiters behind it never served. Such a waiter no longer waits: it
 * is passed over, and what was freed goes to the next waiter, or back to the primitive.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { DeferredLock, DeferredQueue, DeferredSemaphore } from '../../src/index.js';
import { successResultOf } from '../helpers/deferred-results.js';

describe('DeferredLock', () => {
  describe('.release()', () => {
    it('passes over a waiter its user fired: the next waiter gets the lock, then it is free', () => {
      const lock = new DeferredLock();
      lock.acquire();
      const fired = lock.acquire();
      const next = lock.acquire();
      fired.callback(lock);
      expect(() => lock.release()).not.toThrow();
      expect(successResultOf(next)).toBe(lock);
      lock.release();
      expect(lock.locked).toBe(false);
    });
  });
});

describe('DeferredSemaphore', () => {
  describe('.release()', () => {
    it('passes over a waiter its user fired: the next waiter gets the token, then it is back', () => {
      const semaphore = new DeferredSemaphore(1);
      semaphore.acquire();
      const fired = semaphore.acquire();
      const next = semaphore.acquire();
      fired.errback(new Error('gave up'));
      fired.addErrback(() => null);
      expect(() => semaphore.release()).not.toThrow();
      expect(successResultOf(next)).toBe(semaphore);
      semaphore.release();
      expect(semaphore.tokens).toBe(1);
    });
  });
});

describe('DeferredQueue', () => {
  describe('.put()', () => {
    it('passes over a getter its user fired: the item goes to the next getter, or is kept', () => {
      const queue = new DeferredQueue<string>();
      const fired = queue.get();
      const next = queue.get();
      fired.callback('mine');
      expect(() => queue.put('a')).not.toThrow();
      expect(successResultOf(next)).toBe('a');
      const firedToo = queue.get();
      firedToo.callback('mine');
      queue.put('b');
      expect(successResultOf(queue.get())).toBe('b');
    });
  });
});
