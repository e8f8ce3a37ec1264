import { describe, expect, it } from '@jest/globals';
import { Clock } from '../../src/time/clock.js';

describe('DelayedCall', () => {
  describe('.getTime()', () => {
    it('is the scheduling time plus the delay', () => {
      const clock = new Clock();
      clock.advance(7);
      expect(clock.callLater(5, () => undefined).getTime()).toBe(12);
    });
  });

  describe('.active() / .called / .cancelled', () => {
    it('is active, not called and not cancelled while pending', () => {
      const call = new Clock().callLater(1, () => undefined);
      expect([call.active(), call.called, call.cancelled]).toEqual([true, false, false]);
    });

    it('is called and inactive once it ran', () => {
      const clock = new Clock();
      const call = clock.callLater(1, () => undefined);
      clock.advance(1);
      expect([call.active(), call.called, call.cancelled]).toEqual([false, true, false]);
    });

    it('is already called (and inactive) inside its own function', () => {
      const clock = new Clock();
      const seen: boolean[] = [];
      const call = clock.callLater(1, (): void => {
        seen.push(call.called, call.active());
      });
      clock.advance(1);
      expect(seen).toEqual([true, false]);
    });

    it('is cancelled and inactive once cancelled', () => {
      const call = new Clock().callLater(1, () => undefined);
      call.cancel();
      expect([call.active(), call.called, call.cancelled]).toEqual([false, false, true]);
    });
  });

  describe('.cancel()', () => {
    it('prevents the call from running', () => {
      const clock = new Clock();
      let ran = false;
      clock.callLater(1, () => (ran = true)).cancel();
      clock.advance(10);
      expect(ran).toBe(false);
      expect(clock.getDelayedCalls()).toEqual([]);
    });

    it('throws AlreadyCancelledError when called twice', () => {
      const call = new Clock().callLater(1, () => undefined);
      call.cancel();
      expect(() => call.cancel()).toThrow(expect.objectContaining({ name: 'AlreadyCancelledError', code: 'ERR_ALREADY_CANCELLED' }));
    });

    it('throws AlreadyCalledError once the call ran', () => {
      const clock = new Clock();
      const call = clock.callLater(1, () => undefined);
      clock.advance(1);
      expect(() => call.cancel()).toThrow(expect.objectContaining({ name: 'AlreadyCalledError', code: 'ERR_ALREADY_CALLED' }));
    });

    it('throws AlreadyCalledError from inside its own function', () => {
      const clock = new Clock();
      const errors: unknown[] = [];
      const call = clock.callLater(1, () => {
        try {
          call.cancel();
        } catch (error: unknown) {
          errors.push(error);
        }
      });
      clock.advance(1);
      expect(errors).toEqual([expect.objectContaining({ code: 'ERR_ALREADY_CALLED' })]);
    });
  });

  describe.each([
    ['delay', (call: { delay(ms: number): void }) => call.delay(1)],
    ['reset', (call: { reset(ms: number): void }) => call.reset(1)],
  ])('.%s() state rules', (_name, move) => {
    it('throws AlreadyCalledError once the call ran', () => {
      const clock = new Clock();
      const call = clock.callLater(1, () => undefined);
      clock.advance(1);
      expect(() => move(call)).toThrow(expect.objectContaining({ name: 'AlreadyCalledError' }));
    });

    it('throws AlreadyCalledError from inside its own function', () => {
      const clock = new Clock();
      const errors: unknown[] = [];
      const call = clock.callLater(1, () => {
        try {
          move(call);
        } catch (error: unknown) {
          errors.push(error);
        }
      });
      clock.advance(1);
      expect(errors).toEqual([expect.objectContaining({ name: 'AlreadyCalledError' })]);
      expect(clock.getDelayedCalls()).toEqual([]);
    });

    it('throws AlreadyCancelledError once cancelled', () => {
      const call = new Clock().callLater(1, () => undefined);
      call.cancel();
      expect(() => move(call)).toThrow(expect.objectContaining({ name: 'AlreadyCancelledError' }));
    });
  });

  describe('.delay()', () => {
    it('postpones the due time by the given ms', () => {
      const clock = new Clock();
      const seen: number[] = [];
      const call = clock.callLater(5, () => seen.push(clock.now()));
      clock.advance(3);
      call.delay(4);
      expect(call.getTime()).toBe(9);
      clock.advance(5);
      expect(seen).toEqual([]);
      clock.advance(1);
      expect(seen).toEqual([9]);
    });

    it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('throws RangeError for %p', (ms) => {
      const call = new Clock().callLater(5, () => undefined);
      expect(() => call.delay(ms)).toThrow(RangeError);
      expect(call.getTime()).toBe(5);
    });
  });

  describe('.reset()', () => {
    it('makes the call due the given ms from now', () => {
      const clock = new Clock();
      const call = clock.callLater(5, () => undefined);
      clock.advance(4);
      call.reset(10);
      expect(call.getTime()).toBe(14);
      clock.advance(9);
      expect(call.called).toBe(false);
      clock.advance(1);
      expect(call.called).toBe(true);
    });

    it('can bring a call forward', () => {
      const clock = new Clock();
      const call = clock.callLater(100, () => undefined);
      call.reset(1);
      clock.advance(1);
      expect(call.called).toBe(true);
    });

    it('throws RangeError for a negative delay', () => {
      const call = new Clock().callLater(5, () => undefined);
      expect(() => call.reset(-5)).toThrow(RangeError);
      expect(call.getTime()).toBe(5);
    });
  });
});
