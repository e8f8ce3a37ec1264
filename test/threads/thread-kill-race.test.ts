import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Worker } from 'node:worker_threads';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError, WorkerCrashedError } from '../../src/errors.js';
import * as fx from '../fixtures/thread-tasks.js';
import * as lx from '../fixtures/lifecycle-tasks.js';
import { built, changed, failureOf, gate, open } from './thread-test-kit.js';
import { nextTurn } from '../helpers/next-turn.js';

/** Node's own `Worker#terminate` (a test below holds terminations back, then lets them through). */
const realTerminate: (this: Worker) => Promise<number> = Object.getOwnPropertyDescriptor(Worker.prototype, 'terminate')!.value as never;

/** Blocks the main thread (no event loop turn) until a worker stores non-zero in `cell[index]`. */
function blockUntilAnnounced(cell: Int32Array, index: number): void {
  // Bounded only so that a broken fixture fails the test instead of hanging it; the worker's notify ends the wait.
  if (Atomics.wait(cell, index, 0, 10_000) === 'timed-out') throw new Error(`gate[${index}] was never announced`);
}

describe('ThreadPool cancel grace kill', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  it('does not terminate a worker whose cancelled task finished while its reply was on the way (the next task runs there)', async () => {
    const clock = new Clock();
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, cancelGraceMs: 5, clock });
    const worker = await pool.run(built(fx.workerThreadId));
    const cells = gate(2);
    const cancelledOne = pool.run(built(fx.finishWhenCancelled), cells);
    const next = pool.run(built(fx.workerThreadId)); // queued behind it on the only worker
    await changed(cells); // the first task runs
    cancelledOne.cancel();
    // The task sees cancelled() and returns; the worker is now cloning its reply. The main thread stays blocked,
    // so the reply cannot have been read: the grace check runs exactly in the window the defect needs.
    blockUntilAnnounced(cells, 1);
    clock.advance(5);
    expect(await failureOf(cancelledOne)).toBeInstanceOf(CancelledError);
    expect(await next).toBe(worker); // not WorkerCrashedError, and not a replacement: the worker was kept
    expect(pool.stats().crashed).toBe(0);
  });

  it('puts a task back in line when the worker it waited in is terminated before it started', async () => {
    const clock = new Clock();
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2, cancelGraceMs: 5, clock });
    const cells = gate(2);
    const deaf = pool.run(built(fx.spinForever), cells);
    await changed(cells); // the worker's thread is busy for good
    const waiting = pool.run(built(fx.add), 1, 2); // handed to the same worker (2 tasks per worker), never reached
    deaf.cancel();
    clock.advance(5); // the grace is over: the worker is terminated with `waiting` still inside
    expect(await failureOf(deaf)).toBeInstanceOf(CancelledError);
    expect(await waiting).toBe(3); // it never started, so it runs on the replacement
    expect(pool.stats()).toMatchObject({ crashed: 0, retried: 0 });
  });

  it('puts a task back in line when it reached a fresh worker while the task before it was loading its module, and that task then blocked the worker until its kill', async () => {
    const clock = new Clock();
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2, cancelGraceMs: 5, clock, coalesce: false });
    const cells = gate(2);
    // Both sent at once to a worker that has loaded nothing: the first call's module loads asynchronously, and the
    // worker reads the second message meanwhile. The second must not count as started before its code runs.
    const deaf = pool.run(built(fx.spinForever), cells);
    const waiting = pool.run(built(fx.add), 1, 2);
    await changed(cells); // the worker's thread is busy for good
    deaf.cancel();
    clock.advance(5); // the grace is over: the worker is terminated with `waiting` inside, its code never run
    expect(await failureOf(deaf)).toBeInstanceOf(CancelledError);
    expect(await waiting).toBe(3); // not WorkerCrashedError: it runs on the replacement
    expect(pool.stats()).toMatchObject({ crashed: 0, retried: 0 });
  });

  it('puts a task back in line when another task crashes the worker it waited in', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2, clock: new Clock() });
    const cells = gate(2);
    const crash = pool.run(built(fx.exitWhenOpened), cells, 3);
    await changed(cells); // its thread is blocked: what is handed to the worker now waits unread
    const waiting = pool.run(built(fx.add), 2, 2);
    open(cells);
    expect(await failureOf(crash)).toBeInstanceOf(WorkerCrashedError);
    expect(await waiting).toBe(4);
    expect(pool.stats()).toMatchObject({ crashed: 1, retried: 0 });
  });

  it('starts no task on a worker it decided to kill: a task the worker reads before it dies goes back in line (several tasks per worker)', async () => {
    const clock = new Clock();
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2, cancelGraceMs: 5, clock });
    const doomedThread = await pool.run(built(fx.workerThreadId));
    const first = gate(2);
    const deaf = pool.run(built(lx.blockThenHang), first);
    expect(await changed(first)).toBe(doomedThread); // it runs and blocks its thread
    const second = gate(2);
    const late = pool.run(built(lx.announceThenWait), second); // handed to the same worker, unread while it blocks
    // Hold the termination the grace check asks for: the kill is decided, the thread not gone yet.
    const held: Array<() => void> = [];
    const terminate = jest.spyOn(Worker.prototype, 'terminate').mockImplementation(function (this: Worker) {
      held.push(() => void realTerminate.call(this));
      return new Promise<number>(() => undefined);
    });
    try {
      deaf.cancel();
      clock.advance(5); // the grace is over: the decision to kill `doomedThread` is taken here
      expect(terminate).toHaveBeenCalledTimes(1);
      open(first); // the worker's thread is free again and reads `late` before it dies
      // `late` starts somewhere: on the doomed worker (the defect: it would die there although it started after the
      // decision), or on the replacement that starts while the doomed worker is still alive.
      const ranOn = await changed(second);
      expect(ranOn).not.toBe(doomedThread);
    } finally {
      terminate.mockRestore();
      for (const release of held) release();
    }
    open(second);
    expect(await failureOf(deaf)).toBeInstanceOf(CancelledError);
    expect(await late).not.toBe(doomedThread);
    expect(pool.stats()).toMatchObject({ crashed: 0, retried: 0 });
  });

  it('puts a task that never started back in line three times at most: the fourth worker dying under it errbacks WorkerCrashedError', async () => {
    const clock = new Clock();
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2, cancelGraceMs: 5, clock, coalesce: false });
    // Terminations are held until the replacement runs its deaf task: on a fresh worker the first task's module loads
    // asynchronously, and a task handed to it meanwhile would claim its slot (start) before the thread blocks.
    const held: Worker[] = [];
    const terminate = jest.spyOn(Worker.prototype, 'terminate').mockImplementation(function (this: Worker) {
      held.push(this);
      return new Promise<number>(() => undefined);
    });
    try {
      let cells = gate(2);
      let deaf = pool.run(built(fx.spinForever), cells);
      await changed(cells); // the worker's thread is busy for good
      const waiting = pool.run(built(fx.add), 1, 2); // handed to the same worker (2 tasks per worker), never reached
      for (let kill = 1; kill <= 4; kill++) {
        deaf.cancel();
        const before = held.length; // Piscina terminates a worker it saw exit as well: take only this kill's
        clock.advance(5); // the grace is over: the kill of the worker holding `waiting` is decided
        expect(held.length).toBe(before + 1);
        const doomed = held[before]!;
        let nextDeaf: typeof deaf | undefined;
        if (kill < 4) {
          // The replacement starts while the doomed worker lives; its thread is blocked before `waiting` comes back.
          cells = gate(2);
          nextDeaf = pool.run(built(fx.spinForever), cells);
          await changed(cells);
        }
        await realTerminate.call(doomed); // the worker dies with `waiting` inside, unstarted
        // The pool hears of the death through promise reactions, which all run before the next turn's check phase.
        await nextTurn();
        expect(await failureOf(deaf)).toBeInstanceOf(CancelledError);
        if (nextDeaf === undefined) break;
        deaf = nextDeaf;
      }
      // Back in line after each of the first three deaths (workers dying before a task starts are bounded, as ones
      // failing at boot would be); the fourth ends it, as a crash, with no retry counted.
      expect(await failureOf(waiting)).toBeInstanceOf(WorkerCrashedError);
      expect(pool.stats()).toMatchObject({ crashed: 1, retried: 0, cancelled: 4 });
    } finally {
      terminate.mockRestore();
      for (const worker of held) void realTerminate.call(worker);
    }
  });
});
