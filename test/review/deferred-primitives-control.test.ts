/**
 * `DeferredLock`, `DeferredSemaphore` and `DeferredQueue` under cascades: waiters whose handlers release or put
 * again at once (`run(fn)` with a synchronous `fn`, a consumer feeding the queue). Every waiter must fire exactly
 * once, in order, however many there are, and the primitive must end free; a waiter cancelled after it was given
 * the lock, token or item but before it fired must still get it (no lost token, no lost item).
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { CancelledError, type Deferred, DeferredLock, DeferredQueue, DeferredSemaphore, Failure } from '../../src/index.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

/** Far more waiters than nested firing allows (about a thousand overflowed the stack). */
const waiters = 20_000;

/** What each Deferred holds now: its result, a Failure, or 'pending'. */
function outcomes(ds: ReadonlyArray<Deferred<unknown>>): unknown[] {
  return ds.map((d) => {
    let seen: unknown = 'pending';
    d.addBoth((r) => {
      seen = r;
      return r;
    });
    if (seen instanceof Failure) d.addErrback(() => undefined);
    return seen;
  });
}

/** What the lock and the semaphore share, as these tests use them. */
interface Primitive {
  readonly locked: boolean;
  acquire(): Deferred<unknown>;
  release(): void;
  run<R>(fn: () => R): Deferred<unknown>;
}

const primitives: Array<[string, () => Primitive]> = [
  ['DeferredLock', () => new DeferredLock()],
  ['DeferredSemaphore', () => new DeferredSemaphore(1)],
];

describe.each(primitives)('%s', (_name, make) => {
  describe('.run()', () => {
    it(`fires each of ${waiters} queued synchronous runs once, in order, and ends free`, () => {
      const primitive = make();
      successResultOf(primitive.acquire());
      const order: number[] = [];
      const runs = Array.from({ length: waiters }, (_, i) =>
        primitive.run(() => {
          order.push(i);
          return i;
        }),
      );
      primitive.release();
      expect(outcomes(runs)).toEqual(runs.map((_, i) => i));
      expect(order).toEqual(runs.map((_, i) => i));
      expect(primitive.locked).toBe(false);
    });
  });

  describe('.release()', () => {
    it("called in a waiter's handler, fires the next waiter after that handler returns", () => {
      const primitive = make();
      successResultOf(primitive.acquire());
      const seen: string[] = [];
      const first = primitive.acquire();
      const second = primitive.acquire();
      first.addCallback(() => {
        primitive.release();
        seen.push(`first released; second fired: ${String(second.called)}`);
      });
      second.addCallback(() => seen.push('second'));
      primitive.release();
      expect(seen).toEqual(['first released; second fired: false', 'second']);
    });
  });

  describe('.acquire()', () => {
    it('cancelled after the release that granted it but before it fired, fires with the grant', () => {
      const primitive = make();
      successResultOf(primitive.acquire());
      const first = primitive.acquire();
      const second = primitive.acquire();
      first.addCallback(() => {
        primitive.release(); // grants `second`, which fires once this handler returns
        second.cancel();
      });
      primitive.release();
      expect(successResultOf(second)).toBe(primitive);
      expect(primitive.locked).toBe(true); // `second` holds it
      primitive.release();
      expect(primitive.locked).toBe(false);
    });

    it('cancelled while queued behind a grant still waiting to fire, leaves the queue', () => {
      const primitive = make();
      successResultOf(primitive.acquire());
      const first = primitive.acquire();
      const second = primitive.acquire();
      const third = primitive.acquire();
      first.addCallback(() => {
        primitive.release(); // grants `second`
        third.cancel();
      });
      primitive.release();
      failureResultOf(third, CancelledError);
      expect(successResultOf(second)).toBe(primitive);
      primitive.release();
      expect(primitive.locked).toBe(false);
    });
  });
});

describe('DeferredQueue', () => {
  describe('.put()', () => {
    it(`hands each item to its getter once, in order, when ${waiters} getters each put the next item`, () => {
      const queue = new DeferredQueue<number>();
      const gets = Array.from({ length: waiters }, () =>
        queue.get().addCallback((n) => {
          if (n + 1 < waiters) queue.put(n + 1);
          return n;
        }),
      );
      queue.put(0);
      expect(outcomes(gets)).toEqual(gets.map((_, i) => i));
      expect(queue.waiting).toBe(0);
      expect(queue.pending).toBe(0);
    });
  });

  describe('.get()', () => {
    it('cancelled after a put gave it an item but before it fired, fires with the item', () => {
      const queue = new DeferredQueue<string>();
      const first = queue.get();
      const second = queue.get();
      first.addCallback(() => {
        queue.put('for second');
        second.cancel();
      });
      queue.put('for first');
      expect(successResultOf(second)).toBe('for second');
      expect(queue.pending).toBe(0);
    });
  });

  it.each([
    ['size', () => new DeferredQueue(1.5)],
    ['backlog', () => new DeferredQueue(Infinity, 0.5)],
  ])('throws RangeError for a fractional %s, which would admit one more than it says', (name, create) => {
    expect(create).toThrow(new RegExp(`\`${name}\` to be a non-negative integer or Infinity`));
  });
});
