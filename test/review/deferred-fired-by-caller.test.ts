/**
 * Deferreds that the library fires later (when a timer is due, when a generator ends), fired first by their
 * caller. The library's own late firing then has nobody to throw `AlreadyCalledError` at: thrown from a timer's
 * function it escaped `Clock.advance()` and, on the real-time scheduler, became an uncaught exception; thrown from
 * a Promise reaction it became an unhandled rejection. Either ends the process by default. Now it is reported
 * once through the unhandled-error handler (as a canceller that fired its Deferred and then threw is), and the
 * caller's result stands.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  AlreadyCalledError,
  Clock,
  Deferred,
  RealTimeScheduler,
  deferLater,
  inlineCallbacks,
} from '../../src/index.js';
import { successResultOf } from '../helpers/deferred-results.js';
import { captureReports, restoreUnhandledErrorHandler } from '../helpers/unhandled-reports.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(restoreUnhandledErrorHandler);

describe('deferLater()', () => {
  it('fired by its caller first: advance() runs the timer without throwing and reports AlreadyCalledError once', () => {
    const reports = captureReports();
    const clock = new Clock();
    const d = deferLater<[], unknown>(clock, 5);
    d.callback(7);
    expect(() => clock.advance(5)).not.toThrow();
    expect(reports.map((f) => f.check(AlreadyCalledError))).toEqual([AlreadyCalledError]);
    expect(successResultOf(d)).toBe(7);
  });

  it('throws TypeError for an fn that is not a function, leaving no call scheduled', () => {
    const clock = new Clock();
    expect(() => deferLater(clock, 5, 'not a function' as unknown as () => void)).toThrow(TypeError);
    expect(clock.getDelayedCalls()).toEqual([]);
  });

  it("fired by its caller first, on a real-time scheduler: nothing reaches the scheduler's onError", async () => {
    const reports = captureReports();
    const errors: unknown[] = [];
    const scheduler = new RealTimeScheduler({ onError: (error) => errors.push(error) });
    const d = deferLater(scheduler, 0);
    d.callback(undefined);
    const after = new Deferred<void>();
    scheduler.callLater(0, () => after.callback(undefined)); // runs after deferLater's call, in the same turn
    await after;
    expect(errors).toEqual([]);
    expect(reports.map((f) => f.check(AlreadyCalledError))).toEqual([AlreadyCalledError]);
  });
});

describe('inlineCallbacks()', () => {
  it('fired by its caller while the generator waited on a Promise: no unhandled rejection, AlreadyCalledError reported once', async () => {
    const reports = captureReports();
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => {
      rejections.push(reason);
    };
    process.on('unhandledRejection', onRejection);
    try {
      let resume!: (n: number) => void;
      const promise = new Promise<number>((resolve) => {
        resume = resolve;
      });
      const ended = new Deferred<void>();
      const d = inlineCallbacks(function* (): Generator<unknown, number, number> {
        const n = yield promise;
        ended.callback(undefined);
        return n + 1;
      })();
      d.callback(5);
      resume(1);
      await ended;
      await nextTurn(); // unhandled rejections are reported by now
      expect(rejections).toEqual([]);
      expect(reports.map((f) => f.check(AlreadyCalledError))).toEqual([AlreadyCalledError]);
      expect(successResultOf(d)).toBe(5);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
