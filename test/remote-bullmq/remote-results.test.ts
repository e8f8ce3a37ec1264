/**
 * The remote route's results: values, errors with their fidelity, bad input, and the same task on every path.
 * Against a real redis-server and an in-process worker host whose threads load the built fixtures.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { Deferred } from '../../src/deferred/deferred.js';
import { DataCloneError, ReactorStoppedError, TaskNotFoundError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, runRemoteWorker } from '../../src/remote-bullmq/index.js';
import { defineTask } from '../../src/task/task.js';
import * as fx from '../fixtures/remote-tasks.js';
import * as pa from '../fixtures/parse-tasks-a.js';
import * as pb from '../fixtures/parse-tasks-b.js';
import { built, failureOf } from '../threads/thread-test-kit.js';
import { nextWord, remoteFixtureModule, startRemoteTestBed, type RemoteTestBed, type TestRedis } from '../helpers/redis-server.js';
import { expectParseErrorKept } from '../helpers/error-fidelity.js';

let bed: RemoteTestBed;
let redis: TestRedis;
let reactor: Reactor;
let watcher: Redis;

beforeAll(async () => {
  // The host also serves two modules that export tasks of the same name (`checksum`), for the per-task stats.
  const imports = [remoteFixtureModule, built(pa.checksum).moduleUrl, built(pb.checksum).moduleUrl];
  bed = await startRemoteTestBed('results', { host: { concurrency: 2, imports } });
  ({ redis, reactor, watcher } = bed);
});

afterAll(() => bed?.stop());

describe('Reactor.deferToRemote()', () => {
  describe('values', () => {
    it('returns the task result', async () => {
      await expect(reactor.deferToRemote(fx.add, 2, 3).asPromise()).resolves.toBe(5);
    });

    // Values cross a realm (v8.deserialize builds them in Node's, not Jest's), so compare their shapes by tag.
    it.each([
      ['a Map of Sets', new Map<unknown, unknown>([[1, new Set(['a'])]]), ['Map', [[1, ['Set', ['a']]]]]],
      ['a Date', new Date(1_700_000_000_000), ['Date', 1_700_000_000_000]],
      ['a BigInt', 2n ** 70n, 2n ** 70n],
      ['a typed array', new Float64Array([1.5, -2]), ['Float64Array', [1.5, -2]]],
      ['undefined', undefined, undefined],
      ['nested objects', { a: [1, 'x', { b: null }] }, { a: [1, 'x', { b: null }] }],
    ])('carries %s there and back (structured clone over node:v8)', async (_what, value, shape) => {
      expect(shapeOf(await reactor.deferToRemote(fx.echo, value).asPromise())).toEqual(shape);
    });

    it('keeps a cycle', async () => {
      const o: Record<string, unknown> = { name: 'loop' };
      o.self = o;
      const back = (await reactor.deferToRemote(fx.echo, o).asPromise()) as Record<string, unknown>;
      expect(back.self).toBe(back);
      expect(back.name).toBe('loop');
    });
  });

  describe('errors', () => {
    it('keeps the class, name, message, code, own properties and cause of a thrown error', async () => {
      const error = await failureOf(reactor.deferToRemote(fx.throwCustom, redis.socket, 'errors:fidelity'));
      expectParseErrorKept(error, 'x');
    });

    it('keeps a built-in class (instanceof RangeError)', async () => {
      const error = await failureOf(reactor.deferToRemote(fx.throwRange));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toBe('out of range');
    });

    it("keeps the host's stack and appends the dispatch site", async () => {
      const error = await failureOf(reactor.deferToRemote(fx.throwCustom, redis.socket, 'errors:stack'));
      const stack = error.stack as string;
      const site = stack.indexOf('--- task `throwCustom` dispatched (remote) from ---');
      expect(stack.slice(0, Math.max(0, site))).toMatch(/dist\/test\/fixtures\/remote-tasks\.js/); // the host's frame
      expect(site).toBeGreaterThan(0);
      expect(stack.slice(site)).toMatch(/remote-results\.test\.ts/); // the caller's frame
    });

    it('does not retry a thrown error, even with retries', async () => {
      const retried = defineTask(fx.throwCustom.moduleUrl, 'throwCustom', fx.throwCustom.fn!, { retries: 3 });
      await failureOf(reactor.deferToRemote(retried, redis.socket, 'errors:retry'));
      expect(await nextWord(watcher, 'errors:retry')).toBe('ran');
      expect(await watcher.llen('errors:retry')).toBe(0);
      // A second call's run is the next word: had the first been retried, its runs would come first.
      await failureOf(reactor.deferToRemote(retried, redis.socket, 'errors:retry'));
      expect(await watcher.llen('errors:retry')).toBe(1);
    });
  });

  describe('bad input', () => {
    it('errbacks DataCloneError naming the argument for a SharedArrayBuffer, before anything is enqueued', async () => {
      const before = reactor.stats().remote!.calls;
      const error = await failureOf(reactor.deferToRemote(fx.echo, new SharedArrayBuffer(8)));
      expect(error).toBeInstanceOf(DataCloneError);
      expect(error.argumentIndex).toBe(0);
      expect(error.task).toBe('echo');
      expect(reactor.stats().remote!.calls).toBe(before + 1);
      expect(reactor.stats().remote!.inFlight).toBe(0);
    });

    it('errbacks TaskNotFoundError for a task no host module exports', async () => {
      const stranger = defineTask(import.meta.url, 'notServedAnywhere', () => 1);
      const error = await failureOf(reactor.deferToRemote(stranger));
      expect(error).toBeInstanceOf(TaskNotFoundError);
      expect(error.message).toMatch(/--import/);
    });

    it('errbacks DataCloneError for a result that cannot be serialized, and the host keeps serving', async () => {
      const error = await failureOf(reactor.deferToRemote(fx.returnFunction));
      expect(error).toBeInstanceOf(DataCloneError);
      expect(error.code).toBe('ERR_DATA_CLONE');
      expect(error.message).toMatch(/returnFunction/);
      await expect(reactor.deferToRemote(fx.add, 20, 22).asPromise()).resolves.toBe(42);
    });

    it('errbacks TypeError for a plain function', async () => {
      const error = await failureOf(reactor.deferToRemote((() => 1) as unknown as typeof fx.noop));
      expect(error).toBeInstanceOf(TypeError);
    });

    it('errbacks TypeError when the reactor has no remote backend', async () => {
      const plain = new Reactor();
      const error = await failureOf(plain.deferToRemote(fx.add, 1, 2));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/no remote backend/);
      await plain.stop();
    });

    it('errbacks ReactorStoppedError once the reactor stops', async () => {
      const stopped = new Reactor({ remote: bullmqBackend({ connection: redis.connection, queue: 'results' }) });
      await stopped.stop();
      expect(await failureOf(stopped.deferToRemote(fx.add, 1, 2))).toBeInstanceOf(ReactorStoppedError);
    });
  });

  describe('one task module, every path', () => {
    it('gives equal results on thread, green and remote', async () => {
      const args: [number[], string] = [[5, 3, 9, 3, -1], 'sample'];
      const [onThread, onGreen, onRemote] = await Promise.all([
        reactor.deferToThread(built(fx.summarize), ...args).asPromise(),
        reactor.deferToGreenlet(fx.summarize, ...args).asPromise(),
        reactor.deferToRemote(fx.summarize, ...args).asPromise(),
      ]);
      expect(onRemote).toEqual(onThread);
      expect(onRemote).toEqual(onGreen);
      expect(onRemote).toEqual({ label: 'sample', count: 5, sum: 19, max: 9, sorted: [-1, 3, 3, 5, 9], seen: 4 });
    });
  });

  describe('stats', () => {
    it('counts calls and times their wait and run', async () => {
      await reactor.deferToRemote(fx.sleepFor, 20).asPromise();
      const remote = reactor.stats().remote!;
      expect(remote.engine).toBe('bullmq');
      expect(remote.completed).toBeGreaterThan(0);
      expect(remote.runMs.p99).toBeGreaterThanOrEqual(19);
      expect(remote.waitMs.p50).toBeGreaterThanOrEqual(0);
      // Per task, as on the thread path (stats().threads.tasks).
      expect(remote.tasks.sleepFor!.runs).toBeGreaterThanOrEqual(1);
      expect(remote.tasks.sleepFor!.runMs.p99).toBeGreaterThanOrEqual(19);
    });

    it('keeps one record per task, named by module once two tasks share a name', async () => {
      const [ca, cb] = [built(pa.checksum), built(pb.checksum)];
      expect(await reactor.deferToRemote(ca, 1).asPromise()).toBe('a1');
      expect(await reactor.deferToRemote(cb, 2).asPromise()).toBe('b2');
      expect(await reactor.deferToRemote(cb, 3).asPromise()).toBe('b3');
      const { tasks } = reactor.stats().remote!;
      expect(Object.keys(tasks).filter((label) => label.startsWith('checksum')).sort()).toEqual(['checksum (parse-tasks-a.js)', 'checksum (parse-tasks-b.js)']);
      expect([tasks['checksum (parse-tasks-a.js)']?.runs, tasks['checksum (parse-tasks-b.js)']?.runs]).toEqual([1, 2]);
    });
  });
});

describe('runRemoteWorker()', () => {
  it('rejects TaskNotFoundError naming a task module it cannot import (the one message of every path), before connecting', async () => {
    const missing = new URL('./no-such-tasks.js', remoteFixtureModule).href;
    const error = await runRemoteWorker({ connection: redis.connection, queue: 'results-missing', imports: [missing] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskNotFoundError);
    expect((error as TaskNotFoundError).moduleUrl).toBe(missing);
    expect((error as TaskNotFoundError).message).toMatch(/^Cannot import a task module \(file:.*no-such-tasks\.js\)/);
  });
});

describe('Deferred from deferToRemote', () => {
  it('is a Deferred like every route', () => {
    const d = reactor.deferToRemote(fx.add, 1, 1);
    expect(d).toBeInstanceOf(Deferred);
    return d.asPromise();
  });
});

/** A realm-independent description of a value: built-in collections and dates become tagged arrays. */
function shapeOf(value: unknown): unknown {
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  if (tag === 'Map') return ['Map', [...(value as Map<unknown, unknown>)].map(([k, v]) => [shapeOf(k), shapeOf(v)])];
  if (tag === 'Set') return ['Set', [...(value as Set<unknown>)].map(shapeOf)];
  if (tag === 'Date') return ['Date', (value as Date).getTime()];
  if (ArrayBuffer.isView(value)) return [tag, Array.from(value as unknown as ArrayLike<number>)];
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  return value;
}
