import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError, DataCloneError, TimeoutError } from '../../src/errors.js';
import type { Deferred } from '../../src/deferred/deferred.js';
import * as fx from '../fixtures/thread-tasks.js';
import { pause } from '../fixtures/policy-tasks.js';
import { behindBlocker, built, changed, failureOf, gate, open, settled, until } from './thread-test-kit.js';

describe('ThreadPool coalescing', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  it('sends calls that wait for a worker in one batch, each with its own result and stats', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    const { queued, release } = await behindBlocker(pool, () => Array.from({ length: 64 }, (_, i) => pool.run(built(fx.add), i, 1)));
    expect(pool.queueDepth).toBe(64);
    await release();
    expect(await Promise.all(queued)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    const stats = pool.stats();
    expect(stats).toMatchObject({ batches: 1, coalesced: 64, completed: 65, failed: 0, inFlight: 0, queueDepth: 0 });
    expect(stats.tasks.add?.runs).toBe(64);
  });

  it('moves each batched result marked with transferResult to the main thread, intact', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    const { queued, release } = await behindBlocker(pool, () => Array.from({ length: 8 }, (_, i) => pool.run(built(fx.makeBuffer), 16 + i)));
    await release();
    const buffers = await Promise.all<ArrayBuffer>(queued);
    expect(pool.stats()).toMatchObject({ batches: 1, coalesced: 8 });
    expect(buffers.map((b) => [b.byteLength, new Uint8Array(b).every((x) => x === 7)])).toEqual(Array.from({ length: 8 }, (_, i) => [16 + i, true]));
  });

  it('fails only the call whose result cannot be cloned inside a batch: its mates arrive, no worker dies, no retry', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    const before = await pool.run(built(fx.workerThreadId));
    const counter = gate(1);
    const ran = gate(4);
    const { queued, release } = await behindBlocker(pool, () => [
      pool.run(built(fx.markRan), ran, 1),
      pool.run(built(fx.returnUncloneable), counter, 'method'), // retries: 2
      pool.run(built(fx.markRan), ran, 2),
    ]);
    await release();
    const error = await failureOf(queued[1]!);
    expect(error).toBeInstanceOf(DataCloneError);
    expect(error.message).toMatch(/result of task `returnUncloneable` could not be cloned/);
    expect(await Promise.all([queued[0], queued[2]])).toEqual([1, 2]);
    expect(counter[0]).toBe(1); // it ran once: no retry
    expect(await pool.run(built(fx.workerThreadId))).toBe(before); // the same worker
    expect(pool.stats()).toMatchObject({ batches: 1, coalesced: 3, crashed: 0, retried: 0, failed: 1 });
  });

  it('never holds back a lone call', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    expect(await pool.run(built(fx.add), 1, 2)).toBe(3);
    expect(await pool.run(built(fx.add), 2, 2)).toBe(4);
    expect(pool.stats()).toMatchObject({ batches: 0, coalesced: 0 });
  });

  it('sends every call alone with coalesce: false', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock(), coalesce: false });
    const { queued, release } = await behindBlocker(pool, () => Array.from({ length: 8 }, (_, i) => pool.run(built(fx.add), i, 1)));
    await release();
    expect(await Promise.all(queued)).toHaveLength(8);
    expect(pool.stats()).toMatchObject({ batches: 0, coalesced: 0, completed: 9 });
  });

  it('fails exactly the one call that throws (call 10 of 64), with its dispatch site', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    const { queued, release } = await behindBlocker(pool, () =>
      Array.from({ length: 64 }, (_, i) => pool.run(built(fx.valueOrThrow), i, 10)),
    );
    await release();
    const outcomes = await Promise.all(queued.map((d) => settled(d)));
    const failed = outcomes.flatMap((o, i) => (o.ok ? [] : [i]));
    expect(failed).toEqual([10]);
    const error = (outcomes[10] as { error: Error }).error;
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('call 10 fails');
    // The worker's stack, then where this test dispatched it.
    expect(error.stack).toMatch(/dispatched from[\s\S]*thread-coalesce\.test/);
    expect(outcomes.filter((o) => o.ok).map((o) => (o as { value: number }).value)).toEqual(
      Array.from({ length: 64 }, (_, i) => i).filter((i) => i !== 10),
    );
    expect(pool.stats()).toMatchObject({ batches: 1, coalesced: 64, failed: 1, completed: 64 });
  });

  it('shares one dispatch site among calls dispatched together, until the task has failed once', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    const task = built(fx.valueOrThrow);
    const header = (error: Error): string => error.stack!.split('\n').find((line) => line.includes('dispatched from'))!;
    // Two calls in one synchronous run: the failing second one says its site is the first call's.
    const together = [pool.run(task, 1, 2), pool.run(task, 2, 2)];
    expect(await together[0]).toBe(1);
    expect(header(await failureOf(together[1]!))).toMatch(/dispatched from \(shared by the 2 calls of it dispatched together/);
    // The task has failed: from now on each call captures its own.
    const apart = [pool.run(task, 3, 3), pool.run(task, 4, 4)];
    for (const d of apart) expect(header(await failureOf(d))).toBe('    --- task `valueOrThrow` dispatched from ---');
  });

  it('never runs calls cancelled inside a batch before the worker reached them', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    const first = gate();
    const ran = gate(16);
    const { queued, release } = await behindBlocker(pool, () => [
      pool.run(built(fx.waitForGate), first, 'first of the batch'),
      ...Array.from({ length: 15 }, (_, i) => pool.run(built(fx.markRan), ran, i + 1)),
    ]);
    await release();
    await changed(first); // the batch is with the worker, its first call running, the others not reached yet
    expect(pool.stats().batches).toBe(1);
    const cancelledOnes = [2, 5, 8, 11, 14];
    for (const i of cancelledOnes) queued[i]!.cancel();
    open(first);
    const outcomes = await Promise.all(queued.map((d) => settled(d)));
    for (const i of cancelledOnes) expect((outcomes[i] as { error: unknown }).error).toBeInstanceOf(CancelledError);
    for (let i = 1; i <= 15; i++) expect(`${i}:${Atomics.load(ran, i)}`).toBe(`${i}:${cancelledOnes.includes(i) ? 0 : 1}`);
    // The skipped calls' slots come back with the worker's word that it skipped them.
    await until(() => pool.stats().inFlight === 0);
    expect(pool.stats()).toMatchObject({ cancelled: 5, completed: 12 });
  });

  it('loses nothing that finished when a call of the batch outlives its cancel grace (hard kill)', async () => {
    const clock = new Clock();
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, cancelGraceMs: 5, clock });
    const spin = gate(2);
    const { queued, release } = await behindBlocker(pool, () => [
      ...Array.from({ length: 5 }, (_, i) => pool.run(built(fx.add), i, 100)),
      pool.run(built(fx.spinForever), spin),
      ...Array.from({ length: 5 }, (_, i) => pool.run(built(fx.add), i, 200)),
    ]);
    await release();
    await changed(spin); // the five calls before it finished; it spins, deaf to cancellation
    queued[5]!.cancel();
    clock.advance(5); // the grace is over: the worker is terminated mid-batch
    const outcomes = await Promise.all(queued.map((d) => settled(d as Deferred<unknown>)));
    expect(outcomes.map((o) => (o.ok ? o.value : (o.error as Error).name))).toEqual([
      100, 101, 102, 103, 104, 'CancelledError', 200, 201, 202, 203, 204,
    ]);
    // The five not yet started went back in line and left again as a second batch: no crash, no retry counted.
    expect(pool.stats()).toMatchObject({ crashed: 0, retried: 0, batches: 2, coalesced: 16, inFlight: 0 });
  });

  it('keeps the results of batch-mates when one call crashes its worker', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    const { queued, release } = await behindBlocker(pool, () => [
      ...Array.from({ length: 3 }, (_, i) => pool.run(built(fx.add), i, 100)),
      pool.run(built(fx.exitWorker), 70),
      ...Array.from({ length: 3 }, (_, i) => pool.run(built(fx.add), i, 200)),
    ]);
    await release();
    const outcomes = await Promise.all(queued.map((d) => settled(d as Deferred<unknown>)));
    expect(outcomes.map((o) => (o.ok ? o.value : (o.error as Error).name))).toEqual([100, 101, 102, 'WorkerCrashedError', 200, 201, 202]);
    expect(pool.stats()).toMatchObject({ crashed: 1, retried: 0, inFlight: 0 });
  });

  it('counts the timeout of a call waiting in the coalescing queue from its dispatch', async () => {
    const clock = new Clock();
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock });
    const timed = { ...built(fx.add), options: { timeoutMs: 50 } } as ReturnType<typeof built<typeof fx.add>>;
    const { queued, release } = await behindBlocker(pool, () => [pool.run(timed, 1, 1), pool.run(built(fx.add), 2, 2)]);
    clock.advance(50); // still waiting for the worker
    expect(await failureOf(queued[0]!)).toBeInstanceOf(TimeoutError);
    await release();
    expect(await queued[1]!).toBe(4);
    expect(pool.stats()).toMatchObject({ timedOut: 1, inFlight: 0 });
  });

  it('sends a call with large arguments, or with a transfer list, alone', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock(), coalesce: { maxArgBytes: 1024 } });
    const long = 'x'.repeat(2000);
    const { queued, release } = await behindBlocker(pool, () => [
      pool.run(built(fx.add), 1, 1),
      pool.run(built(fx.add), long as unknown as number, 0),
      pool.run(built(fx.sumBytes), new Uint8Array(64).fill(1).buffer),
      pool.run(built(fx.add), 2, 2),
      pool.run(built(fx.add), 3, 3),
    ]);
    await release();
    expect(await Promise.all(queued)).toEqual([2, `${long}0`, 64, 4, 6]);
    // add(1,1) alone (the large call behind it ends its batch), the large and the transferring calls alone, then
    // the two last together.
    expect(pool.stats()).toMatchObject({ batches: 1, coalesced: 2 });
  });

  it('sends a call of a task known to run long alone, and batches only the quick calls around it', async () => {
    // flushMs 40: a call is long from 20 ms, and a batch's calls may total 40 ms. The margins are wide so that a
    // loaded machine, which can stretch a timed run of add by a few ms, never makes add look long (it did with the
    // default flushMs of 2, whose 1 ms threshold a descheduled worker crossed: one add then went alone).
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock(), coalesce: { flushMs: 40 } });
    const add = built(fx.add);
    const long = built(pause);
    // Timed runs: add is quick once its module is loaded (the first run imports it), pause(25) takes 25 ms or more.
    for (let i = 0; i < 8; i++) await pool.run(add, i, 0);
    expect(await pool.run(long, 25)).toBe(25);
    const { queued, release } = await behindBlocker(pool, () => [
      ...Array.from({ length: 3 }, (_, i) => pool.run(add, i, 100)),
      pool.run(long, 25),
      ...Array.from({ length: 3 }, (_, i) => pool.run(add, i, 200)),
      pool.run(long, 25),
    ]);
    await release();
    expect(await Promise.all(queued)).toEqual([100, 101, 102, 25, 200, 201, 202, 25]);
    // Three adds, pause alone, three adds, pause alone: the long calls never share a message.
    expect(pool.stats()).toMatchObject({ batches: 2, coalesced: 6, failed: 0 });
  });

  it('does not pile calls of a task never timed onto one worker while another may free up', async () => {
    pool = new ThreadPool({ minThreads: 2, maxThreads: 2, clock: new Clock() });
    const cells = [gate(), gate()];
    const blockers = cells.map((c, i) => pool.run(built(fx.waitForGate), c, i));
    await Promise.all(cells.map((c) => changed(c))); // both workers busy
    const queued = Array.from({ length: 10 }, (_, i) => pool.run(built(fx.add), i, 1));
    expect(pool.queueDepth).toBe(10);
    // When the first worker frees up, the drain has run before the blocker's Deferred fires.
    let waitingThen = -1;
    blockers[0]!.addCallback(() => {
      waitingThen = pool.queueDepth;
    });
    open(cells[0]!);
    await blockers[0];
    expect(waitingThen).toBe(9); // one call of unknown cost left, alone (a share would have taken 5)
    open(cells[1]!);
    expect(await Promise.all(queued)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(await blockers[1]).toBe(1);
  });
});
