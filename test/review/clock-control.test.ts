/**
 * `Clock` under calls that move time themselves, bad amounts, and crowds at one instant (SPEC §2: calls run in
 * due-time order, equal times in the order scheduled; a bad delay is a `RangeError`), and amounts its time cannot
 * hold: past `Number.MAX_VALUE` the time overflows, past 2^53 ms it cannot count single milliseconds (a call due
 * "1 ms later" was due at once, so a call that schedules itself again ran for ever inside one `advance`).
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Clock, type DelayedCall } from '../../src/index.js';

describe('Clock', () => {
  describe('.advance()', () => {
    it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
      'throws RangeError for %p and leaves time and the queue alone',
      (ms) => {
        const clock = new Clock();
        const ran: number[] = [];
        clock.callLater(5, () => ran.push(5));
        clock.advance(1);
        expect(() => clock.advance(ms)).toThrow(RangeError);
        expect(clock.now()).toBe(1);
        expect(ran).toEqual([]);
        expect(clock.getDelayedCalls()).toHaveLength(1);
      },
    );

    it('called inside a call, runs the calls due by its new time once each, in order, and the outer one none again', () => {
      const clock = new Clock();
      const ran: string[] = [];
      clock.callLater(1, () => {
        ran.push(`a@${clock.now()}`);
        clock.advance(10);
        ran.push(`a done@${clock.now()}`);
      });
      clock.callLater(1, () => ran.push(`b@${clock.now()}`));
      clock.callLater(5, () => ran.push(`c@${clock.now()}`));
      clock.callLater(20, () => ran.push(`d@${clock.now()}`));
      clock.advance(1);
      expect(ran).toEqual(['a@1', 'b@11', 'c@11', 'a done@11']);
      expect(clock.now()).toBe(11);
      clock.advance(9);
      expect(ran.at(-1)).toBe('d@20');
    });

    it('runs 1,000 calls due at one instant in callLater order, skipping those an earlier one cancelled', () => {
      const clock = new Clock();
      const ran: number[] = [];
      const calls: DelayedCall[] = [];
      for (let i = 0; i < 1000; i++) {
        calls.push(
          clock.callLater(7, () => {
            ran.push(i);
            if (i === 0) for (let j = 1; j < 1000; j += 2) calls[j]!.cancel();
          }),
        );
      }
      clock.advance(7);
      expect(ran).toEqual(Array.from({ length: 500 }, (_, k) => 2 * k));
      expect(clock.getDelayedCalls()).toEqual([]);
    });
  });
});

describe('Clock (amounts its time cannot hold)', () => {
  describe('.advance()', () => {
    it.each([
      ['past Number.MAX_VALUE', [Number.MAX_VALUE, Number.MAX_VALUE]],
      ['by 1 ms beyond 2^53 ms', [2 ** 53, 1]],
    ])('throws RangeError %s, with time and the queue unchanged', (_, steps) => {
      const clock = new Clock();
      for (const step of steps.slice(0, -1)) clock.advance(step);
      const before = clock.now();
      clock.callLater(0, () => undefined);
      expect(() => clock.advance(steps.at(-1)!)).toThrow(RangeError);
      expect(clock.now()).toBe(before);
      expect(clock.getDelayedCalls()).toHaveLength(1);
    });

    it('ends with RangeError, not a hang, when a call reschedules itself beyond 2^53 ms', () => {
      const clock = new Clock();
      clock.advance(2 ** 53);
      let runs = 0;
      const tick = (): void => {
        runs++;
        if (runs > 10_000) throw new Error('ran 10,000 times in one advance()');
        clock.callLater(1, tick);
      };
      clock.callLater(0, tick);
      expect(() => clock.advance(0)).toThrow(RangeError);
      expect(runs).toBe(1);
    });
  });

  describe('.callLater()', () => {
    it('throws RangeError for a delay lost when added to the time, and schedules nothing', () => {
      const clock = new Clock();
      clock.advance(2 ** 53);
      expect(() => clock.callLater(1, () => undefined)).toThrow(RangeError);
      expect(clock.getDelayedCalls()).toEqual([]);
    });
  });

  describe('DelayedCall .delay() and .reset()', () => {
    it('throw RangeError when the new due time would overflow, and leave the call as it was', () => {
      const clock = new Clock();
      const call = clock.callLater(Number.MAX_VALUE, () => undefined);
      expect(() => call.delay(Number.MAX_VALUE)).toThrow(RangeError);
      expect(call.getTime()).toBe(Number.MAX_VALUE);
      clock.advance(2 ** 53);
      expect(() => call.reset(1)).toThrow(RangeError);
      expect(call.getTime()).toBe(Number.MAX_VALUE);
    });
  });
});
