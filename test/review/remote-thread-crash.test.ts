/**
 * Adversarial tests of a task that kills its thread on a worker host (`process.exit` in a worker thread: the host
 * lives, its thread dies). SPEC §11: `retries` re-runs only after a host or its thread died, counted by the caller
 * alone (the host runs a job once: it must not add the Task's own `retries` on top), and with `retries: 0` the call
 * errbacks `WorkerCrashedError`; the host goes on serving. Against a real redis-server and an in-process host.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { WorkerCrashedError } from '../../src/errors.js';
import type { Reactor } from '../../src/reactor/reactor.js';
import * as rv from '../fixtures/remote-review-tasks.js';
import * as fx from '../fixtures/remote-tasks.js';
import { firingCounter } from '../helpers/deferred-results.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { remoteFixtureModule, startRemoteTestBed, type RemoteTestBed, type TestRedis } from '../helpers/redis-server.js';

let bed: RemoteTestBed;
let redis: TestRedis;
let reactor: Reactor;
let watcher: Redis;

beforeAll(async () => {
  bed = await startRemoteTestBed('thread-crash', {
    host: { imports: [remoteFixtureModule, new URL('./remote-review-tasks.js', remoteFixtureModule)], onError: () => undefined },
  });
  ({ redis, reactor, watcher } = bed);
});

afterAll(() => bed?.stop());

describe("a remote task that ends its host's thread", () => {
  it('with retries: 1, crashing once, is re-run once by the caller and delivers the second run', async () => {
    const before = reactor.stats().remote!;
    const d = reactor.deferToRemote(rv.crashThreadRetried, redis.socket, 'crash:once', 1);
    const firings = firingCounter(d);
    await expect(d.asPromise()).resolves.toBe(2);
    expect(await watcher.get('crash:once')).toBe('2');
    expect(reactor.stats().remote!.retried - before.retried).toBe(1);
    expect(firings.count).toBe(1);
  });

  it('with retries: 1, crashing every run, runs twice (the caller\'s retry only) and errbacks WorkerCrashedError naming the task', async () => {
    const error = await failureOf(reactor.deferToRemote(rv.crashThreadRetried, redis.socket, 'crash:always', 100));
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error.task).toBe('crashThreadRetried');
    expect(await watcher.get('crash:always')).toBe('2');
  });

  it('with retries: 0, runs once and errbacks WorkerCrashedError; the host serves the next call', async () => {
    const before = reactor.stats().remote!;
    const error = await failureOf(reactor.deferToRemote(rv.crashThread, redis.socket, 'crash:none', 100));
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(await watcher.get('crash:none')).toBe('1');
    const after = reactor.stats().remote!;
    expect({ retried: after.retried - before.retried, crashed: after.crashed - before.crashed }).toEqual({ retried: 0, crashed: 1 });
    await expect(reactor.deferToRemote(fx.add, 2, 3).asPromise()).resolves.toBe(5);
  });
});
