import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { debounce } from '../../src/time/debounce.js';

describe('debounce()', () => {
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('runs the function once, quietMs after the last trigger of a burst', () => {
    jest.useFakeTimers();
    let runs = 0;
    const d = debounce(() => runs++, 50);
    d.trigger();
    jest.advanceTimersByTime(30);
    d.trigger(); // restarts the quiet period
    jest.advanceTimersByTime(49);
    expect(runs).toBe(0);
    jest.advanceTimersByTime(1);
    expect(runs).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(runs).toBe(1);
    d.trigger();
    jest.advanceTimersByTime(50);
    expect(runs).toBe(2);
  });

  it('cancel drops a pending run, and does nothing when none is pending', () => {
    jest.useFakeTimers();
    let runs = 0;
    const d = debounce(() => runs++, 50);
    d.cancel();
    d.trigger();
    d.cancel();
    jest.advanceTimersByTime(100);
    expect(runs).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('never keeps the process alive: its timer is unref’d', () => {
    const setTimeoutSpy = jest.spyOn(globalThis, 'setTimeout');
    const d = debounce(() => undefined, 50);
    d.trigger();
    const timer = setTimeoutSpy.mock.results[0]!.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    d.cancel();
  });
});
