/**
 * A `ThreadPool`'s wiring hooks (`onRunTimed`, `onCrash`, `onWorkerExit`) are user code run inside the pool's
 * bookkeeping: what they throw goes to `onError`, and every call still ends as it would have without the hook.
 * Real workers.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { WorkerCrashedError } from '../../src/errors.js';
import * as fx from '../fixtures/thread-tasks.js';
import { built, failureOf, gate } from '../threads/thread-test-kit.js';

class HookError extends Error {}

describe('a ThreadPool whose wiring hooks throw', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  it('answers every call when onRunTimed throws, alone and in a coalesced batch, and reports the throws', async () => {
    const reported: unknown[] = [];
    pool = new ThreadPool(
      { maxThreads: 1 },
      {
        onRunTimed: () => {
          throw new HookError('onRunTimed');
        },
        onError: (error) => reported.push(error),
      },
    );
    expect(await pool.run(built(fx.add), 40, 2)).toBe(42);
    const many = Array.from({ length: 8 }, (_, i) => pool.run(built(fx.add), i, 1));
    expect(await Promise.all(many)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(pool.stats().coalesced).toBeGreaterThan(0);
    expect(reported.length).toBeGreaterThanOrEqual(9);
    expect(reported.every((error) => error instanceof HookError)).toBe(true);
  });

  it('retries a crashed call as if there were no onCrash when the hook throws', async () => {
    const reported: unknown[] = [];
    pool = new ThreadPool(
      { maxThreads: 1 },
      {
        onCrash: () => {
          throw new HookError('onCrash');
        },
        onError: (error) => reported.push(error),
      },
    );
    expect(await pool.run(built(fx.crashOnce), gate(1))).toBe(2);
    expect(reported.filter((error) => error instanceof HookError)).toHaveLength(1);
  });

  it('reports an onWorkerExit throw to onError instead of throwing it from a microtask', async () => {
    let reported: (error: unknown) => void = () => undefined;
    const hookError = new Promise<unknown>((resolve) => (reported = resolve));
    pool = new ThreadPool(
      { maxThreads: 1 },
      {
        onWorkerExit: () => {
          throw new HookError('onWorkerExit');
        },
        onError: (error) => {
          if (error instanceof HookError) reported(error);
        },
      },
    );
    expect(await failureOf(pool.run(built(fx.exitWorker), 3))).toBeInstanceOf(WorkerCrashedError);
    expect(await hookError).toBeInstanceOf(HookError);
    expect(await pool.run(built(fx.add), 1, 1)).toBe(2);
  });
});
