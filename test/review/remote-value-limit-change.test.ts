/**
 * Adversarial tests of a Redis server whose value limit (`proto-max-bulk-len`) changes after the backend and the
 * host connected (`CONFIG SET`; a restart with another configuration is the same change seen by a new connection).
 * SPEC §11 and §3: an oversized value is bad input — `DataCloneError` through the Deferred, unsent, never run
 * again — and a value the server takes is sent. Each side used to read the limit once, at connect: a raised limit
 * kept refusing values the server now takes, and a lowered one let oversized values through, which the server
 * answers with a protocol error and a dropped connection. Against a real redis-server and an in-process host.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataCloneError, WorkerCrashedError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, runRemoteWorker, type RemoteWorker } from '../../src/remote-bullmq/index.js';
import { defineTask } from '../../src/task/task.js';
import * as fx from '../fixtures/remote-tasks.js';
import * as rv from '../fixtures/remote-review-tasks.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { remoteFixtureModule, startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';

const queue = 'limit-change';
const mib = 1024 * 1024;
/** Over 1 MiB serialized, under 4 MiB. */
const length = 2_000_000;
let bed: RemoteTestBed;
const reactors: Reactor[] = [];
const hosts: RemoteWorker[] = [];

beforeAll(async () => {
  bed = await startRemoteTestBed(queue, {
    host: { imports: [remoteFixtureModule, new URL('./remote-review-tasks.js', remoteFixtureModule)], onError: () => undefined },
    backend: { onError: () => undefined },
  });
  // Both sides connected (and read whatever they read at connect) before any limit changes.
  await expect(bed.reactor.deferToRemote(fx.add, 1, 2).asPromise()).resolves.toBe(3);
});

afterAll(async () => {
  await Promise.all(reactors.map((r) => r.stop({ graceMs: 0 })));
  await Promise.all(hosts.map((h) => h.close()));
  await bed?.stop();
});

function setLimit(bytes: number): Promise<unknown> {
  return bed.watcher.config('SET', 'proto-max-bulk-len', String(bytes));
}

/** `repeatText` with `retries: 1`: a crash would be re-run once, a returned value never. */
const repeatRetried = defineTask(rv.repeatText.moduleUrl, 'repeatText', rv.repeatText.fn!, { retries: 1 });

describe('a Redis server whose proto-max-bulk-len was raised after both sides connected', () => {
  it('takes arguments and a result over the old limit, under the new one', async () => {
    // A host and a backend that connect while the limit is 1 MiB.
    await setLimit(mib);
    const raised = 'limit-raised';
    hosts.push(await runRemoteWorker({ connection: bed.redis.connection, queue: raised, imports: [remoteFixtureModule], onError: () => undefined }));
    const reactor = new Reactor({ remote: bullmqBackend({ connection: bed.redis.connection, queue: raised, onError: () => undefined }) });
    reactors.push(reactor);
    await expect(reactor.deferToRemote(fx.add, 1, 2).asPromise()).resolves.toBe(3);
    await setLimit(4 * mib);
    const text = 'a'.repeat(length);
    await expect(reactor.deferToRemote(fx.echo, text).asPromise()).resolves.toBe(text);
  });
});

describe('a Redis server whose proto-max-bulk-len was lowered after both sides connected', () => {
  it('errbacks DataCloneError naming the new limit for oversized arguments, enqueues nothing, and the route keeps serving', async () => {
    await setLimit(512 * mib);
    await setLimit(mib);
    const error = await failureOf(bed.reactor.deferToRemote(fx.echo, 'b'.repeat(length)));
    expect(error).toBeInstanceOf(DataCloneError);
    expect(error.message).toMatch(/over the 1048576 bytes .*proto-max-bulk-len.*nothing was enqueued/);
    await expect(bed.reactor.deferToRemote(fx.add, 2, 3).asPromise()).resolves.toBe(5);
  });

  it('errbacks DataCloneError naming the new limit for an oversized result, runs the task once with retries, and the host keeps serving', async () => {
    await setLimit(512 * mib);
    await setLimit(mib);
    const before = bed.reactor.stats().remote!;
    const error = await failureOf(bed.reactor.deferToRemote(repeatRetried, bed.redis.socket, 'lowered:runs', length));
    expect(error).not.toBeInstanceOf(WorkerCrashedError);
    expect(error).toBeInstanceOf(DataCloneError);
    expect(error.message).toMatch(/result of task `repeatText` is \d+ bytes serialized, over the 1048576 bytes/);
    expect(await bed.watcher.get('lowered:runs')).toBe('1');
    const after = bed.reactor.stats().remote!;
    expect({ retried: after.retried - before.retried, crashed: after.crashed - before.crashed }).toEqual({ retried: 0, crashed: 0 });
    await expect(bed.reactor.deferToRemote(rv.repeatText, bed.redis.socket, 'lowered:runs', 3).asPromise()).resolves.toBe('xxx');
  });
});
