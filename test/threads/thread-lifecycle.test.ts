import { afterEach, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { importSpecifiers } from '../../src/worker/inherited-imports.js';
import { Clock } from '../../src/time/clock.js';
import { ReactorStoppedError } from '../../src/errors.js';
import { cancelled, signal, throwIfCancelled, transferResult } from '../../src/worker/index.js';
import * as fx from '../fixtures/thread-tasks.js';
import { built, changed, failureOf, gate, open } from './thread-test-kit.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const node = process.execPath;
/** How long a child process may take before it is killed as hung. */
const childBoundMs = 90_000;

describe('ThreadPool lifecycle', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  describe('.close()', () => {
    it('lets a running task finish within graceMs (on the pool clock)', async () => {
      const clock = new Clock();
      pool = new ThreadPool({ maxThreads: 1, clock });
      const cells = gate();
      const d = pool.run(built(fx.waitForGate), cells, 'finished');
      await changed(cells);
      const closing = pool.close(1000);
      expect(pool.state).toBe('closing');
      open(cells);
      expect(await d).toBe('finished');
      await closing;
      expect(pool.state).toBe('closed');
    });

    it('errbacks what is still running after graceMs with ReactorStoppedError and terminates the workers', async () => {
      const clock = new Clock();
      pool = new ThreadPool({ maxThreads: 1, clock });
      const cells = gate();
      const d = pool.run(built(fx.spinForever), cells);
      await changed(cells);
      const closing = pool.close(100);
      clock.advance(100);
      expect(await failureOf(d)).toBeInstanceOf(ReactorStoppedError);
      await closing;
      expect(pool.stats().threads).toBe(0);
    });

    it('errbacks every call still running or waiting after graceMs, each once, with ReactorStoppedError', async () => {
      const clock = new Clock();
      pool = new ThreadPool({ maxThreads: 1, clock });
      const cells = gate();
      const running = pool.run(built(fx.spinForever), cells);
      const waiting = [1, 2, 3].map((n) => pool.run(built(fx.add), n, n));
      await changed(cells);
      expect(pool.stats().inFlight).toBe(4);
      const closing = pool.close(100);
      clock.advance(100);
      const outcomes = await Promise.all([running, ...waiting].map((d) => failureOf(d)));
      expect(outcomes.every((error) => error instanceof ReactorStoppedError)).toBe(true);
      await closing;
      expect(pool.stats().inFlight).toBe(0);
    });

    it('returns the same Promise when called again', () => {
      pool = new ThreadPool();
      expect(pool.close()).toBe(pool.close());
    });
  });

  describe('.stats()', () => {
    it('counts outcomes and reports per-task wait and run percentiles', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      for (let i = 0; i < 5; i++) await pool.run(built(fx.fib), 15);
      await failureOf(pool.run(built(fx.throwCustom), 'x'));
      const stats = pool.stats();
      expect(stats).toMatchObject({ completed: 5, failed: 1, cancelled: 0, crashed: 0, inFlight: 0, queueDepth: 0 });
      expect(stats.tasks.fib?.runs).toBe(5);
      expect(stats.tasks.fib?.runMs.p50).toBeGreaterThan(0);
      expect(stats.tasks.fib?.runMs.p99).toBeGreaterThanOrEqual(stats.tasks.fib?.runMs.p50 ?? 0);
      expect(stats.tasks.fib?.waitMs.p50).toBeGreaterThanOrEqual(0);
      expect(stats.utilisation).toBeGreaterThanOrEqual(0);
    });

    it('reports utilisation from the run time workers measured: 0 before any task, above 0 after tasks ran', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      expect(pool.stats().utilisation).toBe(0);
      for (let i = 0; i < 3; i++) await pool.run(built(fx.fib), 22);
      const { utilisation } = pool.stats();
      expect(utilisation).toBeGreaterThan(0);
      expect(utilisation).toBeLessThanOrEqual(1);
    });

    it('gives one task\'s figures through taskStats() without a full snapshot', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      expect(pool.taskStats(built(fx.add))).toBeUndefined();
      await pool.run(built(fx.add), 1, 2);
      expect(pool.taskStats(built(fx.add))).toEqual(pool.stats().tasks.add);
    });

    it('reports queue depth while tasks wait for a worker', async () => {
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1 });
      const cells = gate();
      const blocker = pool.run(built(fx.waitForGate), cells, 'x');
      await changed(cells);
      const waiting = [pool.run(built(fx.noop)), pool.run(built(fx.noop))];
      expect(pool.stats().queueDepth).toBe(2);
      expect(pool.queueDepth).toBe(2);
      expect(pool.stats().inFlight).toBe(3);
      open(cells);
      await blocker;
      await Promise.all(waiting);
    });
  });

  // Each test waits for its child's exit (the event); the child's own bound only turns a hang into a clear error,
  // so the test's timeout is above it (a loaded machine may take long to start node, tsx and workers).
  describe('in a child process', () => {
    it('lets a script that ran tasks exit by itself: idle workers hold no handle', async () => {
      pool = new ThreadPool();
      const { stdout } = await run(node, [`${root}dist/test/fixtures/exit-by-itself.js`], { timeout: childBoundMs });
      expect(JSON.parse(stdout)).toEqual({ results: [3, 7], threads: 2 });
    }, childBoundMs + 30_000);

    it('ends every round of coalesced calls, then exits by itself', async () => {
      pool = new ThreadPool();
      const { stdout } = await run(node, [`${root}dist/test/fixtures/coalesced-exit.js`], { timeout: childBoundMs });
      expect(JSON.parse(stdout)).toEqual({ total: 20_000, coalesced: true });
    }, childBoundMs + 30_000);

    it('runs a TypeScript task module in a worker when the main process uses tsx', async () => {
      pool = new ThreadPool();
      const { stdout } = await run(node, ['--import', 'tsx', `${root}test/fixtures/tsx/tsx-main.ts`], { timeout: childBoundMs, cwd: root });
      expect(JSON.parse(stdout)).toMatchObject({ result: 42 });
      expect(JSON.parse(stdout).moduleUrl).toMatch(/ts-tasks\.ts$/);
    }, childBoundMs + 30_000);

    it('imports greenreactor and greenreactor/worker in a worker with no side effect (the process exits)', async () => {
      pool = new ThreadPool();
      const { stdout } = await run(node, [`${root}dist/test/fixtures/import-in-worker.js`], { timeout: childBoundMs });
      expect(JSON.parse(stdout)).toEqual({ cancelled: false, aborted: false });
    }, childBoundMs + 30_000);
  });
});

describe('greenreactor/worker outside a thread task', () => {
  it('reports not cancelled, with a signal that never aborts, on the main thread', () => {
    expect(cancelled()).toBe(false);
    expect(signal.aborted).toBe(false);
    expect(() => throwIfCancelled()).not.toThrow();
  });

  it('returns the value itself from transferResult', () => {
    const buffer = new ArrayBuffer(8);
    expect(transferResult(buffer)).toBe(buffer);
  });

  it('reports not cancelled inside a running task that nobody cancelled', async () => {
    const pool = new ThreadPool({ maxThreads: 1 });
    try {
      expect(await pool.run(built(fx.inspectWorkerSide))).toEqual({ cancelled: false, aborted: false });
    } finally {
      await pool.close();
    }
  });
});

describe('importSpecifiers()', () => {
  it('reads both --import forms from execArgv, in order', () => {
    expect(importSpecifiers(['--import', 'tsx', '--no-warnings', '--import=./setup.js'])).toEqual(['tsx', './setup.js']);
  });
});
