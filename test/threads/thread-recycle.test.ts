import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Piscina } from 'piscina';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import * as fx from '../fixtures/thread-tasks.js';
import * as lx from '../fixtures/lifecycle-tasks.js';
import { behindBlocker, built, changed, gate, open } from './thread-test-kit.js';
import { isBatchResults, isTaskOutcome } from '../../src/threads/wire.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
/** How long a child process may take before it is killed as hung (a loaded machine may start node slowly). */
const childBoundMs = 90_000;

/** How many calls ran on each thread, most first. */
function runsPerThread(threads: readonly number[]): number[] {
  const counts = new Map<number, number>();
  for (const t of threads) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts.values()].sort((a, b) => b - a);
}

/** A promise that resolves once `count` workers have left the pool (told by the pool's `onWorkerExit`). */
function exits(): { wiring: { onWorkerExit: () => void }; reach: (count: number) => Promise<void> } {
  let seen = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  return {
    wiring: {
      onWorkerExit: () => {
        seen++;
        for (const w of waiters.filter((x) => x.count <= seen)) w.resolve();
      },
    },
    reach: (count) => (seen >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
  };
}

describe('ThreadPool recycle', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  describe('maxTasks', () => {
    it('gives each worker exactly maxTasks calls, also inside coalesced batches, and fails none', async () => {
      const left = exits();
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, recycle: { maxTasks: 5 } }, left.wiring);
      // 23 calls at once: the first leaves alone, the rest wait and leave in batches larger than what a worker may run.
      const threads = await Promise.all(Array.from({ length: 23 }, () => pool.run(built(fx.workerThreadId))));
      expect(runsPerThread(threads)).toEqual([5, 5, 5, 5, 3]);
      expect(pool.stats()).toMatchObject({ completed: 23, failed: 0, crashed: 0, retried: 0, recycledWorkers: 4 });
      expect(pool.stats().coalesced).toBeGreaterThan(0); // batch-mates were handed back, not failed
      await left.reach(4); // the four retired workers left (no crash reported: the pool's onError would throw)
    });

    it('runs calls a retiring worker declined in the order they were made, ahead of later calls', async () => {
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, recycle: { maxTasks: 5 } });
      const counter = gate(1);
      // The first call leaves alone; the others leave in batches, and a batch's calls past a worker's count are
      // declined and handed back together: they must start in their own order, before calls made after them.
      const runs = await Promise.all(Array.from({ length: 23 }, () => pool.run(built(lx.ticket), counter)));
      expect(runs.map((r) => r.ticket)).toEqual(runs.map((_, i) => i));
      expect(runsPerThread(runs.map((r) => r.thread))).toEqual([5, 5, 5, 5, 3]);
      expect(pool.stats()).toMatchObject({ completed: 23, failed: 0, crashed: 0 });
    });

    it('runs the declined calls ahead of calls still waiting when their batch came back', async () => {
      // Batches of 6 against a limit of 5: the batch 1-6 runs 1-4 and declines 5-6 while 7-22 still wait in the
      // pool's queue (a loaded machine gives the same shape: the cost budget cuts batches short). The batch's reply
      // frees room for the next share; 5-6 must be back in line before that share is taken.
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, coalesce: { maxBatch: 6 }, recycle: { maxTasks: 5 } });
      const counter = gate(1);
      const runs = await Promise.all(Array.from({ length: 23 }, () => pool.run(built(lx.ticket), counter)));
      expect(runs.map((r) => r.ticket)).toEqual(runs.map((_, i) => i));
      expect(runsPerThread(runs.map((r) => r.thread))).toEqual([5, 5, 5, 5, 3]);
      expect(pool.stats()).toMatchObject({ completed: 23, failed: 0, crashed: 0 });
    });

    it('sends no decline ahead of its batch reply, even when the worker flushes results before every call', async () => {
      // flushMs 0: the worker sends what it holds before each call of the batch. Past maxTasks it declines the rest;
      // those declines must all come with the batch's reply (which hands them back before the next share is sent),
      // none in an early message that may cross the reply on the other port.
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, coalesce: { flushMs: 0 }, recycle: { maxTasks: 4 } });
      const emit = jest.spyOn(Piscina.prototype, 'emit');
      try {
        const { queued, release } = await behindBlocker(pool, () => Array.from({ length: 6 }, () => pool.run(built(fx.workerThreadId))));
        await release(); // the blocker was the worker's first task: the batch of 6 runs 3 and declines 3
        const threads = await Promise.all(queued);
        expect(runsPerThread(threads)).toEqual([3, 3]);
        const early = emit.mock.calls.filter(([event, message]) => event === 'message' && isBatchResults(message)).map(([, message]) => (message as { results: unknown[] }).results);
        const earlyOutcomes = early.flatMap((results) => results.filter((_, i) => i % 3 === 2 && isTaskOutcome(results[i])));
        expect(early.length).toBeGreaterThan(0); // the flush did send results early
        expect(earlyOutcomes).toEqual([]);
        expect(pool.stats()).toMatchObject({ completed: 7, failed: 0, crashed: 0, recycledWorkers: 1 });
      } finally {
        emit.mockRestore();
      }
    });

    it('keeps to the count with several workers and several calls per worker', async () => {
      pool = new ThreadPool({ minThreads: 2, maxThreads: 2, concurrentTasksPerWorker: 3, coalesce: false, recycle: { maxTasks: 4 } });
      const threads = await Promise.all(Array.from({ length: 41 }, () => pool.run(built(fx.workerThreadId))));
      const counts = runsPerThread(threads);
      expect(Math.max(...counts)).toBeLessThanOrEqual(4);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(41);
      expect(pool.stats()).toMatchObject({ completed: 41, failed: 0, crashed: 0, retried: 0 });
      // Every worker that ran 4 retired itself; the notices of the last two may still be on the way.
      const full = counts.filter((c) => c === 4).length;
      expect(full).toBeGreaterThanOrEqual(9);
      expect(pool.stats().recycledWorkers).toBeGreaterThanOrEqual(full - 2);
      expect(pool.stats().recycledWorkers).toBeLessThanOrEqual(full);
    });
  });

  describe('maxHeapMb', () => {
    it('replaces a worker whose heap passed the limit after the call that passed it, and fails none', async () => {
      const limitMb = 48;
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, recycle: { maxHeapMb: limitMb } });
      // Each call keeps 16 MiB alive in its worker for good: a worker passes the limit within a few calls.
      const reports = await Promise.all(Array.from({ length: 12 }, () => pool.run(built(lx.leak), 16)));
      const byThread = new Map<number, number[]>();
      for (const r of reports) byThread.set(r.thread, [...(byThread.get(r.thread) ?? []), r.heapMb]);
      expect(byThread.size).toBeGreaterThanOrEqual(2);
      // A worker's heap only grows (the leak is kept): its calls in the order they ran.
      const workers = [...byThread.values()].map((heaps) => heaps.sort((a, b) => a - b));
      for (const heaps of workers) {
        // A call that left the heap past the limit was its worker's last (8 MiB of slack: a collection may run
        // between the task's own reading and the worker's check after it).
        expect(heaps.slice(0, -1).every((mb) => mb <= limitMb + 8)).toBe(true);
        expect(heaps[0]).toBeLessThan(limitMb); // a fresh worker: the leak of the one before went with it
      }
      // Every worker but the last one was retired because its heap passed the limit.
      for (const heaps of workers.slice(0, -1)) expect(heaps.at(-1)).toBeGreaterThan(limitMb - 8);
      expect(pool.stats()).toMatchObject({ completed: 12, failed: 0, crashed: 0, retried: 0 });
      expect(pool.stats().recycledWorkers).toBeGreaterThanOrEqual(byThread.size - 1);
    });
  });

  describe('maxAgeMs', () => {
    it("places no call on a worker past its age on the pool's clock; calls in flight all succeed", async () => {
      const clock = new Clock();
      const left = exits();
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock, recycle: { maxAgeMs: 1000 } }, left.wiring);
      const first = await pool.run(built(fx.workerThreadId));
      const calls = Array.from({ length: 40 }, () => pool.run(built(fx.workerThreadId)));
      clock.advance(999);
      const beforeAge = calls[0]!; // sent at once (the worker was free); the 39 others wait in the pool's queue
      clock.advance(1); // the worker is now 1000 ms old: every call placed from now on goes to its replacement
      const threads = await Promise.all(calls);
      expect(await beforeAge).toBe(first);
      expect(threads.slice(1).every((t) => t !== first)).toBe(true);
      expect(new Set(threads.slice(1)).size).toBe(1); // one replacement, young on the clock
      expect(pool.stats()).toMatchObject({ completed: 41, failed: 0, crashed: 0, recycledWorkers: 1 });
      await left.reach(1);
    });

    it('starts the replacement before the retired worker leaves: it finishes its task, calls placed meanwhile run at once', async () => {
      const clock = new Clock();
      const left = exits();
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock, recycle: { maxAgeMs: 1000 } }, left.wiring);
      const busy = gate(2);
      const running = pool.run(built(fx.waitForGate), busy, 'finished');
      const old = await changed(busy); // it runs (and holds the only worker) until the gate opens
      expect(old).toBe(1);
      clock.advance(1000);
      const meanwhile = gate(2);
      const next = pool.run(built(lx.announceThenWait), meanwhile);
      await changed(meanwhile); // it started although the only worker still runs `running`: on the replacement
      expect(pool.stats().threads).toBe(2);
      open(meanwhile);
      open(busy);
      expect(await running).toBe('finished'); // the retired worker finished its task, then left
      const replacement = await next;
      await left.reach(1);
      expect(await pool.run(built(fx.workerThreadId))).toBe(replacement);
      expect(pool.stats()).toMatchObject({ threads: 1, crashed: 0, failed: 0, recycledWorkers: 1 });
    });

    it('replaces an idle worker when its age passes, before any call comes', async () => {
      const clock = new Clock();
      const left = exits();
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock, recycle: { maxAgeMs: 1000 } }, left.wiring);
      const first = await pool.run(built(fx.workerThreadId));
      clock.advance(999);
      expect(pool.stats().recycledWorkers).toBe(0);
      clock.advance(1); // idle, and now 1000 ms old: retired by the age timer, with no call to place
      expect(pool.stats().recycledWorkers).toBe(1);
      await left.reach(1); // it left although no call came
      const second = await pool.run(built(fx.workerThreadId));
      expect(second).not.toBe(first);
      // The replacement's own age counts from when it came up: retired 1000 ms later, again with no call.
      clock.advance(1000);
      expect(pool.stats().recycledWorkers).toBe(2);
      await left.reach(2);
      expect(pool.stats()).toMatchObject({ completed: 2, failed: 0, crashed: 0 });
    });

    it('lets a script whose pool recycles by age exit by itself: the age timer holds no handle', async () => {
      pool = new ThreadPool();
      // An hour's age limit: a timer holding the process would keep it past the child's bound (killed: the test fails).
      const { stdout } = await run(process.execPath, [`${root}dist/test/fixtures/recycle-exit.js`], { timeout: childBoundMs });
      expect(JSON.parse(stdout)).toEqual({ results: [3, 7], recycled: 0 });
    }, childBoundMs + 30_000);

    it('does not recycle a worker younger than maxAgeMs', async () => {
      const clock = new Clock();
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock, recycle: { maxAgeMs: 1000 } });
      const first = await pool.run(built(fx.workerThreadId));
      clock.advance(999);
      const threads = await Promise.all(Array.from({ length: 20 }, () => pool.run(built(fx.workerThreadId))));
      expect(new Set(threads)).toEqual(new Set([first]));
      expect(pool.stats().recycledWorkers).toBe(0);
    });
  });

  it('refuses invalid limits at construction', () => {
    expect(() => new ThreadPool({ recycle: { maxTasks: 0 } })).toThrow(/recycle\.maxTasks/);
    expect(() => new ThreadPool({ recycle: { maxHeapMb: -1 } })).toThrow(/recycle\.maxHeapMb/);
    expect(() => new ThreadPool({ recycle: { maxAgeMs: 0 } })).toThrow(/recycle\.maxAgeMs/);
    expect(() => new ThreadPool({ recycle: 5 as never })).toThrow(/recycle/);
    pool = new ThreadPool({ recycle: {} });
    expect(pool.options.recycle).toBeUndefined();
  });
});

describe('Reactor with threads.recycle', () => {
  let reactor: Reactor | undefined;
  afterEach(async () => {
    await reactor?.stop({ graceMs: 0 });
    reactor = undefined;
  });

  it("recycles by the policy's threads.recycle, and the crash budget never counts a recycled worker", async () => {
    reactor = new Reactor({
      policy: {
        threads: { minThreads: 1, maxThreads: 1, recycle: { maxTasks: 3 } },
        rules: [{ match: { task: 'workerThreadId' }, route: 'thread' }],
        // One crash would spend it: every later call would fail at once.
        adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then: 'fail' } },
      },
    });
    const task = built(fx.workerThreadId);
    const threads = await Promise.all(Array.from({ length: 20 }, () => reactor!.dispatch(task)));
    expect(runsPerThread(threads)).toEqual([3, 3, 3, 3, 3, 3, 2]);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, failed: 0, recycledWorkers: 6 });
    expect(reactor.explain(task).reason).not.toMatch(/crash/);
    expect(await reactor.dispatch(task)).toBe(threads.find((t) => threads.filter((u) => u === t).length === 2));
  });
});

