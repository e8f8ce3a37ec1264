/**
 * Waits that loop back: a Deferred whose callback returned a second Deferred that, in turn, waits on the first
 * (`d1.addCallback(() => d2)`, `d2.addCallback(() => d1)`, both fired). Neither can ever get a result. `cancel()`
 * walks down the waits to the Deferred that has the work and used to walk this loop for ever, freezing the
 * process. A loop of waits has no work to stop, like a Promise wait: `cancel()` now abandons the wait of the first
 * Deferred on the loop with `CancelledError` (SPEC §1's rule for a Promise wait), its handlers run, and the late
 * outcome of what it waited on is dropped. Loops through generators: `inline-wait-cycle.test.ts`.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { CancelledError, Deferred, type Failure } from '../../src/index.js';
import { failureResultOf } from '../helpers/deferred-results.js';

/** `length` fired Deferreds each waiting on the next, the last on the first; outermost first. */
function waitLoop(length: number): Array<Deferred<number>> {
  const ds = Array.from({ length }, () => new Deferred<number>());
  for (let i = 0; i < length; i++) ds[i]!.addCallback(() => ds[(i + 1) % length]!);
  for (let i = length - 1; i >= 0; i--) ds[i]!.callback(i);
  return ds;
}

describe('Deferred', () => {
  describe('.cancel()', () => {
    it.each([2, 3, 1000])('on a loop of %i waits, returns and fails the Deferred it was called on with CancelledError', (length) => {
      const ds = waitLoop(length);
      const outcomes: Array<number | Failure> = [];
      ds[0]!.addBoth((r: number | Failure) => {
        outcomes.push(r);
        return null;
      });
      ds[0]!.cancel();
      expect(outcomes).toHaveLength(1);
      expect((outcomes[0] as Failure).check(CancelledError)).toBe(CancelledError);
      expect(ds.every((d) => !d.paused)).toBe(true);
    });

    it('on a Deferred waiting on a loop it is not part of, fails it with CancelledError and leaves nothing waiting', () => {
      const loop = waitLoop(3);
      const outer = new Deferred<number>();
      outer.addCallback(() => loop[1]);
      outer.callback(0);
      outer.cancel();
      expect(loop.every((d) => !d.paused)).toBe(true);
      expect(outer.paused).toBe(false);
      failureResultOf(outer, CancelledError);
    });

    it('fires each Deferred of the loop once: the dropped late outcome runs no handler again', () => {
      const ds = waitLoop(2);
      const counts = [0, 0];
      for (const [i, d] of ds.entries()) {
        d.addBoth((r: unknown) => {
          counts[i]!++;
          return r;
        });
      }
      ds[0]!.cancel();
      for (const d of ds) d.addErrback(() => null);
      expect(counts).toEqual([1, 1]);
    });
  });
});
