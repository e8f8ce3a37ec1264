import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Clock } from '../../src/time/clock.js';
import { RealTimeScheduler } from '../../src/time/real-time-scheduler.js';
import { weakCallLater } from '../../src/time/weak-call-later.js';

describe('weakCallLater()', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it("runs on a Clock's virtual time, and not once cancelled", () => {
    const clock = new Clock();
    const seen: string[] = [];
    weakCallLater(clock, 10, () => seen.push('ran'));
    const dropped = weakCallLater(clock, 10, () => seen.push('dropped'));
    dropped.cancel();
    clock.advance(9);
    expect(seen).toEqual([]);
    clock.advance(1);
    expect(seen).toEqual(['ran']);
    dropped.cancel(); // again: nothing
  });

  // That it holds no ref is pinned by a child process that must exit by itself (thread-recycle.test.ts).
  it('reaches a delay past the longest Node timer in hops, on real time', () => {
    jest.useFakeTimers();
    const seen: string[] = [];
    const longest = 2 ** 31 - 1;
    weakCallLater(new RealTimeScheduler(), longest + 5, () => seen.push('ran'));
    jest.advanceTimersByTime(longest);
    expect(seen).toEqual([]); // one hop gone, 5 ms left (Node would fire an over-long timer after 1 ms)
    jest.advanceTimersByTime(5);
    expect(seen).toEqual(['ran']);
  });

  it('is cancelled on real time, also between hops', () => {
    jest.useFakeTimers();
    const seen: string[] = [];
    const call = weakCallLater(new RealTimeScheduler(), 2 ** 31 + 10, () => seen.push('ran'));
    jest.advanceTimersByTime(2 ** 31 - 1);
    call.cancel();
    jest.advanceTimersByTime(20);
    expect(seen).toEqual([]);
  });

  it('on real time, arms an unref\'d timer (the process may exit) and clears it when cancelled', () => {
    const armed = jest.spyOn(globalThis, 'setTimeout');
    const cleared = jest.spyOn(globalThis, 'clearTimeout');
    const call = weakCallLater(new RealTimeScheduler(), 60_000, () => undefined);
    expect(armed).toHaveBeenCalledTimes(1);
    const timer = armed.mock.results[0]!.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    call.cancel();
    expect(cleared).toHaveBeenCalledWith(timer);
    call.cancel(); // again: nothing
    expect(cleared).toHaveBeenCalledTimes(1);
    armed.mockRestore();
    cleared.mockRestore();
  });

  it('refuses a negative delay with RangeError', () => {
    expect(() => weakCallLater(new RealTimeScheduler(), -1, () => undefined)).toThrow(RangeError);
    expect(() => weakCallLater(new Clock(), -1, () => undefined)).toThrow(RangeError);
  });
});
