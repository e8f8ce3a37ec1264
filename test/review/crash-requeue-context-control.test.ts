/**
 * A coalesced call that had not started when a batch-mate crashed its worker (`process.exit`) goes back to the head of
 * the line and runs on the replacement (SPEC §7 coalescing, no retry counted): it must still carry its own context
 * (SPEC §10 carriers) and its own deadline, counted from its dispatch, not from the moment it was sent again.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { runWithDeadline } from '../../src/context/deadline-scope.js';
import { Clock } from '../../src/time/clock.js';
import { WorkerCrashedError } from '../../src/errors.js';
import * as fx from '../fixtures/context-tasks.js';
import * as tx from '../fixtures/thread-tasks.js';
import { behindBlocker, built, settled } from '../threads/thread-test-kit.js';

describe('a coalesced call sent again after a batch-mate crashed its worker, on real workers', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  it('runs on the replacement with its own carried context and its own deadline from dispatch', async () => {
    const clock = new Clock();
    clock.advance(1_000);
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock });
    const before = ['a', 'b'];
    const after = ['c', 'd'];
    const call = (id: string, i: number): ReturnType<ThreadPool['run']>[] =>
      fx.requestId.run(id, () => runWithDeadline(clock, 10_000 * (i + 1), () => [pool.run(built(fx.whoAmI)), pool.run(built(fx.readDeadline))]));
    const { queued, release } = await behindBlocker(pool, () => ({
      first: before.map((id, i) => call(id, i)),
      crash: pool.run(built(tx.exitWorker), 3),
      then: after.map((id, i) => call(id, i + before.length)),
    }));
    const deadlinesAtDispatch = [...before, ...after].map((_, i) => Date.now() + 10_000 * (i + 1));
    clock.advance(5_000); // time passes before the calls are sent again: their deadlines must not move
    await release();
    const crash = await settled(queued.crash);
    expect(crash.ok ? crash.value : crash.error).toBeInstanceOf(WorkerCrashedError);
    const seen = await Promise.all([...queued.first, ...queued.then].map(async ([who, deadline]) => [await who!, await deadline!] as const));
    expect(seen.map(([who]) => who)).toEqual([...before, ...after]);
    seen.forEach(([, deadline], i) => {
      expect(deadline).not.toBeNull();
      expect(Math.abs((deadline as number) - deadlinesAtDispatch[i]!)).toBeLessThan(4_000);
    });
    expect(pool.stats()).toMatchObject({ crashed: 1, failed: 0, retried: 0 });
  });
});
