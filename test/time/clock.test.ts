import { describe, expect, it } from '@jest/globals';
import { Clock } from '../../src/time/clock.js';

/** Schedule `label` on `clock` after `ms`, recording it in `seen` when it runs. */
function record(clock: Clock, seen: string[], ms: number, label: string) {
  return clock.callLater(ms, () => seen.push(label));
}

describe('Clock', () => {
  describe('.now()', () => {
    it('starts at 0', () => {
      expect(new Clock().now()).toBe(0);
    });
  });

  describe('.callLater()', () => {
    it('runs nothing before advance, not even a 0 ms call', () => {
      const clock = new Clock();
      const seen: string[] = [];
      record(clock, seen, 0, 'zero');
      expect(seen).toEqual([]);
      clock.advance(0);
      expect(seen).toEqual(['zero']);
    });

    it('passes the extra arguments to the function', () => {
      const clock = new Clock();
      const got: unknown[] = [];
      clock.callLater(1, (a: number, b: string) => got.push(a, b), 1, 'two');
      clock.advance(1);
      expect(got).toEqual([1, 'two']);
    });

    it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number])('throws RangeError for a delay of %p', (ms) => {
      expect(() => new Clock().callLater(ms, () => undefined)).toThrow(RangeError);
    });

    it('names the parameter in the RangeError message', () => {
      expect(() => new Clock().callLater(-1, () => undefined)).toThrow('Expected `ms` to be a non-negative finite number, got `-1` (number)');
    });

    it('throws TypeError when fn is not a function', () => {
      expect(() => new Clock().callLater(1, 'nope' as never)).toThrow(TypeError);
    });
  });

  describe('.advance()', () => {
    it('runs calls in due-time order', () => {
      const clock = new Clock();
      const seen: string[] = [];
      record(clock, seen, 30, 'c');
      record(clock, seen, 10, 'a');
      record(clock, seen, 20, 'b');
      clock.advance(30);
      expect(seen).toEqual(['a', 'b', 'c']);
    });

    it('runs calls due at the same time in scheduling order', () => {
      const clock = new Clock();
      const seen: string[] = [];
      record(clock, seen, 10, '1');
      record(clock, seen, 1, '2');
      record(clock, seen, 10, '3');
      record(clock, seen, 1, '4');
      clock.advance(10);
      expect(seen).toEqual(['2', '4', '1', '3']);
    });

    it('keeps scheduling order among equal due times after reset', () => {
      const clock = new Clock();
      const seen: string[] = [];
      const first = record(clock, seen, 50, 'first');
      record(clock, seen, 10, 'second');
      record(clock, seen, 10, 'third');
      first.reset(10);
      clock.advance(10);
      expect(seen).toEqual(['first', 'second', 'third']);
    });

    it('keeps scheduling order among equal due times after delay', () => {
      const clock = new Clock();
      const seen: string[] = [];
      const first = record(clock, seen, 5, 'first');
      record(clock, seen, 10, 'second');
      const third = record(clock, seen, 1, 'third');
      third.delay(9);
      first.delay(5);
      clock.advance(10);
      expect(seen).toEqual(['first', 'second', 'third']);
    });

    it('runs only the calls due by the new time', () => {
      const clock = new Clock();
      const seen: string[] = [];
      record(clock, seen, 5, 'a');
      record(clock, seen, 6, 'b');
      clock.advance(5);
      expect(seen).toEqual(['a']);
      expect(clock.now()).toBe(5);
    });

    it('moves time before running the calls', () => {
      const clock = new Clock();
      const times: number[] = [];
      clock.callLater(3, () => times.push(clock.now()));
      clock.advance(10);
      expect(times).toEqual([10]);
    });

    it('also runs calls that a call schedules for a time already reached', () => {
      const clock = new Clock();
      const seen: string[] = [];
      clock.callLater(1, () => {
        seen.push('outer');
        record(clock, seen, 0, 'inner-now');
        record(clock, seen, 1, 'inner-later');
      });
      clock.advance(1);
      expect(seen).toEqual(['outer', 'inner-now']);
      clock.advance(1);
      expect(seen).toEqual(['outer', 'inner-now', 'inner-later']);
    });

    it('does not run a call that an earlier call due at the same time cancelled', () => {
      const clock = new Clock();
      const seen: string[] = [];
      clock.callLater(5, () => {
        seen.push('canceller');
        victim.cancel();
      });
      const victim = record(clock, seen, 5, 'victim');
      record(clock, seen, 5, 'after');
      clock.advance(5);
      expect(seen).toEqual(['canceller', 'after']);
      expect(victim.cancelled).toBe(true);
    });

    it('runs a call that an earlier call due at the same time reset only at its new time', () => {
      const clock = new Clock();
      const seen: string[] = [];
      clock.callLater(5, () => moved.reset(5));
      const moved = record(clock, seen, 5, 'moved');
      clock.advance(5);
      expect(seen).toEqual([]);
      expect(moved.getTime()).toBe(10);
      clock.advance(5);
      expect(seen).toEqual(['moved']);
    });

    it('propagates an exception from a call and keeps the rest queued', () => {
      const clock = new Clock();
      const seen: string[] = [];
      clock.callLater(1, () => {
        throw new Error('boom');
      });
      record(clock, seen, 1, 'after');
      expect(() => clock.advance(1)).toThrow('boom');
      expect(seen).toEqual([]);
      expect(clock.getDelayedCalls()).toHaveLength(1);
      clock.advance(0);
      expect(seen).toEqual(['after']);
    });

    it('throws RangeError for a negative amount and leaves time alone', () => {
      const clock = new Clock();
      expect(() => clock.advance(-1)).toThrow(RangeError);
      expect(clock.now()).toBe(0);
    });
  });

  describe('.pump()', () => {
    it('advances by each step in turn, running calls between steps', () => {
      const clock = new Clock();
      const times: number[] = [];
      for (const ms of [0, 5, 12, 25]) {
        clock.callLater(ms, () => times.push(clock.now()));
      }
      clock.pump([0, 10, 10]);
      expect(times).toEqual([0, 10, 20]);
      expect(clock.now()).toBe(20);
    });
  });

  describe('.getDelayedCalls()', () => {
    it('lists the pending calls in the order they will run', () => {
      const clock = new Clock();
      const late = clock.callLater(20, () => undefined);
      const early = clock.callLater(10, () => undefined);
      const tie = clock.callLater(20, () => undefined);
      expect(clock.getDelayedCalls()).toEqual([early, late, tie]);
    });

    it('reflects reset and leaves out cancelled and called calls', () => {
      const clock = new Clock();
      const a = clock.callLater(1, () => undefined);
      const b = clock.callLater(2, () => undefined);
      const c = clock.callLater(3, () => undefined);
      b.cancel();
      c.reset(0);
      expect(clock.getDelayedCalls()).toEqual([c, a]);
      clock.advance(0);
      expect(clock.getDelayedCalls()).toEqual([a]);
    });

    it('returns a copy', () => {
      const clock = new Clock();
      clock.callLater(1, () => undefined);
      clock.getDelayedCalls().pop();
      expect(clock.getDelayedCalls()).toHaveLength(1);
    });
  });
});
