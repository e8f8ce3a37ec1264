/**
 * A coalesced call declined by a retiring worker (`threads.recycle.maxTasks`) goes back in line and runs on the
 * replacement: it must still carry its own context (SPEC §10 carriers) and its own deadline, not a batch-mate's nor
 * none.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { runWithDeadline } from '../../src/context/deadline-scope.js';
import { Clock } from '../../src/time/clock.js';
import * as fx from '../fixtures/context-tasks.js';
import { behindBlocker, built } from '../threads/thread-test-kit.js';

describe('a coalesced call handed back by a retiring worker, on real workers', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  it('runs on the replacement with its own carried context and its own deadline', async () => {
    const clock = new Clock();
    clock.advance(1_000);
    // The blocker is the worker's first task, the batch's first two calls its second and third: the rest are declined.
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock, recycle: { maxTasks: 3 } });
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const { queued, release } = await behindBlocker(pool, () =>
      ids.map((id, i) =>
        fx.requestId.run(id, () => runWithDeadline(clock, 10_000 * (i + 1), () => [pool.run(built(fx.whoAmI)), pool.run(built(fx.readDeadline))])),
      ),
    );
    const deadlinesAtDispatch = ids.map((_, i) => Date.now() + 10_000 * (i + 1));
    await release();
    const seen = await Promise.all(queued.map(async ([who, deadline]) => [await who!, await deadline!] as const));
    expect(seen.map(([who]) => who)).toEqual(ids);
    // Each its own deadline (wall clock, set at dispatch: within the few ms between dispatch and the line above).
    seen.forEach(([, deadline], i) => {
      expect(deadline).not.toBeNull();
      expect(Math.abs((deadline as number) - deadlinesAtDispatch[i]!)).toBeLessThan(5_000);
    });
    const stats = pool.stats();
    expect(stats.recycledWorkers).toBeGreaterThanOrEqual(1);
    expect(stats.coalesced).toBeGreaterThan(ids.length * 2); // declined calls were sent again
    expect(stats).toMatchObject({ crashed: 0, failed: 0, retried: 0 });
  });
});
