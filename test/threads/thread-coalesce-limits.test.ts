import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { Clock } from '../../src/time/clock.js';
import { TimeoutError } from '../../src/errors.js';
import { runWithDeadline } from '../../src/context/deadline-scope.js';
import type { Task } from '../../src/task/task.js';
import * as fx from '../fixtures/thread-tasks.js';
import * as cx from '../fixtures/context-tasks.js';
import { behindBlocker, built, changed, failureOf, gate, open, until } from './thread-test-kit.js';

/** The built fixture task, with its own `timeoutMs`. */
function limited<T extends Task<any[], any>>(task: T, timeoutMs: number): T {
  const b = built(task);
  return { ...b, options: { ...b.options, timeoutMs } };
}

describe('ThreadPool coalescing: calls with their own limits and context', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  it('keeps the timeout of each call inside a batch: a late one errbacks and never runs, its mates do', async () => {
    const clock = new Clock();
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock });
    const first = gate();
    const ran = gate(4);
    let dispatched = [0, 0];
    const { queued, release } = await behindBlocker(pool, () => {
      const before = Date.now();
      const calls = [
        pool.run(built(fx.waitForGate), first, 'first'),
        pool.run(limited(fx.markRan, 50), ran, 1),
        pool.run(built(fx.markRan), ran, 2),
        pool.run(limited(fx.markRan, 1000), ran, 3),
        // A mate with its own limit that outlives the batch: it reads the deadline its limit gave it.
        pool.run(limited(cx.readDeadline, 1000)),
      ];
      dispatched = [before, Date.now()];
      return calls;
    });
    await release();
    await changed(first); // the batch is with the worker, its first call running
    expect(pool.stats()).toMatchObject({ batches: 1, coalesced: 5 });
    clock.advance(50); // call 1's own limit, counted from its dispatch
    expect(await failureOf(queued[1]!)).toBeInstanceOf(TimeoutError);
    open(first);
    expect(await Promise.all([queued[0], queued[2], queued[3]])).toEqual(['first', 2, 3]);
    // Its limit travelled with it inside the batch (a batch entry without its limits reads null here).
    const seen = (await queued[4]) as number | null;
    expect(seen).not.toBeNull();
    expect(seen).toBeGreaterThanOrEqual(dispatched[0]! + 1000);
    expect(seen).toBeLessThanOrEqual(dispatched[1]! + 1000);
    await until(() => pool.stats().inFlight === 0);
    expect([Atomics.load(ran, 1), Atomics.load(ran, 2), Atomics.load(ran, 3)]).toEqual([0, 1, 1]);
    expect(pool.stats()).toMatchObject({ timedOut: 1, completed: 5 });
  });

  it("does not start a batched call whose deadline passed before the worker reached it ('expired')", async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1 }); // real time: the worker checks the deadline itself
    const wall = gate();
    const ran = gate(2);
    const after = gate();
    const { queued, release } = await behindBlocker(pool, () => [
      // Holds the worker until well past the next call's deadline (1 s from its dispatch, a moment later).
      pool.run(built(fx.waitUntilWall), wall, Date.now() + 1500),
      pool.run(limited(fx.markRan, 1000), ran, 1),
      // Says when the worker got past the late call.
      pool.run(built(fx.waitUntilWall), after, 0),
    ]);
    await release();
    // Block this thread (as a main thread too busy to fire timers would be) until the last call of the batch ran:
    // the late call's fate was decided in the worker meanwhile.
    expect(Atomics.wait(after, 0, 0, 30_000)).not.toBe('timed-out');
    expect(await failureOf(queued[1]!)).toBeInstanceOf(TimeoutError);
    expect(await queued[2]).toBe(0);
    await until(() => pool.stats().inFlight === 0);
    expect(Atomics.load(ran, 1)).toBe(0);
    expect(pool.stats()).toMatchObject({ batches: 1, coalesced: 3, timedOut: 1 });
  });

  it('restores each call’s own carried context around its run', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    const ids = ['req-a', 'req-b', undefined, 'req-c'];
    const { queued, release } = await behindBlocker(pool, () =>
      ids.map((id) => (id === undefined ? pool.run(built(cx.whoAmI)) : cx.requestId.run(id, () => pool.run(built(cx.whoAmI))))),
    );
    await release();
    expect(await Promise.all(queued)).toEqual(['req-a', 'req-b', null, 'req-c']);
    expect(pool.stats()).toMatchObject({ batches: 1, coalesced: 4 });
  });

  it('gives each call its own deadline() inside a batch', async () => {
    const clock = new Clock();
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock });
    const { queued, release } = await behindBlocker(pool, () => [
      pool.run(limited(cx.readDeadline, 1000)),
      pool.run(built(cx.readDeadline)),
      runWithDeadline(clock, 60_000, () => pool.run(built(cx.readDeadline))),
    ]);
    await release();
    const [short, none, scoped] = (await Promise.all(queued)) as [number, null, number];
    expect(none).toBeNull();
    // Dispatched within a few ms of each other: their deadlines are 59 s apart.
    expect(Math.abs(scoped - short - 59_000)).toBeLessThan(1000);
    expect(pool.stats()).toMatchObject({ batches: 1, coalesced: 3 });
  });
});
