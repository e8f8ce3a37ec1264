import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { taskFrom, type Task } from '../../src/task/task.js';
import { MessageChannel } from 'node:worker_threads';
import { DataCloneError, QueueFullError, TaskNotFoundError, TimeoutError } from '../../src/errors.js';
import * as fx from '../fixtures/thread-tasks.js';
import { built, changed, failureOf, gate, open } from './thread-test-kit.js';
import { expectParseErrorKept } from '../helpers/error-fidelity.js';

const fixtureUrl = new URL('../../dist/test/fixtures/thread-tasks.js', import.meta.url);

describe('ThreadPool error fidelity', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  describe('an error thrown in the worker', () => {
    it('keeps its name, message, code, cause and own properties', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const error = await failureOf(pool.run(built(fx.throwCustom), 'x'));
      expectParseErrorKept(error, 'x');
    });

    it("keeps the worker's stack and appends the dispatch site", async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const error = await failureOf(pool.run(built(fx.throwCustom), 'x'));
      const stack = error.stack as string;
      expect(stack).toMatch(/thread-tasks\.js/); // the worker's frame
      expect(stack).toMatch(/--- task `throwCustom` dispatched from ---/);
      expect(stack.slice(stack.indexOf('dispatched from'))).toMatch(/thread-errors\.test\.ts/);
    });

    it("starts the dispatch site at ThreadPool.run, then the caller's frames, when the pool is called directly", async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const p = pool;
      function sendFromHere() {
        return p.run(built(fx.throwCustom), 'x');
      }
      const error = await failureOf(sendFromHere());
      const site = (error.stack as string).split('--- task `throwCustom` dispatched from ---\n')[1]!.split('\n');
      expect(site[0]).toMatch(/at ThreadPool\.run /);
      expect(site[1]).toMatch(/at sendFromHere .*thread-errors\.test\.ts/);
    });

    it('leaves the dispatch site out when captureDispatchSite is false', async () => {
      pool = new ThreadPool({ maxThreads: 1, captureDispatchSite: false });
      const error = await failureOf(pool.run(built(fx.throwCustom), 'x'));
      expect(error.stack).not.toMatch(/dispatched from/);
    });

    it('keeps a built-in class (TypeError from an async task)', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const error = await failureOf(pool.run(built(fx.throwAsync)));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe('async failure');
    });

    it("comes back as the library's own class when it is a greenreactor error", async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const error = await failureOf(pool.run(built(fx.throwLibraryError)));
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error.code).toBe('ERR_TIMEOUT');
      expect(error.message).toBe('worker-side timeout');
    });

    it("errbacks with the error of a returned object's throwing `then` getter, and the worker lives on", async () => {
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1 });
      const before = await pool.run(built(fx.workerThreadId));
      const error = await failureOf(pool.run(built(fx.returnHostileThenable)));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toBe('then getter');
      expect(await pool.run(built(fx.workerThreadId))).toBe(before); // the same worker
      expect(pool.stats().crashed).toBe(0);
    });

    it('throws a yielded object\'s `then` getter error back in at the yield, before and after a real wait', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      expect(await pool.run(built(fx.yieldHostileThenable), false)).toBe('thrown in: then getter');
      expect(await pool.run(built(fx.yieldHostileThenable), true)).toBe('thrown in: then getter');
    });

    it('passes a thrown non-error value through as itself', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      expect(await failureOf(pool.run(built(fx.throwString)))).toBe('a plain string');
    });
  });

  describe('a result that cannot be cloned', () => {
    it.each<[string, 'method' | 'function' | 'port' | 'nested-async', RegExp]>([
      ['an object with a method', 'method', /\.describe: a function/],
      ['a function', 'function', /a function \(answer\)/],
      ['a MessagePort', 'port', /MessagePort/],
      ['a symbol deep inside an async result', 'nested-async', /a symbol/],
    ])('errbacks DataCloneError for %s, never retries, and the worker lives on', async (_what, kind, detail) => {
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1 });
      const before = await pool.run(built(fx.workerThreadId));
      const counter = gate(1);
      const error = await failureOf(pool.run(built(fx.returnUncloneable), counter, kind)); // retries: 2
      expect(error).toBeInstanceOf(DataCloneError);
      expect(error.task).toBe('returnUncloneable');
      expect(error.message).toMatch(/result of task `returnUncloneable` could not be cloned/);
      expect(error.message).toMatch(detail);
      expect(counter[0]).toBe(1); // it finished once; no retry
      expect(await pool.run(built(fx.workerThreadId))).toBe(before); // the same worker
      const stats = pool.stats();
      expect([stats.crashed, stats.retried, stats.failed]).toEqual([0, 0, 1]);
    });
  });

  describe('bad input', () => {
    it('errbacks with a TypeError explaining defineTask for a plain function, without throwing', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const d = pool.run((() => 1) as unknown as Task<[], number>);
      const error = await failureOf(d);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/defineTask\(import\.meta\.url/);
      expect(pool.state).toBe('idle'); // nothing started
    });

    it('errbacks with DataCloneError naming the task and the argument position; nothing runs', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const cells = gate(4);
      const error = await failureOf(pool.run(built(fx.markRan), cells, (() => 0) as never));
      expect(error).toBeInstanceOf(DataCloneError);
      expect(error.task).toBe('markRan');
      expect(error.argumentIndex).toBe(1);
      expect(error.message).toMatch(/markRan/);
      expect(error.message).toMatch(/argument 1/);
      expect(await pool.run(built(fx.add), 1, 1)).toBe(2); // the pool still works
      expect(cells[0]).toBe(0);
    });

    it('errbacks DataCloneError naming the argument position for a MessagePort not listed by transfer; no retry, no crash', async () => {
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1 });
      const before = await pool.run(built(fx.workerThreadId));
      const counter = gate(1);
      const { port1, port2 } = new MessageChannel();
      try {
        const error = await failureOf(pool.run(built(fx.countedWithRetries), counter, { reply: port1 })); // retries: 2
        expect(error).toBeInstanceOf(DataCloneError);
        expect(error.task).toBe('countedWithRetries');
        expect(error.argumentIndex).toBe(1);
        expect(error.message).toMatch(/countedWithRetries.*argument 1/);
      } finally {
        port1.close();
        port2.close();
      }
      expect(counter[0]).toBe(0); // nothing ran
      expect(await pool.run(built(fx.workerThreadId))).toBe(before);
      const stats = pool.stats();
      expect([stats.crashed, stats.retried]).toEqual([0, 0]);
    });

    it('errbacks with TaskNotFoundError naming the module and the export for an unknown export', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const error = await failureOf(pool.run(taskFrom(fixtureUrl, 'noSuchExport')));
      expect(error).toBeInstanceOf(TaskNotFoundError);
      expect(error.exportName).toBe('noSuchExport');
      expect(error.moduleUrl).toBe(fixtureUrl.href);
      expect(error.message).toMatch(/noSuchExport/);
      expect(error.message).toMatch(/thread-tasks\.js/);
    });

    it('errbacks with TaskNotFoundError for an export that is not a function', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const error = await failureOf(pool.run(taskFrom(fixtureUrl, 'notAFunction')));
      expect(error).toBeInstanceOf(TaskNotFoundError);
      expect(error.message).toMatch(/notAFunction/);
    });

    it.each(['notAFunction', 'noSuchExport'])(
      'gives the same TaskNotFoundError message as taskFrom(...).load() on the main thread (%s)',
      async (exportName) => {
        pool = new ThreadPool({ maxThreads: 1 });
        const inWorker = await failureOf(pool.run(taskFrom(fixtureUrl, exportName)));
        const onMain = await taskFrom(fixtureUrl, exportName)
          .load()
          .then(
            () => undefined,
            (error: unknown) => error as Error,
          );
        expect(inWorker).toBeInstanceOf(TaskNotFoundError);
        expect(onMain).toBeInstanceOf(TaskNotFoundError);
        expect(inWorker.message).toBe(onMain!.message);
      },
    );

    it('errbacks with TaskNotFoundError for a module that does not exist', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const missing = new URL('../../dist/test/fixtures/no-such-module.js', import.meta.url);
      const error = await failureOf(pool.run(taskFrom(missing, 'anything')));
      expect(error).toBeInstanceOf(TaskNotFoundError);
      expect(error.moduleUrl).toBe(missing.href);
      expect(error.message).toMatch(/no-such-module\.js/);
    });

    it('errbacks with QueueFullError past maxQueue tasks waiting for a worker', async () => {
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, maxQueue: 1 });
      const cells = gate();
      const running = pool.run(built(fx.waitForGate), cells, 'done');
      await changed(cells); // the only worker is busy
      const queued = pool.run(built(fx.add), 1, 1);
      const refused = pool.run(built(fx.add), 2, 2);
      const error = await failureOf(refused);
      expect(error).toBeInstanceOf(QueueFullError);
      expect(error.message).toMatch(/maxQueue 1/);
      open(cells);
      expect(await running).toBe('done');
      expect(await queued).toBe(2);
    });

    it('admits no waiting task at all with maxQueue 0, but runs one whenever a worker is free', async () => {
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, maxQueue: 0 });
      const cells = gate();
      const running = pool.run(built(fx.waitForGate), cells, 'done');
      await changed(cells);
      expect(await failureOf(pool.run(built(fx.add), 1, 1))).toBeInstanceOf(QueueFullError);
      open(cells);
      expect(await running).toBe('done');
      expect(await pool.run(built(fx.add), 2, 3)).toBe(5);
    });
  });
});

describe('Reactor dispatch sites', () => {
  it.each([
    ['deferToThread', (reactor: Reactor) => reactor.deferToThread(built(fx.throwCustom), 'x')],
    ['dispatch', (reactor: Reactor) => reactor.dispatch(built(fx.throwCustom), 'x')],
  ])("starts the dispatch site at the caller's frames when sent by Reactor.%s (the library's frames left out)", async (entry, send) => {
    const reactor = new Reactor({ policy: { default: 'thread' } });
    try {
      const error = await failureOf(send(reactor));
      const site = (error.stack as string).split('--- task `throwCustom` dispatched from ---\n')[1]!.split('\n');
      expect(site[0]).toMatch(new RegExp(`at Reactor\\.${entry} `));
      expect(site[1]).toMatch(/thread-errors\.test\.ts/);
    } finally {
      await reactor.stop();
    }
  });
});
