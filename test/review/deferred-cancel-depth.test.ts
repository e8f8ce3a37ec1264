/**
 * `cancel()` on the outer end of a long chain of nested waits: each Deferred's callback returned the next one, so
 * the outermost waits on a Deferred that waits on another, and so on. SPEC §1 asks for chains of any length to run
 * without stack growth; cancelling such a chain must not recurse once per level either.
 *
 * @module
 */
import { describe, expect, it, jest } from '@jest/globals';
import { CancelledError, Deferred } from '../../src/index.js';
import { failureResultOf } from '../helpers/deferred-results.js';

/** Far deeper than the JavaScript stack allows for one frame per level (about 10,000 on Node 20's default stack). */
const depth = 100_000;

/** `levels` Deferreds, each fired and waiting on the next; returns the outermost and every level, outermost first. */
function nestedWaits(bottom: Deferred<number>, levels: number): Array<Deferred<number>> {
  const chain: Array<Deferred<number>> = [];
  let next = bottom;
  for (let i = 0; i < levels; i++) {
    const inner = next;
    const d = new Deferred<number>();
    d.addCallback(() => inner);
    d.callback(0);
    chain.push(d);
    next = d;
  }
  return chain.reverse();
}

describe('Deferred', () => {
  describe('.cancel()', () => {
    it('on the outer end of 100,000 nested waits, calls the innermost canceller once and fails every level', () => {
      const canceller = jest.fn<(d: Deferred<number>) => void>();
      const bottom = new Deferred<number>(canceller);
      const chain = nestedWaits(bottom, depth);
      expect(() => chain[0]!.cancel()).not.toThrow();
      expect(canceller).toHaveBeenCalledTimes(1);
      failureResultOf(chain[0]!, CancelledError);
      expect(chain.every((d) => !d.paused)).toBe(true);
    });

    it('on the outer end of 100,000 nested waits ending in a Promise, abandons the Promise with CancelledError', async () => {
      let resolve!: (n: number) => void;
      const promise = new Promise<number>((r) => (resolve = r));
      const bottom = new Deferred<number>();
      bottom.addCallback(() => promise);
      bottom.callback(0);
      const chain = nestedWaits(bottom, depth);
      expect(() => chain[0]!.cancel()).not.toThrow();
      failureResultOf(chain[0]!, CancelledError);
      resolve(5);
      await promise; // the late outcome arrives now and is dropped
      failureResultOf(chain[0]!, CancelledError);
    });
  });
});
