import { describe, expect, it } from '@jest/globals';
import { DeferredSemaphore } from '../../src/deferred/deferred-semaphore.js';
import { Deferred } from '../../src/deferred/deferred.js';
import { CancelledError } from '../../src/errors.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';

describe('DeferredSemaphore', () => {
  it.each([0, -1, 1.5, Number.NaN])('throws RangeError for %p tokens', (tokens) => {
    expect(() => new DeferredSemaphore(tokens)).toThrow(RangeError);
  });

  describe('.acquire()', () => {
    it('fires at once while tokens are left, then makes callers wait FIFO', () => {
      const sem = new DeferredSemaphore(2);
      expect(successResultOf(sem.acquire())).toBe(sem);
      successResultOf(sem.acquire());
      expect(sem.tokens).toBe(0);
      expect(sem.locked).toBe(true);
      const third = sem.acquire();
      const fourth = sem.acquire();
      assertNoResult(third);
      sem.release();
      successResultOf(third);
      assertNoResult(fourth);
      sem.release();
      successResultOf(fourth);
      expect(sem.limit).toBe(2);
    });

    it('on cancel of a pending acquire, leaves the queue', () => {
      const sem = new DeferredSemaphore(1);
      sem.acquire();
      const waiting = sem.acquire();
      waiting.cancel();
      failureResultOf(waiting, CancelledError);
      sem.release();
      expect(sem.tokens).toBe(1);
    });

    it('ignores cancel of a granted acquire', () => {
      const sem = new DeferredSemaphore(1);
      const granted = sem.acquire();
      granted.cancel();
      successResultOf(granted);
      expect(sem.tokens).toBe(0);
    });
  });

  describe('.release()', () => {
    it('throws when releasing past the limit', () => {
      const sem = new DeferredSemaphore(1);
      expect(() => sem.release()).toThrow(RangeError);
    });
  });

  describe('.run()', () => {
    it('runs at most `limit` at once and releases as each settles', () => {
      const sem = new DeferredSemaphore(2);
      const works = [new Deferred<number>(), new Deferred<number>(), new Deferred<number>()];
      const started: number[] = [];
      const results = works.map((w, i) =>
        sem.run(() => {
          started.push(i);
          return w;
        }),
      );
      expect(started).toEqual([0, 1]);
      works[0]?.callback(0);
      expect(started).toEqual([0, 1, 2]);
      works[1]?.errback(new Error('one failed'));
      works[2]?.callback(2);
      expect(successResultOf(results[0]!)).toBe(0);
      failureResultOf(results[1]!);
      expect(successResultOf(results[2]!)).toBe(2);
      expect(sem.tokens).toBe(2);
    });
  });
});
