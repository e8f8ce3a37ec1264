/**
 * Adversarial tests of values larger than the Redis server takes in one command argument (`proto-max-bulk-len`,
 * lowered here to its minimum, 1 MiB, so that a 2 MB value crosses it). Sent anyway, the server answers a protocol
 * error and drops the connection: an oversized result was read as a dead host (`WorkerCrashedError`, and a re-run
 * with `retries` of a task that returned, against SPEC §11), an oversized argument as Redis out of reach. Both are
 * bad input: `DataCloneError`, through the Deferred, the route still serving. So is an oversized error a task throws
 * (its message, stack, an own property or its cause): it was read as a dead host too, and re-run with `retries`
 * (SPEC §11: never after a thrown error). Against a real redis-server.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { DataCloneError, WorkerCrashedError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, runRemoteWorker, type RemoteWorker } from '../../src/remote-bullmq/index.js';
import { defineTask } from '../../src/task/task.js';
import * as fx from '../fixtures/remote-tasks.js';
import * as rv from '../fixtures/remote-review-tasks.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { remoteFixtureModule, startRedis, type TestRedis } from '../helpers/redis-server.js';

const queue = 'payload-limit';
const limit = 1024 * 1024;
const oversized = 2_000_000;

let redis: TestRedis;
let watcher: Redis;
let host: RemoteWorker;
let reactor: Reactor;

beforeAll(async () => {
  redis = await startRedis();
  watcher = redis.client();
  await watcher.config('SET', 'proto-max-bulk-len', String(limit));
  host = await runRemoteWorker({
    connection: redis.connection,
    queue,
    imports: [remoteFixtureModule, new URL('./remote-review-tasks.js', remoteFixtureModule)],
    onError: () => undefined,
  });
  reactor = new Reactor({ remote: bullmqBackend({ connection: redis.connection, queue, reconcileMs: 200, onError: () => undefined }) });
});

afterAll(async () => {
  await reactor?.stop({ graceMs: 0 });
  await host?.close();
  await watcher?.quit();
  await redis?.stop();
});

describe("a remote call whose values exceed the server's proto-max-bulk-len", () => {
  it('errbacks DataCloneError naming the task and the limit for oversized arguments, enqueues nothing, and the route keeps serving', async () => {
    const error = await failureOf(reactor.deferToRemote(fx.echo, 'x'.repeat(oversized)));
    expect(error).toBeInstanceOf(DataCloneError);
    expect(error.task).toBe('echo');
    expect(error.message).toMatch(/over the 1048576 bytes .*proto-max-bulk-len.*nothing was enqueued/);
    expect(await watcher.keys(`bull:${queue}:gr-*`)).toEqual([]);
    await expect(reactor.deferToRemote(fx.add, 2, 3).asPromise()).resolves.toBe(5);
  });

  it('errbacks DataCloneError for an oversized result, runs the task once even with retries (it returned), and the host keeps serving', async () => {
    const retried = defineTask(rv.repeatText.moduleUrl, 'repeatText', rv.repeatText.fn!, { retries: 1 });
    const before = reactor.stats().remote!;
    const error = await failureOf(reactor.deferToRemote(retried, redis.socket, 'limit:runs', oversized));
    expect(error).toBeInstanceOf(DataCloneError);
    expect(error.message).toMatch(/result of task `repeatText` is \d+ bytes serialized, over the 1048576 bytes/);
    expect(await watcher.get('limit:runs')).toBe('1');
    const after = reactor.stats().remote!;
    expect({ retried: after.retried - before.retried, crashed: after.crashed - before.crashed }).toEqual({ retried: 0, crashed: 0 });
    await expect(reactor.deferToRemote(rv.repeatText, redis.socket, 'limit:runs', 3).asPromise()).resolves.toBe('xxx');
  });
});

/** `throwLarge` with `retries: 1`: a crash would be re-run once, a thrown error never. */
const throwLargeRetried = defineTask(rv.throwLarge.moduleUrl, 'throwLarge', rv.throwLarge.fn!, { retries: 1 });

describe("a remote task whose error exceeds the server's proto-max-bulk-len", () => {
  it.each(['message', 'stack', 'property', 'cause'] as const)(
    'errbacks DataCloneError naming the task, the error and the limit for an oversized %s, runs once with retries, and is not counted as a crash',
    async (part) => {
      const key = `limit:error-${part}`;
      const before = reactor.stats().remote!;
      const error = await failureOf(reactor.deferToRemote(throwLargeRetried, redis.socket, key, part, oversized));
      expect(error).not.toBeInstanceOf(WorkerCrashedError);
      expect(error).toBeInstanceOf(DataCloneError);
      expect(error.task).toBe('throwLarge');
      expect(error.message).toMatch(/error task `throwLarge` threw \(RangeError, code E_LARGE\) is \d+ bytes serialized, over the 1048576 bytes/);
      expect(error.message.length).toBeLessThan(2000);
      expect(await watcher.get(key)).toBe('1');
      const after = reactor.stats().remote!;
      expect({ retried: after.retried - before.retried, crashed: after.crashed - before.crashed, failed: after.failed - before.failed }).toEqual({
        retried: 0,
        crashed: 0,
        failed: 1,
      });
    },
  );

  it('an error just under the limit still arrives whole, and the host keeps serving after an oversized one', async () => {
    const error = await failureOf(reactor.deferToRemote(throwLargeRetried, redis.socket, 'limit:error-under', 'message', 200_000));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toHaveLength(200_000);
    expect(error.code).toBe('E_LARGE');
  });
});
