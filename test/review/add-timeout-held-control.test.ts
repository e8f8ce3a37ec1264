/**
 * `addTimeout` on a Deferred that holds its result while its caller's `pause()` holds its handlers back (SPEC §1:
 * "the pending timer is cancelled when the Deferred fires first"). The timeout's own handler cannot run while the
 * Deferred is paused, so its timer used to stay armed for up to `ms` (a ref'd handle keeping the process alive, and
 * a timer that then fired into a fired Deferred). Now the timer is cancelled as soon as the result is held (or never
 * armed, when the result was there first), and re-armed for the time left when `unpause()` lets the handlers run,
 * so a handler added before the timeout that then waits on a chained Deferred is still covered, as it is without a
 * pause.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { CancelledError, Clock, Deferred, Reactor, TimeoutError } from '../../src/index.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';

/** Node's `Timeout` handles alive now (the real-time scheduler holds one while any call is pending). */
function openTimers(): number {
  return process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;
}

/** Unpause `d` and check it succeeded with `value`, leaving no delayed call on `clock` before or after. */
function expectReleasedWith(d: Deferred<number>, clock: Clock, value: number): void {
  expect(clock.getDelayedCalls()).toEqual([]);
  d.unpause();
  expect(successResultOf(d)).toBe(value);
  expect(clock.getDelayedCalls()).toEqual([]);
}

/** A Deferred whose one handler waits on `inner`, with a 10 ms timeout after it, fired while paused. */
function waitingAfterUnpause(clock: Clock): { d: Deferred<number>; inner: Deferred<number> } {
  const inner = new Deferred<number>();
  const d = new Deferred<number>().addCallback(() => inner).addTimeout(10, clock);
  d.pause();
  d.callback(0);
  return { d, inner };
}

describe('Deferred', () => {
  describe('.addTimeout() on a Deferred its caller holds paused', () => {
    it('cancels its timer when the result arrives while paused', () => {
      const clock = new Clock();
      const d = new Deferred<number>().addTimeout(10, clock);
      d.pause();
      d.callback(5);
      expectReleasedWith(d, clock, 5);
    });

    it('arms no timer when the Deferred already holds its result', () => {
      const clock = new Clock();
      const d = new Deferred<number>();
      d.pause();
      d.callback(5);
      d.addTimeout(10, clock);
      expectReleasedWith(d, clock, 5);
    });

    it('cancels its timer when a chained Deferred hands its result over while paused', () => {
      const clock = new Clock();
      const inner = new Deferred<number>();
      const d = new Deferred<number>().addCallback(() => inner);
      d.callback(0);
      d.addTimeout(10, clock).pause();
      inner.callback(7);
      expectReleasedWith(d, clock, 7);
    });

    it('still covers, for the time left, a handler that waits after unpause()', () => {
      const clock = new Clock();
      const { d, inner } = waitingAfterUnpause(clock);
      clock.advance(4);
      d.unpause(); // the handler now waits on `inner`: the timeout covers it, for the 6 ms left
      expect(clock.getDelayedCalls().map((call) => call.getTime())).toEqual([10]);
      clock.advance(5);
      assertNoResult(d);
      clock.advance(1);
      expect(inner.called).toBe(true);
      failureResultOf(d, TimeoutError);
    });

    it('does not re-arm when the time passed while it was held (the result came first)', () => {
      const clock = new Clock();
      const { d, inner } = waitingAfterUnpause(clock);
      clock.advance(10);
      d.unpause();
      expect(clock.getDelayedCalls()).toEqual([]);
      inner.callback(3);
      expect(successResultOf(d)).toBe(3);
    });

    it('keeps a manual cancel() made while paused as CancelledError, with no timer left', () => {
      const clock = new Clock();
      const d = new Deferred<number>().addTimeout(10, clock);
      d.pause();
      d.cancel();
      expect(clock.getDelayedCalls()).toEqual([]);
      d.unpause();
      expect(failureResultOf(d, CancelledError).check(TimeoutError)).toBeNull();
    });

    it('holds no real timer once the result is held, on the reactor clock', () => {
      const reactor = new Reactor();
      const before = openTimers();
      const d = new Deferred<number>().addTimeout(60_000, reactor);
      expect(openTimers()).toBe(before + 1);
      d.pause();
      d.callback(5);
      expect(openTimers()).toBe(before);
      d.unpause();
      expect(successResultOf(d)).toBe(5);
      expect(openTimers()).toBe(before);
    });
  });
});
