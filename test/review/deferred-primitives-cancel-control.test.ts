/**
 * `DeferredLock`, `DeferredSemaphore` and `DeferredQueue` with a waiting Deferred cancelled at each step of its
 * hand-over: inside its own callback (granted: nothing changes), from another waiter's callback while it is still
 * in line (it leaves the line, the next one is served), and from another waiter's callback after its hand-over was
 * queued behind that callback (granted: it fires with what it was given). After each, the counts are exact: no
 * lock, token or item lost, none given to a cancelled waiter.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { CancelledError, Deferred, DeferredLock, DeferredQueue, DeferredSemaphore } from '../../src/index.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

/** The lock and a one-token semaphore, seen the same way: `free` is "nobody holds it". */
interface Held {
  acquire(): Deferred<unknown>;
  release(): void;
  readonly free: boolean;
}

const primitives: Array<[string, () => Held]> = [
  [
    'DeferredLock',
    () => {
      const lock = new DeferredLock();
      return { acquire: () => lock.acquire(), release: () => lock.release(), get free() { return !lock.locked; } };
    },
  ],
  [
    'DeferredSemaphore(1)',
    () => {
      const sem = new DeferredSemaphore(1);
      return { acquire: () => sem.acquire(), release: () => sem.release(), get free() { return sem.tokens === sem.limit; } };
    },
  ],
];

/** A new primitive, acquired once (a holder the test releases). */
function heldAlready(make: () => Held): Held {
  const p = make();
  p.acquire();
  return p;
}

/** Someone still holds `p`, and one `release()` frees it. */
function expectHeldUntilOneRelease(p: Held): void {
  expect(p.free).toBe(false);
  p.release();
  expect(p.free).toBe(true);
}

describe.each(primitives)('%s', (_name, make) => {
  describe('.acquire() cancelled', () => {
    it('inside its own callback, keeps the grant: still held until it releases', () => {
      const p = heldAlready(make);
      const b = p.acquire();
      b.addCallback((r) => {
        b.cancel();
        return r;
      });
      p.release();
      successResultOf(b);
      expectHeldUntilOneRelease(p);
    });

    it("from another waiter's callback while still in line, leaves the line and the next waiter is served", () => {
      const p = heldAlready(make);
      const [b, c, d] = [p.acquire(), p.acquire(), p.acquire()];
      b.addCallback(() => {
        c.cancel();
        p.release();
      });
      p.release();
      failureResultOf(c, CancelledError);
      successResultOf(d);
      expectHeldUntilOneRelease(p);
    });

    it("from another waiter's callback after its hand-over was queued, fires with the grant", () => {
      const p = heldAlready(make);
      const [b, c] = [p.acquire(), p.acquire()];
      b.addCallback(() => {
        p.release(); // c's hand-over waits for this callback to return
        expect(c.called).toBe(false);
        c.cancel();
        expect(c.called).toBe(true);
      });
      p.release();
      successResultOf(c);
      expectHeldUntilOneRelease(p);
    });

    it('one after another, each from the callback of the one granted before it, ends free with every waiter fired once', () => {
      const p = heldAlready(make);
      const line = Array.from({ length: 6 }, () => p.acquire());
      let fired = 0;
      line.forEach((w, i) => {
        w.addBoth((r) => {
          fired++;
          return r;
        });
        // Each granted one cancels the next in line and releases: every other waiter is cancelled while in line.
        w.addCallback(() => {
          line[i + 1]?.cancel();
          p.release();
        });
      });
      p.release();
      expect(fired).toBe(6);
      line.forEach((w, i) => {
        if (i % 2 === 0) successResultOf(w);
        else failureResultOf(w, CancelledError);
      });
      expect(p.free).toBe(true);
    });
  });
});

describe('DeferredQueue', () => {
  describe('.get() cancelled', () => {
    it('inside its own callback, keeps its item: nothing stored, nobody waiting', () => {
      const q = new DeferredQueue<string>();
      const g = q.get();
      g.addCallback((item) => {
        g.cancel();
        return item;
      });
      q.put('a');
      expect(successResultOf(g)).toBe('a');
      expect([q.pending, q.waiting]).toEqual([0, 0]);
    });

    it("from another getter's callback while still in line, leaves the line and the next put goes to the getter after it", () => {
      const q = new DeferredQueue<string>();
      const [g1, g2, g3] = [q.get(), q.get(), q.get()];
      g1.addCallback(() => g2.cancel());
      q.put('a');
      failureResultOf(g2, CancelledError);
      expect(q.waiting).toBe(1);
      q.put('b');
      expect(successResultOf(g3)).toBe('b');
      expect([q.pending, q.waiting]).toEqual([0, 0]);
    });

    it("from another getter's callback after its hand-over was queued, fires with its item", () => {
      const q = new DeferredQueue<string>();
      const [g1, g2] = [q.get(), q.get()];
      g1.addCallback(() => {
        q.put('b'); // g2's hand-over waits for this callback to return
        g2.cancel();
      });
      q.put('a');
      expect([successResultOf(g1), successResultOf(g2)]).toEqual([undefined, 'b']);
      expect([q.pending, q.waiting]).toEqual([0, 0]);
    });
  });
});
