import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { WorkerCrashedError } from '../../src/errors.js';
import * as fx from '../fixtures/thread-tasks.js';
import { built, changed, failureOf, gate, open } from './thread-test-kit.js';

describe('ThreadPool faults', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  describe('a worker that dies', () => {
    it('errbacks its task with WorkerCrashedError (exit code, task name) when the task calls process.exit', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const error = await failureOf(pool.run(built(fx.exitWorker), 7));
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect(error.exitCode).toBe(7);
      expect(error.task).toBe('exitWorker');
      expect(error.message).toMatch(/exitWorker.*code 7/);
    });

    it('errbacks its task with WorkerCrashedError on an uncaught asynchronous throw', async () => {
      const reported: unknown[] = [];
      pool = new ThreadPool({ maxThreads: 1 }, { onError: (e) => reported.push(e) });
      const error = await failureOf(pool.run(built(fx.crashAsync)));
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect(error.task).toBe('crashAsync');
      expect(error.message).toMatch(/uncaught in the worker/);
      expect(error.cause.message).toBe('uncaught in the worker');
    });

    it('errbacks its task with WorkerCrashedError when it runs out of memory under resourceLimits', async () => {
      pool = new ThreadPool({ maxThreads: 1, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
      const error = await failureOf(pool.run(built(fx.exhaustMemory)));
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect(error.message).toMatch(/out of memory/);
      expect(await pool.run(built(fx.add), 1, 2)).toBe(3);
    });

    it('leaves the tasks of other workers alone', async () => {
      pool = new ThreadPool({ minThreads: 2, maxThreads: 2 });
      const cells = gate();
      const survivor = pool.run(built(fx.waitForGate), cells, 'survived');
      await changed(cells);
      expect(await failureOf(pool.run(built(fx.exitWorker), 1))).toBeInstanceOf(WorkerCrashedError);
      open(cells);
      expect(await survivor).toBe('survived');
    });

    it('is replaced, and queued tasks still run', async () => {
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1 });
      const crash = pool.run(built(fx.exitWorker), 2);
      const queued = [pool.run(built(fx.add), 1, 1), pool.run(built(fx.add), 2, 2)];
      expect(await failureOf(crash)).toBeInstanceOf(WorkerCrashedError);
      expect(await Promise.all(queued)).toEqual([2, 4]);
      expect(pool.stats().threads).toBe(1);
      expect(pool.stats().crashed).toBe(1);
    });
  });

  describe('retries', () => {
    it('re-runs a task whose worker crashed', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const counter = gate(1);
      expect(await pool.run(built(fx.crashOnce), counter)).toBe(2);
      expect(pool.stats().retried).toBe(1);
    });

    it('gives up after `retries` re-runs with WorkerCrashedError', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const counter = gate(1);
      expect(await failureOf(pool.run(built(fx.crashAlways), counter))).toBeInstanceOf(WorkerCrashedError);
      expect(counter[0]).toBe(3); // the first run and 2 retries
    });

    it('never re-runs a task that threw an ordinary error', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const counter = gate(1);
      expect((await failureOf(pool.run(built(fx.throwCounted), counter))).message).toBe('ordinary failure');
      expect(counter[0]).toBe(1);
    });
  });
});
