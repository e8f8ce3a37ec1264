/**
 * SPEC §4 and §11: `retries` re-runs a call only when its host died mid-task, never after its task returned. A host
 * whose task returned but which never saved the result (it died, or the server refused the save) leaves a job that
 * stalls exactly like one whose host died mid-task: the host records in the job's hash that the task returned
 * (returned-mark.ts) and the caller reads that before a retry.
 *
 * How the gap is made, deterministically, on a real redis-server: host A authenticates as its own ACL user; once its
 * task runs, that user may write the job's hash and nothing else (no saving the result, no renewing the job's lock,
 * no taking a job), so host A's save fails after its task returned, and host B (started then, checking for stalled
 * jobs every 200 ms) fails the job as stalled once host A's lock lapses: what a caller sees of a host that died there.
 * Host C, made the same way with three slots, shows that a refusal of its marks is reported once per outage.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import type { Deferred } from '../../src/deferred/deferred.js';
import { WorkerCrashedError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { GreenReactorError } from '../../src/errors.js';
import { bullmqBackend, ReturnedMarkNotWrittenError, runRemoteWorker, type RemoteWorker } from '../../src/remote-bullmq/index.js';
import { defineTask } from '../../src/task/task.js';
import * as rv from '../fixtures/remote-review-tasks.js';
import { firingCounter } from '../helpers/deferred-results.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { nextWord, remoteFixtureModule, startRedis, type TestRedis } from '../helpers/redis-server.js';

const queue = 'returned';
const imports = [remoteFixtureModule, new URL('./remote-review-tasks.js', remoteFixtureModule)];
const retriedAwait = defineTask(rv.startThenAwaitGo.moduleUrl, 'startThenAwaitGo', rv.startThenAwaitGo.fn!, { retries: 1 });

let redis: TestRedis;
let admin: Redis;
let watcher: Redis;
let reactor: Reactor;
const hosts: RemoteWorker[] = [];
/** Host A's `onError` reports. */
const hostAReports: unknown[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = redis.client();
  watcher = redis.client();
  await admin.call('ACL', 'SETUSER', 'hosta', 'on', '>hosta-pw', 'allkeys', 'allchannels', '+@all');
  hosts.push(
    await runRemoteWorker({
      connection: { ...redis.connection, username: 'hosta', password: 'hosta-pw' },
      queue,
      imports,
      lockDurationMs: 1000,
      stalledIntervalMs: 200, // BullMQ skips every host's stalled check for the interval of the last host that checked
      onError: (error) => hostAReports.push(error),
    }),
  );
  reactor = new Reactor({ remote: bullmqBackend({ connection: redis.connection, queue, reconcileMs: 200, onError: () => undefined }) });
});

afterAll(async () => {
  await admin?.call('ACL', 'SETUSER', 'hosta', 'allkeys');
  await reactor?.stop({ graceMs: 0 });
  await Promise.all(hosts.map((h) => h.close()));
  await watcher?.quit();
  await admin?.quit();
  await redis?.stop();
});

describe('a host whose task returned but which may not write the returned mark', () => {
  it('reports ReturnedMarkNotWrittenError naming the job through its onError (the call, unmarked, is re-run)', async () => {
    const call = reactor.deferToRemote(retriedAwait, redis.socket, 'mark:run');
    expect(await nextWord(watcher, 'mark:run')).toBe('started');
    // Host A may now write no key at all: not the mark, not the result.
    await admin.call('ACL', 'SETUSER', 'hosta', 'resetkeys');
    const hostB = await runRemoteWorker({ connection: redis.connection, queue, imports, stalledIntervalMs: 200, onError: () => undefined });
    await watcher.rpush('mark:run:go', 'first', 'second');
    await expect(call.asPromise()).resolves.toBe('second');
    const marks = hostAReports.filter((error) => error instanceof ReturnedMarkNotWrittenError);
    expect(marks).toHaveLength(1);
    expect((marks[0] as ReturnedMarkNotWrittenError).jobKey).toMatch(new RegExp(`^bull:${queue}:gr-`));
    expect((marks[0] as Error).message).toContain('NOPERM');
    expect(marks[0]).toMatchObject({ name: 'ReturnedMarkNotWrittenError', code: 'ERR_RETURNED_MARK_NOT_WRITTEN' });
    expect(marks[0]).toBeInstanceOf(GreenReactorError);
    // Host A alone again, and whole, for the next test.
    await hostB.close();
    await admin.call('ACL', 'SETUSER', 'hosta', 'allkeys');
  });
});

describe('a call whose task returned on a host that never saved its result', () => {
  it('errbacks WorkerCrashedError saying the task returned, once, and is not re-run under retries', async () => {
    const before = { ...reactor.stats().remote! };
    const call = reactor.deferToRemote(retriedAwait, redis.socket, 'ret:run');
    const firings = firingCounter(call);
    expect(await nextWord(watcher, 'ret:run')).toBe('started');
    // Host A may now write its jobs' hashes (`gr-…` ids end in a digit; their `:lock` keys do not) and nothing else.
    await admin.call('ACL', 'SETUSER', 'hosta', 'resetkeys', `~bull:${queue}:gr-*[0-9]`);
    hosts.push(await runRemoteWorker({ connection: redis.connection, queue, imports, stalledIntervalMs: 200, onError: () => undefined }));
    // Two words: a re-run would take the second one and return it.
    await watcher.rpush('ret:run:go', 'first', 'second');
    const error = await failureOf(call);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error.message).toContain('after the task returned');
    expect(await watcher.lrange('ret:run', 0, -1)).toEqual([]);
    const after = reactor.stats().remote!;
    expect({ retried: after.retried - before.retried, crashed: after.crashed - before.crashed }).toEqual({ retried: 0, crashed: 1 });
    expect(firings.count).toBe(1);
  });
});

describe('a call with retries: 0 whose task returned on a host that never saved its result', () => {
  it('errbacks WorkerCrashedError saying the task returned (the mark read), not that its outcome is unknown', async () => {
    // Host A alone on the queue again, and whole (the test before left it restricted, beside a host B).
    await Promise.all(hosts.splice(1).map((h) => h.close()));
    await admin.call('ACL', 'SETUSER', 'hosta', 'allkeys');
    const call = reactor.deferToRemote(rv.startThenAwaitGo, redis.socket, 'zero:run');
    expect(await nextWord(watcher, 'zero:run')).toBe('started');
    await admin.call('ACL', 'SETUSER', 'hosta', 'resetkeys', `~bull:${queue}:gr-*[0-9]`);
    hosts.push(await runRemoteWorker({ connection: redis.connection, queue, imports, stalledIntervalMs: 200, onError: () => undefined }));
    await watcher.rpush('zero:run:go', 'first');
    const error = await failureOf(call);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error.message).toContain('after the task returned');
    expect(error.message).not.toContain('outcome is unknown');
  });
});

describe('a host whose returned marks are refused, for several jobs and in two outages', () => {
  // Host C (its own ACL user and queue) runs three tasks at once; the test takes its key access away while they run.
  const onC = 'mark-reports';
  const cReports: unknown[] = [];
  const markReports = (): ReturnedMarkNotWrittenError[] => cReports.filter((e): e is ReturnedMarkNotWrittenError => e instanceof ReturnedMarkNotWrittenError);

  /** `n` calls start on host C, its marks are refused while their tasks return, and host B re-runs them. */
  async function outage(caller: Reactor, label: string, n: number): Promise<void> {
    const calls: Array<Deferred<unknown>> = [];
    for (let i = 0; i < n; i++) {
      calls.push(caller.deferToRemote(retriedAwait, redis.socket, `${label}:${i}`));
      expect(await nextWord(watcher, `${label}:${i}`)).toBe('started');
    }
    await admin.call('ACL', 'SETUSER', 'hostc', 'resetkeys');
    const hostB = await runRemoteWorker({ connection: redis.connection, queue: onC, imports, stalledIntervalMs: 200, onError: () => undefined });
    try {
      for (let i = 0; i < n; i++) await watcher.rpush(`${label}:${i}:go`, 'first', 'second');
      await expect(Promise.all(calls.map((d) => d.asPromise()))).resolves.toEqual(Array(n).fill('second'));
    } finally {
      await admin.call('ACL', 'SETUSER', 'hostc', 'allkeys');
      await hostB.close();
    }
  }

  it('reports ReturnedMarkNotWrittenError once per outage, not once per job; a mark written ends the outage', async () => {
    await admin.call('ACL', 'SETUSER', 'hostc', 'on', '>hostc-pw', 'allkeys', 'allchannels', '+@all');
    const hostC = await runRemoteWorker({
      connection: { ...redis.connection, username: 'hostc', password: 'hostc-pw' },
      queue: onC,
      imports,
      concurrency: 3,
      lockDurationMs: 1000,
      stalledIntervalMs: 200,
      onError: (error) => cReports.push(error),
    });
    const caller = new Reactor({ remote: bullmqBackend({ connection: redis.connection, queue: onC, reconcileMs: 200, onError: () => undefined }) });
    try {
      await outage(caller, 'first', 3);
      expect(markReports()).toHaveLength(1);
      expect(markReports()[0]!.message).toContain('NOPERM');
      // Host C writes a mark again: that outage is over.
      const ok = caller.deferToRemote(retriedAwait, redis.socket, 'between');
      expect(await nextWord(watcher, 'between')).toBe('started');
      await watcher.rpush('between:go', 'done');
      await expect(ok.asPromise()).resolves.toBe('done');
      await outage(caller, 'second', 2);
      expect(markReports()).toHaveLength(2);
    } finally {
      await caller.stop({ graceMs: 0 });
      await hostC.close();
    }
  }, 60_000);
});
