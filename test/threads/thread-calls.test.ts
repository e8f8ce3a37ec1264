import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { ExposedFunctions } from '../../src/threads/exposed-functions.js';
import { Deferred } from '../../src/deferred/deferred.js';
import { blockingCallFromThread, callFromThread } from '../../src/worker/index.js';
import * as fx from '../fixtures/thread-tasks.js';
import { built, changed, failureOf, gate } from './thread-test-kit.js';

describe('calls from worker threads into the main thread', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  describe('blockingCallFromThread()', () => {
    it('returns the value the exposed function returns', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      pool.expose('add', (a: number, b: number) => a + b);
      expect(await pool.run(built(fx.callMain), 'add', 40, 2)).toBe(42);
    });

    it('waits for a Promise the function returns', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      pool.expose('later', (x: string) => new Promise((resolve) => setImmediate(resolve, `${x}!`)));
      expect(await pool.run(built(fx.callMain), 'later', 'hi')).toBe('hi!');
    });

    it('waits for a Deferred that fires later', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const later = new Deferred<number>();
      let arrived: () => void = () => undefined;
      const callArrived = new Promise<void>((resolve) => (arrived = resolve));
      pool.expose('deferred', () => {
        arrived();
        return later;
      });
      const result = pool.run(built(fx.callMain), 'deferred');
      await callArrived;
      expect(result.called).toBe(false); // the worker is blocked on the pending Deferred
      later.callback(7);
      expect(await result).toBe(7);
    });

    it('throws the error of a failed Deferred in the worker, with its name and code', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      pool.expose('fails', () => {
        const d = new Deferred<never>();
        d.errback(Object.assign(new RangeError('out of range'), { code: 'E_RANGE' }));
        return d;
      });
      const error = await failureOf(pool.run(built(fx.callMain), 'fails'));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.code).toBe('E_RANGE');
    });

    it('throws a synchronous throw of the exposed function in the worker', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      pool.expose('throws', () => {
        throw new Error('main-side failure');
      });
      expect((await failureOf(pool.run(built(fx.callMain), 'throws'))).message).toBe('main-side failure');
    });

    it('throws TypeError in the worker for a name never exposed', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const seen = await pool.run(built(fx.callMainCatching), 'nothing');
      expect(seen.isTypeError).toBe(true);
      expect(seen.message).toMatch(/nothing/);
    });

    it('matches replies to calls by id: two calls in a row get their own answers', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      pool.expose('echo', (x: unknown) => new Promise((resolve) => setImmediate(resolve, x)));
      expect(await pool.run(built(fx.callMainTwice), 'echo', 'first', 'second')).toEqual(['first', 'second']);
    });

    it('throws ReactorStoppedError in the worker for a call pending when the pool closes', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      let arrived: () => void = () => undefined;
      const callArrived = new Promise<void>((resolve) => (arrived = resolve));
      pool.expose('never', () => {
        arrived();
        return new Deferred<never>();
      });
      const cells = gate();
      const result = pool.run(built(fx.callMainAnnounced), cells, 'never');
      await changed(cells);
      await callArrived; // the call is pending on the main thread
      const closing = pool.close(5_000); // the task may finish within the grace: it gets the error and returns
      expect(await result).toEqual({ name: 'ReactorStoppedError', code: 'ERR_REACTOR_STOPPED' });
      await closing;
    });

    it('throws at once on the main thread (it would deadlock)', () => {
      pool = new ThreadPool();
      expect(() => blockingCallFromThread('anything')).toThrow(/deadlock/);
    });

    it('callFromThread() throws TypeError at once on the main thread, saying nothing was called (it would not wait: no deadlock)', () => {
      pool = new ThreadPool();
      let thrown: unknown;
      try {
        callFromThread('anything');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as Error).message).toMatch(/^callFromThread\(\) must be called inside a greenreactor worker thread/);
      expect((thrown as Error).message).toMatch(/nothing was called/);
      expect((thrown as Error).message).not.toMatch(/deadlock/);
    });
  });

  describe('callFromThread()', () => {
    it('runs the calls on the main thread in the order they were made, without waiting', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const seen: number[] = [];
      let done: () => void = () => undefined;
      const all = new Promise<void>((resolve) => (done = resolve));
      pool.expose('collect', (i: number) => {
        seen.push(i);
        if (seen.length === 50) done();
      });
      expect(await pool.run(built(fx.fireMain), 'collect', 50)).toBe(50);
      await all;
      expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });

    it('reports an unknown name through the pool error handler', async () => {
      const reported: unknown[] = [];
      let done: () => void = () => undefined;
      const arrived = new Promise<void>((resolve) => (done = resolve));
      pool = new ThreadPool({ maxThreads: 1 }, { onError: (e) => (reported.push(e), done()) });
      await pool.run(built(fx.fireMain), 'unknownName', 1);
      await arrived;
      expect(reported[0]).toBeInstanceOf(TypeError);
    });
  });

  describe('expose()', () => {
    it('throws TypeError for a name already exposed', () => {
      pool = new ThreadPool();
      pool.expose('once', () => 1);
      expect(() => pool.expose('once', () => 2)).toThrow(TypeError);
    });

    it('shares one registry between pools given the same ExposedFunctions', async () => {
      const exposed = new ExposedFunctions();
      exposed.expose('shared', () => 'from the registry');
      pool = new ThreadPool({ maxThreads: 1 }, { exposed });
      expect(await pool.run(built(fx.callMain), 'shared')).toBe('from the registry');
    });
  });
});

describe('ThreadPool', () => {
  it('turns on no AsyncLocalStorage of its own (the bridge remembers its context without one)', async () => {
    const script = fileURLToPath(new URL('./fixtures/pool-without-storage.ts', import.meta.url));
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', script], { timeout: 30_000 }, (error, out) => (error === null ? resolve(out) : reject(error)));
    });
    expect(JSON.parse(stdout.trim())).toEqual({ storages: 0 });
  });
});
