/**
 * Adversarial tests of a job that fails at BullMQ level without its host having died: a BullMQ worker that is not
 * a greenreactor host (another service, an old deployment) throws on our job, or our own host is handed a job whose
 * data someone else edited in Redis. SPEC §11: `retries` re-runs only after a host died, never after a thrown
 * error; bad input errbacks a named error through the Deferred. Such a failure is neither a dead host
 * (`WorkerCrashedError`, re-run with `retries`) nor silent: it errbacks `DataCloneError` naming the task and the
 * job and quoting (bounded) what was thrown, once, on the event path and the reconcile poll alike. Against a real
 * redis-server, a plain BullMQ `Worker` standing in for the foreign worker, and an in-process host.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Worker } from 'bullmq';
import { DataCloneError, RemoteUnavailableError, WorkerCrashedError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, runRemoteWorker, type RemoteWorker } from '../../src/remote-bullmq/index.js';
import { defineTask } from '../../src/task/task.js';
import * as fx from '../fixtures/remote-tasks.js';
import * as rv from '../fixtures/remote-review-tasks.js';
import { firingCounter } from '../helpers/deferred-results.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { nextWord, remoteFixtureModule, startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';

const queue = 'foreign-throw';
let bed: RemoteTestBed;
let foreign: Worker;
/** What the foreign worker throws on its next job. */
let thrown: unknown;
/** How many jobs the foreign worker ran. */
let foreignRuns = 0;
const reactors: Reactor[] = [];
const hosts: RemoteWorker[] = [];

beforeAll(async () => {
  bed = await startRemoteTestBed(queue, { host: false });
  foreign = new Worker(
    queue,
    () => {
      foreignRuns++;
      return Promise.reject(thrown);
    },
    { connection: bed.redis.connection },
  );
  await foreign.waitUntilReady();
});

afterAll(async () => {
  await Promise.all(reactors.map((r) => r.stop({ graceMs: 0 })));
  await Promise.all(hosts.map((h) => h.close()));
  await foreign?.close();
  await bed?.stop();
});

/** A reactor on `on`; `blind`: its backend drops every event, so only the reconcile poll reads the job. */
function reactorOn(on: string, blind: boolean): Reactor {
  const r = new Reactor({
    remote: bullmqBackend({ connection: bed.redis.connection, queue: on, reconcileMs: 100, onError: () => undefined, ...(blind ? { faults: { dropEvents: true } } : {}) }),
  });
  reactors.push(r);
  return r;
}

/** `add` with `retries: 1`: a dead host would be re-run once, a thrown error never. */
const addRetried = defineTask(fx.add.moduleUrl, 'add', fx.add.fn!, { retries: 1 });

describe('a job a foreign worker threw on', () => {
  it.each(['event', 'reconcile'] as const)(
    'errbacks DataCloneError naming the task and quoting what it threw, read by the %s path, once, never re-run with retries, not counted as a crash',
    async (path) => {
      thrown = new Error('billing service: unknown job name');
      const reactor = reactorOn(queue, path === 'reconcile');
      const runs = foreignRuns;
      const d = reactor.deferToRemote(addRetried, 1, 2);
      const firings = firingCounter(d);
      const error = await failureOf(d);
      expect(error).not.toBeInstanceOf(WorkerCrashedError);
      expect(error).toBeInstanceOf(DataCloneError);
      expect(error.task).toBe('add');
      expect(error.message).toMatch(/task `add`/);
      expect(error.message).toContain('billing service: unknown job name');
      expect(foreignRuns - runs).toBe(1);
      const stats = reactor.stats().remote!;
      expect({ retried: stats.retried, crashed: stats.crashed, failed: stats.failed }).toEqual({ retried: 0, crashed: 0, failed: 1 });
      expect(firings.count).toBe(1);
    },
  );

  it('quotes only the start of a huge thrown message', async () => {
    thrown = new Error(`huge ${'h'.repeat(3_000_000)}`);
    const error = await failureOf(reactorOn(queue, false).deferToRemote(fx.add, 1, 2));
    expect(error).toBeInstanceOf(DataCloneError);
    expect(error.message).toMatch(/huge h+/);
    expect(error.message.length).toBeLessThan(2000);
  });
});

/** Waits until a job waits on `on` (one round trip to the server per look) and returns its id. */
async function waitingJob(on: string): Promise<string> {
  for (let looks = 0; looks < 10_000; looks++) {
    const [id] = await bed.watcher.lrange(`bull:${on}:wait`, 0, 0);
    if (id !== undefined) return id;
  }
  throw new Error(`no job ever waited on ${on}`);
}

describe('a job whose data someone else edited in Redis before our host took it', () => {
  it.each([
    ['null', 'null'],
    ['a number', '5'],
    ['an object without a task', '{"a":"x"}'],
  ])('errbacks DataCloneError from the host naming the task when the data is %s, never WorkerCrashedError (no re-run with retries), and the host serves on', async (_what, data) => {
    const on = `edited-${data.length}`;
    hosts.push(
      await runRemoteWorker({
        connection: bed.redis.connection,
        queue: on,
        concurrency: 1,
        imports: [remoteFixtureModule, new URL('./remote-review-tasks.js', remoteFixtureModule)],
        onError: () => undefined,
      }),
    );
    const reactor = reactorOn(on, false);
    const key = `edited:${on}`;
    const blocker = reactor.deferToRemote(rv.startThenAwaitGo, bed.redis.socket, key);
    expect(await nextWord(bed.watcher, key)).toBe('started');
    const edited = reactor.deferToRemote(addRetried, 1, 2);
    const firings = firingCounter(edited);
    const jobKey = `bull:${on}:${await waitingJob(on)}`;
    await bed.watcher.hset(jobKey, 'data', data);
    await bed.watcher.rpush(`${key}:go`, 'go');
    await expect(blocker.asPromise()).resolves.toBe('go');
    const error = await failureOf(edited);
    expect(error).not.toBeInstanceOf(WorkerCrashedError);
    expect(error).toBeInstanceOf(DataCloneError);
    expect(error.task).toBe('add');
    expect(error.message).toMatch(/data of job .* is not what a greenreactor caller sends/);
    expect(reactor.stats().remote!.retried).toBe(0);
    expect(firings.count).toBe(1);
    await expect(reactor.deferToRemote(fx.add, 2, 3).asPromise()).resolves.toBe(5);
  });
});

describe('a job whose hash someone else deleted from Redis while it waited', () => {
  it('errbacks RemoteUnavailableError saying Redis lost the job (never re-run), once, and the host serves on', async () => {
    const on = 'deleted';
    hosts.push(await runRemoteWorker({ connection: bed.redis.connection, queue: on, concurrency: 1, imports: [remoteFixtureModule, new URL('./remote-review-tasks.js', remoteFixtureModule)], onError: () => undefined }));
    const reactor = reactorOn(on, false);
    const key = `deleted:${on}`;
    const blocker = reactor.deferToRemote(rv.startThenAwaitGo, bed.redis.socket, key);
    expect(await nextWord(bed.watcher, key)).toBe('started');
    const deleted = reactor.deferToRemote(fx.add, 1, 2);
    const firings = firingCounter(deleted);
    const id = await waitingJob(on);
    await bed.watcher.del(`bull:${on}:${id}`);
    const error = await failureOf(deleted);
    expect(error).toBeInstanceOf(RemoteUnavailableError);
    expect(error.message).toMatch(/lost job .* never re-run/s);
    await bed.watcher.rpush(`${key}:go`, 'go');
    await expect(blocker.asPromise()).resolves.toBe('go');
    await expect(reactor.deferToRemote(fx.add, 2, 3).asPromise()).resolves.toBe(5);
    expect(firings.count).toBe(1);
  });
});
