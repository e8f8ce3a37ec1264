import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Failure } from '../../src/deferred/failure.js';
import { CancelledError, TimeoutError } from '../../src/errors.js';
import { Clock } from '../../src/time/clock.js';
import { realTimeScheduler } from '../../src/time/real-time-scheduler.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { nextTurn } from '../helpers/next-turn.js';

describe('Deferred', () => {
  describe('.addTimeout()', () => {
    it('errbacks with TimeoutError once the time passes', () => {
      const clock = new Clock();
      const d = new Deferred<number>().addTimeout(100, clock);
      clock.advance(99);
      assertNoResult(d);
      clock.advance(1);
      const f = failureResultOf(d, TimeoutError);
      expect(f.value).toMatchObject({ name: 'TimeoutError', code: 'ERR_TIMEOUT' });
    });

    it('returns the same Deferred', () => {
      const d = new Deferred<number>();
      expect(d.addTimeout(1, new Clock())).toBe(d);
    });

    it('keeps the result and cancels the timer when the Deferred fires first', () => {
      const clock = new Clock();
      const d = new Deferred<number>().addTimeout(100, clock);
      d.callback(5);
      expect(clock.getDelayedCalls()).toHaveLength(0);
      clock.advance(200);
      expect(successResultOf(d)).toBe(5);
    });

    it('leaves a manual cancel() as CancelledError', () => {
      const clock = new Clock();
      const d = new Deferred<number>().addTimeout(100, clock);
      d.cancel();
      failureResultOf(d, CancelledError);
      expect(failureResultOf(d).check(TimeoutError)).toBeNull();
      expect(clock.getDelayedCalls()).toHaveLength(0);
    });

    it('converts the timeout only for handlers added after it; earlier ones see CancelledError', () => {
      const clock = new Clock();
      const d = new Deferred<number>();
      let earlier: Failure | undefined;
      d.addErrback((f) => {
        earlier = f;
        return f;
      });
      d.addTimeout(10, clock);
      clock.advance(10);
      expect(earlier?.check(CancelledError)).toBe(CancelledError);
      failureResultOf(d, TimeoutError);
    });

    it('uses the canceller result when the canceller fired the Deferred', () => {
      const clock = new Clock();
      const d = new Deferred<string>((self) => self.callback('cancelled cleanly')).addTimeout(10, clock);
      clock.advance(10);
      expect(successResultOf(d)).toBe('cancelled cleanly');
    });

    it('lets onTimeoutCancel map the result after a timeout, given the timeout', () => {
      const clock = new Clock();
      const calls: Array<[boolean, number]> = [];
      const d = new Deferred<number>().addTimeout(25, clock, (resultOrFailure, ms) => {
        calls.push([resultOrFailure instanceof Failure, ms]);
        return -1;
      });
      clock.advance(25);
      expect(calls).toEqual([[true, 25]]);
      expect(successResultOf(d)).toBe(-1);
    });

    it('times out a Deferred waiting on a chained one by cancelling that one', () => {
      const clock = new Clock();
      let innerCancelled = false;
      const inner = new Deferred<number>(() => (innerCancelled = true));
      const d = new Deferred<number>();
      d.addCallback(() => inner);
      d.addTimeout(10, clock);
      d.callback(0);
      clock.advance(10);
      expect(innerCancelled).toBe(true);
      failureResultOf(d, TimeoutError);
    });

    it('times out a Deferred waiting on a Promise, dropping the Promise\'s late outcome', async () => {
      const clock = new Clock();
      let resolve: (value: number) => void = () => undefined;
      const promise = new Promise<number>((r) => (resolve = r));
      const d = new Deferred<number>();
      d.addCallback(() => promise);
      d.addTimeout(10, clock);
      d.callback(0);
      clock.advance(10);
      failureResultOf(d, TimeoutError);
      resolve(7);
      await nextTurn(); // every reaction to the Promise has run, however many hops
      failureResultOf(d, TimeoutError);
    });

    it('does not call onTimeoutCancel on a manual cancel()', () => {
      const clock = new Clock();
      const calls: unknown[] = [];
      const d = new Deferred<number>().addTimeout(10, clock, (resultOrFailure) => {
        calls.push(resultOrFailure);
        return -1;
      });
      d.cancel();
      expect(calls).toEqual([]);
      failureResultOf(d, CancelledError);
    });

    it('leaves no timer pending on a Deferred that already has its result', () => {
      const clock = new Clock();
      const d = new Deferred<number>();
      d.callback(3);
      d.addTimeout(10, clock);
      expect(clock.getDelayedCalls()).toHaveLength(0);
      clock.advance(10);
      expect(successResultOf(d)).toBe(3);
    });

    it('lets the earliest of two timeouts win and clears the other timer', () => {
      const clock = new Clock();
      const d = new Deferred<number>().addTimeout(5, clock).addTimeout(10, clock);
      clock.advance(5);
      failureResultOf(d, TimeoutError);
      expect(clock.getDelayedCalls()).toHaveLength(0);
    });

    it('throws RangeError for a negative time', () => {
      expect(() => new Deferred().addTimeout(-1, new Clock())).toThrow(RangeError);
    });

    it.each([Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number])(
      'throws RangeError for %p and schedules nothing',
      (ms) => {
        const clock = new Clock();
        const d = new Deferred<number>();
        expect(() => d.addTimeout(ms, clock)).toThrow(RangeError);
        expect(clock.getDelayedCalls()).toHaveLength(0);
        d.callback(1);
        expect(successResultOf(d)).toBe(1);
      },
    );

    it('uses the real-time scheduler by default', async () => {
      const d = new Deferred<number>().addTimeout(5);
      await expect(d).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
      expect(realTimeScheduler.now()).toBeGreaterThan(0);
    });
  });
});
