import { describe, expect, it } from '@jest/globals';
import { defaultThreadPoolOptions, resolveThreadPoolOptions } from '../../src/threads/thread-pool-options.js';
import { Clock } from '../../src/time/clock.js';

describe('resolveThreadPoolOptions()', () => {
  it('fills in the SPEC defaults: unbounded queue, one task per worker, 1000 ms grace', () => {
    const o = resolveThreadPoolOptions();
    expect(o.maxQueue).toBe(Number.POSITIVE_INFINITY);
    expect(o.concurrentTasksPerWorker).toBe(1);
    expect(o.cancelGraceMs).toBe(1000);
    expect(o.minThreads).toBe(defaultThreadPoolOptions.minThreads);
    expect(o.maxThreads).toBeGreaterThanOrEqual(o.minThreads);
    expect(o.captureDispatchSite).toBe(true);
  });

  it('keeps the given values', () => {
    const clock = new Clock();
    const o = resolveThreadPoolOptions({ minThreads: 2, maxThreads: 3, idleTimeoutMs: 5, maxQueue: 0, cancelGraceMs: 0, clock });
    expect(o).toMatchObject({ minThreads: 2, maxThreads: 3, idleTimeoutMs: 5, maxQueue: 0, cancelGraceMs: 0 });
    expect(o.clock).toBe(clock);
  });

  it('lowers the default minThreads to an explicit smaller maxThreads', () => {
    expect(resolveThreadPoolOptions({ maxThreads: 1 }).minThreads).toBe(1);
  });

  it.each([
    [{ maxThreads: 0 }, 'Expected `maxThreads` to be a positive integer, got `0` (number)'],
    [{ minThreads: 1.5 }, 'Expected `minThreads` to be a positive integer, got `1.5` (number)'],
    [{ concurrentTasksPerWorker: 0 }, 'Expected `concurrentTasksPerWorker` to be a positive integer, got `0` (number)'],
    [{ cancelGraceMs: -1 }, 'Expected `cancelGraceMs` to be a finite number >= 0, got `-1` (number)'],
    [{ idleTimeoutMs: 'soon' }, 'Expected `idleTimeoutMs` to be a number >= 0, got `soon` (string)'],
    [{ maxQueue: 1.5 }, 'Expected `maxQueue` to be an integer >= 0 or Infinity, got `1.5` (number)'],
    [{ clock: {} }, 'Expected `clock` to be a Scheduler with now() and callLater(), got an object without them (object)'],
  ])('rejects %p with a p-queue style TypeError', (options, message) => {
    expect(() => resolveThreadPoolOptions(options as never)).toThrow(new TypeError(message));
  });

  it('rejects minThreads above maxThreads with RangeError', () => {
    expect(() => resolveThreadPoolOptions({ minThreads: 3, maxThreads: 2 })).toThrow(RangeError);
  });
});
