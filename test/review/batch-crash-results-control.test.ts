import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { counted, endsUnlessOpen, type WorkerEnding } from '../fixtures/finished-results-tasks.js';
import { behindBlocker, built, gate, learnQuick, lostOrValue, settled } from '../threads/thread-test-kit.js';

/**
 * Without `coalesce.keepFinished`, a worker that dies of an uncaught error outside its task must not take with it the
 * results of calls that finished before: the report of the error reaches the pool on the worker's internal channel,
 * which can overtake the results still on the way (the batch's reply, or a flush on `parentPort`).
 */
describe('ThreadPool coalescing, a worker that dies of an uncaught error (without keepFinished)', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  /**
   * One round on a pool of one worker: the worker learns {@link endsUnlessOpen} as quick, then runs a batch of three
   * counted calls and one that ends it as `how` says.
   * @returns how each of the four calls ended ({@link lostOrValue}), and how often each counted call ran.
   */
  async function round(how: WorkerEnding): Promise<{ outcomes: unknown[]; runs: number[] }> {
    const ender = built(endsUnlessOpen);
    const open = gate(2);
    open[1] = 1;
    await learnQuick(pool, () => pool.run(ender, open, how), 1);
    const counter = gate(4);
    const { queued, release } = await behindBlocker(pool, () => [
      ...Array.from({ length: 3 }, (_, i) => pool.run(built(counted), counter, i)),
      pool.run(ender, gate(2), how),
    ]);
    await release();
    const outcomes = (await Promise.all(queued.map((d) => settled(d)))).map(lostOrValue);
    return { outcomes, runs: [0, 1, 2].map((i) => Atomics.load(counter, i)) };
  }

  it.each<[WorkerEnding, string, unknown]>([
    ['throw', 'the batch reply is on its way when a microtask it queued throws', 1],
    ['throwAwaiting', 'the results were flushed before an async call whose timer throws', 'WorkerCrashedError'],
  ])('keeps every finished result, round after round (%s: %s)', async (how, _when, enderOutcome) => {
    // A worker that dies with no task out (the reply came first) is reported to onError: expected here.
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, coalesce: { flushMs: 60_000 } }, { onError: () => undefined });
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) {
      const { outcomes, runs } = await round(how);
      expect(runs).toEqual([1, 1, 1]);
      seen.push(JSON.stringify(outcomes));
    }
    expect(new Set(seen)).toEqual(new Set([JSON.stringify([1, 1, 1, enderOutcome])]));
    expect(pool.stats().retried).toBe(0);
  }, 120_000);
});
