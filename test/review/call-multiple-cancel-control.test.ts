import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { Clock } from '../../src/time/clock.js';
import { runWithDeadline } from '../../src/context/deadline-scope.js';
import * as cx from '../fixtures/control-tasks.js';
import { awaitAbort, markRan } from '../fixtures/thread-tasks.js';
import { behindBlocker, built, changed, failureOf, gate, open } from '../threads/thread-test-kit.js';

describe('ThreadPool.runCalls (callMultipleInThread) under cancel, on real workers', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  it('runs none of its calls when cancelled while it waits for a worker', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    const ran = gate(4);
    const { queued, release } = await behindBlocker(pool, () => pool.runCalls([[built(markRan), ran, 0], [built(markRan), ran, 1]]));
    queued.cancel();
    expect((await failureOf(queued)).name).toBe('CancelledError');
    await release();
    expect(await pool.run(built(markRan), ran, 2)).toBe(2); // the worker went past the cancelled calls
    expect([0, 1].map((i) => Atomics.load(ran, i))).toEqual([0, 0]);
  });

  it.each([0, 1])('starts no later call once cancelled while call %i runs (the running one finishes within the grace)', async (at) => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    const ran = gate(4);
    const hold = gate(2);
    const calls: Array<readonly [typeof markRan | typeof cx.countThenHold, ...unknown[]]> = [];
    for (let i = 0; i < at; i++) calls.push([built(markRan), ran, i]);
    calls.push([built(cx.countThenHold), hold]);
    calls.push([built(markRan), ran, 2], [built(markRan), ran, 3]);
    const d = pool.runCalls(calls as never);
    await changed(hold); // the holding call runs
    d.cancel();
    expect((await failureOf(d)).name).toBe('CancelledError');
    open(hold); // it returns: the calls after it must not start
    expect(await pool.run(built(markRan), ran, 1)).toBe(1); // the worker is free again
    expect([2, 3].map((i) => Atomics.load(ran, i))).toEqual([0, 0]);
  });

  it('starts no later call once cancelled while an async call awaits (it ends on its signal)', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    const ran = gate(4);
    const waiting = gate(4);
    const d = pool.runCalls([
      [built(awaitAbort), waiting],
      [built(markRan), ran, 2],
    ]);
    await changed(waiting); // the async call awaits its signal
    d.cancel();
    expect((await failureOf(d)).name).toBe('CancelledError');
    await changed(waiting, 0, 1); // its signal aborted: it returned
    expect(await pool.run(built(markRan), ran, 1)).toBe(1); // the worker is free again
    expect(Atomics.load(ran, 2)).toBe(0);
  });

  it('starts no later call once its withDeadline scope passed while a call runs (TimeoutError)', async () => {
    const clock = new Clock();
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock });
    const ran = gate(4);
    const hold = gate(2);
    const d = runWithDeadline(clock, 1000, () => pool.runCalls([[built(cx.countThenHold), hold], [built(markRan), ran, 2]]));
    await changed(hold); // the holding call runs
    clock.advance(1000);
    expect((await failureOf(d)).name).toBe('TimeoutError');
    open(hold);
    expect(await pool.run(built(markRan), ran, 1)).toBe(1);
    expect(Atomics.load(ran, 2)).toBe(0);
  });
});
