/**
 * `addTimeout` when the Deferred already has its result but its handlers cannot run yet (its caller paused it):
 * the timer finds the result there. SPEC §1: only a cancellation the timeout caused becomes `TimeoutError`; a
 * result that arrived first (a manual `cancel()`'s `CancelledError`, a success, another failure) is kept as it is.
 * The timer used to mark the Deferred "timed out" all the same, so on `unpause()` a manual cancellation became a
 * `TimeoutError` and a custom `onTimeoutCancel` was called for a result the timeout never touched.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { CancelledError, Clock, Deferred, TimeoutError } from '../../src/index.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

/** A Deferred with a 10 ms timeout whose `onTimeoutCancel` records what it was given (and maps it to -1). */
function withRecordedMapping(clock: Clock): { d: Deferred<number>; mapped: unknown[] } {
  const mapped: unknown[] = [];
  const d = new Deferred<number>().addTimeout(10, clock, (resultOrFailure) => mapped.push(resultOrFailure) && -1);
  return { d, mapped };
}

describe('Deferred', () => {
  describe('.addTimeout()', () => {
    it('keeps a manual cancel() as CancelledError when the time passes while its caller holds it paused', () => {
      const clock = new Clock();
      const d = new Deferred<number>().addTimeout(10, clock);
      d.pause();
      d.cancel();
      clock.advance(10);
      d.unpause();
      expect(failureResultOf(d, CancelledError).check(TimeoutError)).toBeNull();
    });

    it('does not call onTimeoutCancel for a result that arrived before the time passed, while paused', () => {
      const clock = new Clock();
      const { d, mapped } = withRecordedMapping(clock);
      d.pause();
      d.callback(5);
      clock.advance(10);
      d.unpause();
      expect(successResultOf(d)).toBe(5);
      expect(mapped).toEqual([]);
    });

    it('still times out a Deferred paused while it waits on a chained one (the wait is cancelled)', () => {
      const clock = new Clock();
      const inner = new Deferred<number>();
      const d = new Deferred<number>();
      d.addCallback(() => inner);
      d.callback(0);
      d.addTimeout(10, clock);
      clock.advance(10);
      expect(inner.called).toBe(true); // cancelled; its CancelledError was handed over to d
      failureResultOf(d, TimeoutError);
    });
  });
});
