import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { Clock } from '../../src/time/clock.js';
import type { Deferred } from '../../src/deferred/deferred.js';
import type { Task } from '../../src/task/task.js';
import * as cx from '../fixtures/control-tasks.js';
import { behindBlocker, built, changed, gate, lostOrValue, settled } from '../threads/thread-test-kit.js';

describe('ThreadPool coalescing on real workers, adversarial', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  /** Runs five calls of `task` in a batch, so the worker learns it is quick: a finished result may be held before it. */
  async function learnQuick(task: Task<[Int32Array], number>, cells: Int32Array): Promise<void> {
    const { queued, release } = await behindBlocker(pool, () => Array.from({ length: 5 }, () => pool.run(task, cells)));
    await release();
    expect(await Promise.all(queued)).toEqual([1, 1, 1, 1, 1]);
  }

  it('never re-runs a batched call that returned when a later call of its batch is hard-killed (retries count only calls that did not return)', async () => {
    const clock = new Clock();
    // A long flushMs: the worker may hold finished results for as long as the batch runs.
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, cancelGraceMs: 5, clock, coalesce: { flushMs: 60_000 } });
    const quick = built(cx.quickUnlessClosed);
    const openCells = gate(2);
    openCells[1] = 1;
    await learnQuick(quick, openCells);
    const counter = gate(4);
    const spin = gate(2);
    const { queued, release } = await behindBlocker(pool, () => [
      ...Array.from({ length: 3 }, (_, i) => pool.run(built(cx.countedRetried), counter, i)),
      pool.run(quick, spin),
    ]);
    await release();
    await changed(spin); // the three counted calls returned; the fourth spins, deaf to cancellation
    queued[3]!.cancel();
    clock.advance(5); // the grace is over: the worker is terminated mid-batch
    const outcomes = await Promise.all(queued.map((d) => settled(d as Deferred<unknown>)));
    // Each counted call ran exactly once: a call that returned is never run again, whatever became of its result.
    expect([0, 1, 2].map((i) => Atomics.load(counter, i))).toEqual([1, 1, 1]);
    expect(outcomes[3]!.ok ? 'ok' : (outcomes[3]!.error as Error).name).toBe('CancelledError');
    // Their results were held in the worker (flushMs) and died with it: each Deferred says so, once.
    expect(outcomes.slice(0, 3).map(lostOrValue)).toEqual(['lost', 'lost', 'lost']);
    expect(pool.stats().retried).toBe(0);
  });

  it('never re-runs a batched call that returned when a later call of its batch runs its worker out of memory before the results left', async () => {
    // A long flushMs: the worker may hold finished results for as long as the batch runs.
    pool = new ThreadPool({
      minThreads: 1,
      maxThreads: 1,
      coalesce: { flushMs: 60_000 },
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
      clock: new Clock(),
    });
    const hoard = built(cx.hoardUnlessOpen);
    const openCells = gate(2);
    openCells[1] = 1;
    await learnQuick(hoard, openCells);
    const counter = gate(4);
    const { queued, release } = await behindBlocker(pool, () => [
      ...Array.from({ length: 3 }, (_, i) => pool.run(built(cx.countedRetried), counter, i)),
      pool.run(hoard, gate(2)),
    ]);
    await release();
    const outcomes = await Promise.all(queued.map((d) => settled(d as Deferred<unknown>)));
    expect([0, 1, 2].map((i) => Atomics.load(counter, i))).toEqual([1, 1, 1]);
    expect(outcomes.slice(0, 3).map(lostOrValue)).toEqual(['lost', 'lost', 'lost']);
    expect(pool.stats().retried).toBe(0);
  });
});
