/**
 * A waiter of a DeferredLock, DeferredSemaphore or DeferredQueue that was handed the lock, a token or an item while
 * another hand-over's handlers ran (so its own firing waits in `hand-over.ts`), and whose user fired its Deferred
 * before that turn came (misuse: `cancel()` is the way to stop waiting). What it was handed goes on to the next
 * waiter, or back to the primitive: nothing is thrown out of `release()`/`put()`, nothing is lost. And a queue's
 * `backlog` counts only getters that still wait.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Deferred, DeferredLock, DeferredQueue, DeferredSemaphore, QueueUnderflow } from '../../src/index.js';
import { successResultOf } from '../helpers/deferred-results.js';

describe.each([
  ['DeferredLock', (): DeferredLock | DeferredSemaphore => new DeferredLock()],
  ['DeferredSemaphore', (): DeferredLock | DeferredSemaphore => new DeferredSemaphore(1)],
])('%s', (_, make) => {
  describe('.release()', () => {
    it.each(['callback', 'errback'])(
      'passes what it frees on when a waiter whose hand-over is queued is fired by its user (%s)',
      (how) => {
        const held = make();
        held.acquire(); // held by the test
        const [first, handed, next] = [held.acquire(), held.acquire(), held.acquire()] as Array<Deferred<unknown>>;
        first!.addCallback(() => {
          held.release(); // to `handed`: its firing is queued behind first's handlers
          if (how === 'callback') handed!.callback(held); // its user fires it meanwhile
          else handed!.errback(new Error('gave up'));
        });
        handed!.addErrback(() => null);
        expect(() => held.release()).not.toThrow();
        expect(successResultOf(next!)).toBe(held);
        held.release();
        expect(held.locked).toBe(false);
      },
    );
  });
});

describe('DeferredQueue', () => {
  describe('.put()', () => {
    it('passes the item on when a getter whose hand-over is queued is fired by its user', () => {
      const queue = new DeferredQueue<string>();
      const [first, handed, next] = [queue.get(), queue.get(), queue.get()];
      first.addCallback(() => {
        queue.put('b'); // to `handed`, queued behind first's handlers
        handed.callback('mine');
      });
      expect(() => queue.put('a')).not.toThrow();
      expect(successResultOf(next)).toBe('b');
    });

    it('keeps the item, first in line, when no getter is left to take it', () => {
      const queue = new DeferredQueue<string>();
      const [first, handed] = [queue.get(), queue.get()];
      first.addCallback(() => {
        queue.put('b'); // to `handed`, which its user fires before its turn
        handed.callback('mine');
        queue.put('c'); // no getter left: stored
      });
      queue.put('a');
      expect(queue.pending).toBe(2);
      expect(successResultOf(queue.get())).toBe('b');
      expect(successResultOf(queue.get())).toBe('c');
    });
  });

  describe('.put(aDeferred)', () => {
    it('throws TypeError and leaves the waiting getter waiting, for the next item', () => {
      const queue = new DeferredQueue<unknown>();
      const getter = queue.get();
      expect(() => queue.put(new Deferred())).toThrow(TypeError);
      expect(getter.called).toBe(false);
      expect(queue.waiting).toBe(1);
      queue.put('a');
      expect(successResultOf(getter)).toBe('a');
    });

    it('throws TypeError and stores nothing when no getter waits', () => {
      const queue = new DeferredQueue<unknown>();
      expect(() => queue.put(new Deferred())).toThrow(TypeError);
      expect(queue.pending).toBe(0);
    });
  });

  describe('.get()', () => {
    it('does not count against the backlog getters their users fired', () => {
      const queue = new DeferredQueue<string>(Infinity, 2);
      const fired = queue.get();
      queue.get();
      fired.callback('mine');
      let d: Deferred<string> | undefined;
      expect(() => (d = queue.get())).not.toThrow();
      expect(queue.waiting).toBe(2);
      queue.put('a');
      queue.put('b');
      expect(successResultOf(d!)).toBe('b');
      expect(() => queue.get()).not.toThrow();
    });

    it('still refuses a getter past the backlog of getters that wait', () => {
      const queue = new DeferredQueue<string>(Infinity, 1);
      queue.get();
      expect(() => queue.get()).toThrow(QueueUnderflow);
      expect(queue.waiting).toBe(1);
    });
  });
});
