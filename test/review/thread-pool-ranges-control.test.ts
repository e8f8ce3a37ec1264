/**
 * Review attacks: a `ThreadPool` made directly (not through a policy) with numbers past their range. The policy
 * schema refuses them (src/option-ranges.ts); the pool's own options took them, and a worker resource limit V8
 * cannot meet failed only as the first worker started (`stackSizeMb: 1e5`: `pool.run()`, a Deferred-returning
 * method, threw `ERR_WORKER_INIT_FAILED` out of the call, which ends the process when nobody catches it), while
 * `maxThreads: 2 ** 40` threw a bare `RangeError: Array buffer allocation failed` from deep inside the pool. Each is
 * now a `RangeError` naming the option and its range (a value that is not a number: `TypeError`), thrown where the
 * pool is made, from the same ranges the policy reads.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { heapMbRange, stackMbRange, threadCountRange } from '../../src/option-ranges.js';
import { resolveThreadPoolOptions } from '../../src/threads/thread-pool-options.js';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { revokedProxy } from '../helpers/hostile-values.js';

describe('resolveThreadPoolOptions() past the ranges of src/option-ranges.ts', () => {
  it.each([
    [{ resourceLimits: { stackSizeMb: 1e5 } }, 'resourceLimits.stackSizeMb'],
    [{ resourceLimits: { codeRangeSizeMb: 1e12 } }, 'resourceLimits.codeRangeSizeMb'],
    [{ resourceLimits: { maxOldGenerationSizeMb: Number.NaN } }, 'resourceLimits.maxOldGenerationSizeMb'],
    [{ resourceLimits: { maxYoungGenerationSizeMb: -1 } }, 'resourceLimits.maxYoungGenerationSizeMb'],
    [{ maxThreads: 2 ** 40 }, 'maxThreads'],
    [{ minThreads: 1025, maxThreads: 2000 }, 'minThreads'],
  ])('%j is a RangeError naming %s and its range', (options, name) => {
    expect(() => resolveThreadPoolOptions(options)).toThrow(RangeError);
    expect(() => resolveThreadPoolOptions(options)).toThrow(new RegExp(`Expected \`${name.replace('.', '\\.')}\` to be (a number|an integer) from`));
  });

  it('takes each at its greatest value', () => {
    const o = resolveThreadPoolOptions({
      minThreads: 1,
      maxThreads: threadCountRange.max,
      resourceLimits: { stackSizeMb: stackMbRange.max, codeRangeSizeMb: heapMbRange.max, maxOldGenerationSizeMb: heapMbRange.max },
    });
    expect(o.maxThreads).toBe(1024);
    expect(o.resourceLimits).toEqual({ stackSizeMb: 1024, codeRangeSizeMb: 65_536, maxOldGenerationSizeMb: 65_536 });
  });

  it('names a value with no primitive form instead of throwing what building the message threw', () => {
    expect(() => resolveThreadPoolOptions({ maxThreads: Object.create(null) as never })).toThrow(/got `\[object Object\]` \(object\)/);
    expect(() => resolveThreadPoolOptions({ resourceLimits: { stackSizeMb: revokedProxy() as never } })).toThrow(TypeError);
  });

  it('refuses a resource limit given as a string with a TypeError naming it', () => {
    expect(() => resolveThreadPoolOptions({ resourceLimits: { stackSizeMb: '4' as never } })).toThrow(TypeError);
    expect(() => resolveThreadPoolOptions({ resourceLimits: { stackSizeMb: '4' as never } })).toThrow(/`resourceLimits\.stackSizeMb`/);
  });
});

describe('new ThreadPool() past the ranges', () => {
  it('throws the RangeError where the pool is made, before any worker starts', () => {
    expect(() => new ThreadPool({ resourceLimits: { stackSizeMb: 1e5 } })).toThrow(/`resourceLimits\.stackSizeMb`/);
  });
});
