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
    [{ idleTimeoutMs: 'soon' }, 'Expected `idleTimeoutMs` to be a number >= 0, got `soon` (string)'],
    [{ maxThreads: '2' }, 'Expected `maxThreads` to be a positive integer, got `2` (string)'],
    [{ coalesce: { flushMs: '5' } }, 'Expected `coalesce.flushMs` to be a finite number >= 0, got `5` (string)'],
    [{ recycle: { maxAgeMs: '1s' } }, 'Expected `recycle.maxAgeMs` to be a finite number > 0, got `1s` (string)'],
    [{ clock: {} }, 'Expected `clock` to be a Scheduler with now() and callLater(), got an object without them (object)'],
  ])('rejects %p (not a number) with a p-queue style TypeError', (options, message) => {
    // toThrow(error) compares messages only: the class is checked on its own.
    expect(() => resolveThreadPoolOptions(options as never)).toThrow(TypeError);
    expect(() => resolveThreadPoolOptions(options as never)).not.toThrow(RangeError);
    expect(() => resolveThreadPoolOptions(options as never)).toThrow(message);
  });

  // The one rule of src/option-ranges.ts, below a range as above it: a number out of range is a RangeError.
  it.each([
    [{ maxThreads: 0 }, 'Expected `maxThreads` to be a positive integer, got `0` (number)'],
    [{ minThreads: 1.5 }, 'Expected `minThreads` to be a positive integer, got `1.5` (number)'],
    [{ concurrentTasksPerWorker: 0 }, 'Expected `concurrentTasksPerWorker` to be a positive integer, got `0` (number)'],
    [{ cancelGraceMs: -1 }, 'Expected `cancelGraceMs` to be a finite number >= 0, got `-1` (number)'],
    [{ cancelGraceMs: Number.POSITIVE_INFINITY }, 'Expected `cancelGraceMs` to be a finite number >= 0, got `Infinity` (number)'],
    [{ idleTimeoutMs: Number.NaN }, 'Expected `idleTimeoutMs` to be a number >= 0, got `NaN` (number)'],
    [{ maxQueue: -1 }, 'Expected `maxQueue` to be a number >= 0, got `-1` (number)'],
    [{ maxQueue: 1.5 }, 'Expected `maxQueue` to be an integer >= 0 or Infinity, got `1.5` (number)'],
    [{ coalesce: { maxBatch: 0 } }, 'Expected `coalesce.maxBatch` to be a positive integer, got `0` (number)'],
    [{ coalesce: { flushMs: -1 } }, 'Expected `coalesce.flushMs` to be a finite number >= 0, got `-1` (number)'],
    [{ coalesce: { maxArgBytes: -1 } }, 'Expected `coalesce.maxArgBytes` to be a number >= 0, got `-1` (number)'],
    [{ recycle: { maxTasks: 0 } }, 'Expected `recycle.maxTasks` to be a positive integer, got `0` (number)'],
    [{ recycle: { maxHeapMb: -1 } }, 'Expected `recycle.maxHeapMb` to be a finite number > 0, got `-1` (number)'],
    [{ recycle: { maxAgeMs: 0 } }, 'Expected `recycle.maxAgeMs` to be a finite number > 0, got `0` (number)'],
  ])('rejects %p (a number out of range) with a p-queue style RangeError', (options, message) => {
    expect(() => resolveThreadPoolOptions(options as never)).toThrow(RangeError);
    expect(() => resolveThreadPoolOptions(options as never)).toThrow(message);
  });

  it('rejects minThreads above maxThreads with RangeError', () => {
    expect(() => resolveThreadPoolOptions({ minThreads: 3, maxThreads: 2 })).toThrow(RangeError);
  });
});
