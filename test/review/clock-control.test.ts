/**
 * `Clock` under calls that move time themselves, bad amounts, and crowds at one instant (SPEC §2: calls run in
 * due-time order, equal times in the order scheduled; a bad delay is a `RangeError`).
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
