import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { Clock } from '../../src/time/clock.js';
import { Deferred } from '../../src/deferred/deferred.js';
import { CancelledError, ReactorStoppedError } from '../../src/errors.js';
import type { Task } from '../../src/task/task.js';
import * as fx from '../fixtures/thread-tasks.js';
import { built, changed, failureOf, gate, until } from './thread-test-kit.js';

// Twisted's test_threads.py, in spirit: results, failures, callMultipleInThread order, blockingCallFromThread.
describe('Reactor thread path', () => {
  let reactor: Reactor;
  const extraPools: ThreadPool[] = [];
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
    await Promise.all(extraPools.splice(0).map((p) => p.close()));
  });

  describe('.deferToThread()', () => {
    it('fires with the result computed in a worker', async () => {
      reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
      expect(await reactor.deferToThread(built(fx.add), 40, 2)).toBe(42);
    });

    it('errbacks with the failure raised in the worker', async () => {
      reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
      const error = await failureOf(reactor.deferToThread(built(fx.throwCustom), 'y'));
      expect(error.name).toBe('ParseError');
      expect(error.stack).toMatch(/reactor-threads\.test\.ts/); // the dispatch site
    });

    it('errbacks with TypeError (explaining defineTask) for a plain function, without throwing', async () => {
      reactor = new Reactor();
      const error = await failureOf(reactor.deferToThread((() => 1) as unknown as Task<[], number>));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/defineTask/);
    });

    it('errbacks with ReactorStoppedError once stop() has begun', async () => {
      reactor = new Reactor();
      void reactor.stop();
      expect(await failureOf(reactor.deferToThread(built(fx.add), 1, 1))).toBeInstanceOf(ReactorStoppedError);
    });

    it("uses the reactor's clock for timeouts and cancel grace", async () => {
      const clock = new Clock();
      reactor = new Reactor({ clock, policy: { threads: { maxThreads: 1 } } });
      const cells = gate();
      const d = reactor.deferToThread(built(fx.sleepyTimeout), cells);
      await changed(cells);
      clock.advance(50);
      expect((await failureOf(d)).code).toBe('ERR_TIMEOUT');
    });
  });

  describe('.deferToThreadPool()', () => {
    it('runs the task in the given pool', async () => {
      reactor = new Reactor();
      const pool = new ThreadPool({ maxThreads: 1 });
      extraPools.push(pool);
      expect(await reactor.deferToThreadPool(pool, built(fx.add), 2, 2)).toBe(4);
      expect(pool.stats().completed).toBe(1);
      expect(reactor.threadPool.state).toBe('idle');
    });

    it('errbacks with TypeError when the pool is not a ThreadPool', async () => {
      reactor = new Reactor();
      expect(await failureOf(reactor.deferToThreadPool({} as ThreadPool, built(fx.add), 1, 1))).toBeInstanceOf(TypeError);
    });
  });

  describe('bad input', () => {
    it('every thread method errbacks with TypeError for an object without a primitive conversion, never throws', async () => {
      reactor = new Reactor();
      const odd = Object.create(null) as never;
      const oddTask = Object.create(null) as Task<[], number>;
      for (const d of [
        reactor.deferToThread(oddTask),
        reactor.deferToThreadPool(odd, built(fx.add), 1, 1),
        reactor.callMultipleInThread([odd]),
        reactor.callMultipleInThread([[odd]]),
        reactor.dispatch(oddTask),
      ]) {
        expect(await failureOf(d)).toBeInstanceOf(TypeError);
      }
      expect(reactor.threadPool.state).toBe('idle');
    });
  });

  describe('.callMultipleInThread()', () => {
    it('runs the calls in order in one worker', async () => {
      reactor = new Reactor({ policy: { threads: { maxThreads: 2 } } });
      const cells = gate(3);
      const mark = built(fx.markRan);
      await reactor.callMultipleInThread([
        [mark, cells, 2],
        [mark, cells, 0],
      ]);
      expect([...cells]).toEqual([1, 0, 1]);
    });
  });

  describe('.expose() and blockingCallFromThread', () => {
    it('lets a worker call a main-thread function and get a Deferred that fires later', async () => {
      reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
      reactor.expose('slowSquare', (n: number) => {
        const d = new Deferred<number>();
        reactor.callLater(0, () => d.callback(n * n));
        return d;
      });
      expect(await reactor.deferToThread(built(fx.callMain), 'slowSquare', 9)).toBe(81);
    });

    it('throws TypeError for a name exposed twice', () => {
      reactor = new Reactor();
      reactor.expose('once', () => 1);
      expect(() => reactor.expose('once', () => 2)).toThrow(TypeError);
    });
  });

  describe('.stop()', () => {
    it('closes the pool: running work may finish within graceMs, then is cancelled', async () => {
      const clock = new Clock();
      reactor = new Reactor({ clock, policy: { threads: { maxThreads: 1 } } });
      const cells = gate();
      const d = reactor.deferToThread(built(fx.spinForever), cells);
      await changed(cells);
      const stopping = reactor.stop({ graceMs: 200 });
      await until(() => reactor.threadPool.state === 'closing'); // the before-triggers phase handed over to the pool
      clock.advance(200);
      const error = await failureOf(d);
      expect(error).toBeInstanceOf(ReactorStoppedError);
      await stopping;
      expect(reactor.threadPool.state).toBe('closed');
    });

    it('cancelling a thread Deferred from the reactor errbacks with CancelledError', async () => {
      reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
      const cells = gate();
      const d = reactor.deferToThread(built(fx.spinUntilCancelled), cells);
      await changed(cells);
      d.cancel();
      expect(await failureOf(d)).toBeInstanceOf(CancelledError);
    });
  });

  describe('.stats()', () => {
    it('includes the thread pool part', async () => {
      reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
      await reactor.deferToThread(built(fx.add), 1, 2);
      const { threads } = reactor.stats();
      expect(threads.completed).toBe(1);
      expect(threads.tasks.add?.runs).toBe(1);
    });
  });
});
