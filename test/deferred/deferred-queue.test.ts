import { describe, expect, it } from '@jest/globals';
import { DeferredQueue } from '../../src/deferred/deferred-queue.js';
import { CancelledError, QueueOverflow, QueueUnderflow } from '../../src/errors.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';

describe('DeferredQueue', () => {
  describe('.get()', () => {
    it('fires at once with the oldest stored item', () => {
      const q = new DeferredQueue<number>();
      q.put(1);
      q.put(2);
      expect(successResultOf(q.get())).toBe(1);
      expect(successResultOf(q.get())).toBe(2);
    });

    it('waits for the next put when empty; getters are served FIFO', () => {
      const q = new DeferredQueue<string>();
      const first = q.get();
      const second = q.get();
      assertNoResult(first);
      q.put('a');
      expect(successResultOf(first)).toBe('a');
      assertNoResult(second);
      q.put('b');
      expect(successResultOf(second)).toBe('b');
      expect(q.pending).toBe(0);
    });

    it('throws QueueUnderflow past `backlog` waiting getters', () => {
      const q = new DeferredQueue<number>(Infinity, 1);
      q.get();
      expect(() => q.get()).toThrow(expect.objectContaining({ name: 'QueueUnderflow', code: 'ERR_QUEUE_UNDERFLOW' }));
      expect(() => q.get()).toThrow(QueueUnderflow);
    });

    it('on cancel of a pending get, leaves the getters queue', () => {
      const q = new DeferredQueue<number>();
      const cancelled = q.get();
      const next = q.get();
      cancelled.cancel();
      failureResultOf(cancelled, CancelledError);
      expect(q.waiting).toBe(1);
      q.put(5);
      expect(successResultOf(next)).toBe(5);
    });

    it('on cancel of a pending get, frees its place in the backlog', () => {
      const q = new DeferredQueue<number>(Infinity, 1);
      const cancelled = q.get();
      cancelled.cancel();
      failureResultOf(cancelled, CancelledError);
      const next = q.get();
      q.put(4);
      expect(successResultOf(next)).toBe(4);
    });

    it('ignores cancel of a get that already has its item', () => {
      const q = new DeferredQueue<number>();
      q.put(3);
      const got = q.get();
      got.cancel();
      expect(successResultOf(got)).toBe(3);
    });
  });

  describe('.put()', () => {
    it('throws QueueOverflow past `size` stored items', () => {
      const q = new DeferredQueue<number>(1);
      q.put(1);
      expect(() => q.put(2)).toThrow(QueueOverflow);
      expect(q.pending).toBe(1);
    });

    it('hands the item to a waiting getter even when `size` is 0', () => {
      const q = new DeferredQueue<number>(0);
      const d = q.get();
      q.put(9);
      expect(successResultOf(d)).toBe(9);
    });
  });

  it.each([
    ['size', () => new DeferredQueue(-1)],
    ['backlog', () => new DeferredQueue(1, Number.NaN)],
  ])('throws RangeError for an invalid %s', (name, make) => {
    expect(make).toThrow(new RegExp(name));
  });
});
