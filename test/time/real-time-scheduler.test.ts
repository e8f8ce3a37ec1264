import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { RealTimeScheduler, realTimeScheduler } from '../../src/time/real-time-scheduler.js';

/**
 * Follows the Node timers armed from now on: one is live from `setTimeout` until its callback has returned or
 * `clearTimeout` took it. Counting the process's active `Timeout`s instead would count anyone else's timers too
 * (a previous test file's, Jest's), which come and go on their own in a combined run.
 */
function trackTimers(): { live: () => number; ran: (fn: () => void) => void } {
  const live = new Set<unknown>();
  const afterRun: Array<() => void> = [];
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  jest.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = realSet(() => {
      try {
        fn(...args);
      } finally {
        live.delete(timer);
        for (const then of afterRun.splice(0)) then();
      }
    }, ms);
    live.add(timer);
    return timer;
  }) as unknown as typeof setTimeout);
  jest.spyOn(globalThis, 'clearTimeout').mockImplementation(((timer: NodeJS.Timeout | undefined) => {
    live.delete(timer);
    realClear(timer);
  }) as typeof clearTimeout);
  return { live: () => live.size, ran: (fn) => afterRun.push(fn) };
}

afterEach(() => {
  jest.restoreAllMocks();
});

/** A promise and the function that resolves it: lets a test wait for a scheduled callback to fire. */
function signal(): { fired: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return { fired, fire };
}

/**
 * A time source that follows performance.now() but can be held still, so that several `callLater`s made
 * "at the same instant" get exactly equal due times (real scheduling takes time, which would reorder them).
 */
function holdableNow(): { now: () => number; hold: () => void; release: () => void } {
  let held: number | undefined;
  return {
    now: () => held ?? performance.now(),
    hold: () => (held = performance.now()),
    release: () => (held = undefined),
  };
}

describe('RealTimeScheduler', () => {
  describe('.now()', () => {
    it('reads performance.now() in milliseconds by default', () => {
      const before = performance.now();
      const now = new RealTimeScheduler().now();
      expect(now).toBeGreaterThanOrEqual(before);
      expect(now).toBeLessThanOrEqual(performance.now());
    });
  });

  describe('.callLater()', () => {
    it('runs calls in due-time order, equal times in scheduling order', async () => {
      const time = holdableNow();
      const scheduler = new RealTimeScheduler({ now: time.now });
      time.hold();
      const seen: string[] = [];
      const done = signal();
      scheduler.callLater(30, () => seen.push('30a'));
      scheduler.callLater(10, () => seen.push('10a'));
      scheduler.callLater(20, () => seen.push('20'));
      scheduler.callLater(10, () => seen.push('10b'));
      scheduler.callLater(0, () => seen.push('0'));
      scheduler.callLater(30, () => {
        seen.push('30b');
        done.fire();
      });
      time.release();
      await done.fired;
      expect(seen).toEqual(['0', '10a', '10b', '20', '30a', '30b']);
    });

    it('keeps due-time then scheduling order after reset and delay', async () => {
      const time = holdableNow();
      const scheduler = new RealTimeScheduler({ now: time.now });
      time.hold();
      const seen: string[] = [];
      const done = signal();
      const a = scheduler.callLater(40, () => seen.push('a'));
      const b = scheduler.callLater(1, () => seen.push('b'));
      scheduler.callLater(1, () => seen.push('c'));
      scheduler.callLater(25, () => {
        seen.push('d');
        done.fire();
      });
      a.reset(1);
      b.delay(20);
      time.release();
      await done.fired;
      // a, reset to tie with c at 1, keeps its earlier scheduling rank; b (delayed to 21) lands before d (25).
      expect(seen).toEqual(['a', 'c', 'b', 'd']);
    });

    it('runs no call before its due time', async () => {
      const scheduler = new RealTimeScheduler();
      const done = signal();
      let ranAt = Number.NaN;
      const call = scheduler.callLater(15, () => {
        ranAt = scheduler.now();
        done.fire();
      });
      await done.fired;
      expect(ranAt).toBeGreaterThanOrEqual(call.getTime());
    });

    it('passes the extra arguments', async () => {
      const scheduler = new RealTimeScheduler();
      const done = signal();
      const got: unknown[] = [];
      scheduler.callLater(
        0,
        (x: number, y: string) => {
          got.push(x, y);
          done.fire();
        },
        7,
        'eight',
      );
      await done.fired;
      expect(got).toEqual([7, 'eight']);
    });

    it('still runs a later call when the earliest one is cancelled', async () => {
      const scheduler = new RealTimeScheduler();
      const done = signal();
      let early = false;
      scheduler.callLater(1, () => (early = true)).cancel();
      scheduler.callLater(5, done.fire);
      await done.fired;
      expect(early).toBe(false);
    });

    it('does not run a call that an earlier call due in the same timer turn cancelled', async () => {
      const clock = holdableNow();
      const scheduler = new RealTimeScheduler({ now: clock.now });
      const done = signal();
      const seen: string[] = [];
      clock.hold();
      scheduler.callLater(1, () => {
        seen.push('canceller');
        victim.cancel();
      });
      const victim = scheduler.callLater(1, () => seen.push('victim'));
      scheduler.callLater(1, () => {
        seen.push('after');
        done.fire();
      });
      clock.release();
      await done.fired;
      expect(seen).toEqual(['canceller', 'after']);
      expect(scheduler.pendingCount).toBe(0);
    });

    it('throws RangeError for a negative delay and schedules nothing', () => {
      const scheduler = new RealTimeScheduler();
      expect(() => scheduler.callLater(-1, () => undefined)).toThrow(RangeError);
      expect(scheduler.pendingCount).toBe(0);
    });
  });

  describe('timer handles', () => {
    it('holds one timer however many calls are pending, and none once they are cancelled', () => {
      const timers = trackTimers();
      const scheduler = new RealTimeScheduler();
      const calls = [100_000, 50_000, 200_000, 50_000].map((ms) => scheduler.callLater(ms, () => undefined));
      expect(timers.live()).toBe(1);
      for (const call of calls) {
        call.cancel();
      }
      expect(timers.live()).toBe(0);
      expect(scheduler.pendingCount).toBe(0);
    });

    it('holds no timer once every call has run', async () => {
      const timers = trackTimers();
      const scheduler = new RealTimeScheduler();
      const done = signal();
      scheduler.callLater(1, () => undefined);
      scheduler.callLater(2, () => timers.ran(done.fire)); // checked once the timer callback that ran it returned
      await done.fired;
      expect(scheduler.pendingCount).toBe(0);
      expect(timers.live()).toBe(0);
    });
  });

  describe('errors', () => {
    it('reports a throwing call to onError and still runs the other due calls', async () => {
      const errors: unknown[] = [];
      const scheduler = new RealTimeScheduler({ onError: (error) => errors.push(error) });
      const done = signal();
      const boom = new Error('boom');
      scheduler.callLater(3, () => {
        throw boom;
      });
      scheduler.callLater(3, done.fire);
      await done.fired;
      expect(errors).toEqual([boom]);
    });
  });

  describe('realTimeScheduler', () => {
    it('is a shared RealTimeScheduler instance', () => {
      expect(realTimeScheduler).toBeInstanceOf(RealTimeScheduler);
    });
  });
});
