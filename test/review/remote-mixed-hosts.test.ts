/**
 * Adversarial tests of hosts with different task sets serving one queue. BullMQ hands any job to any worker of its
 * queue: a host that did not serve a job's task failed it with `TaskNotFoundError` while another host that serves it
 * sat idle (14 to 16 of 20 calls failed). SPEC §11: every queued task runs, is cancelled or fails — on a host that
 * serves it when one is alive, with `TaskNotFoundError` when none is. Against a real redis-server and in-process
 * hosts.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runRemoteWorker, type RemoteWorker } from '../../src/remote-bullmq/index.js';
import * as fx from '../fixtures/remote-tasks.js';
import * as rv from '../fixtures/remote-review-tasks.js';
import { failureOf, settled } from '../threads/thread-test-kit.js';
import { firingCounter } from '../helpers/deferred-results.js';
import { CancelledError, TaskNotFoundError } from '../../src/errors.js';
import { defineTask } from '../../src/task/task.js';
import { nextWord, remoteFixtureModule, startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';

const queue = 'mixed';
let bed: RemoteTestBed;
/** A task of a module no host imports. */
const unservedTask = defineTask(new URL('./nowhere.js', remoteFixtureModule).href, 'nowhere', (): number => 1);
/** One host serving the fixtures, one serving the review fixtures. */
const hosts: RemoteWorker[] = [];

beforeAll(async () => {
  bed = await startRemoteTestBed(queue, { host: false });
  for (const module of [remoteFixtureModule, new URL('./remote-review-tasks.js', remoteFixtureModule)]) {
    hosts.push(await runRemoteWorker({ connection: bed.redis.connection, queue, imports: [module] }));
  }
});

afterAll(async () => {
  await bed?.reactor.stop({ graceMs: 0 });
  await Promise.all(hosts.map((h) => h.close()));
  await bed?.stop();
});

/** Waits until a job of the queue was given back at least `times` times (its start count, one look per round trip); returns its id. */
async function givenBack(times: number): Promise<string> {
  for (let looks = 0; looks < 10_000; looks++) {
    const [id] = await bed.watcher.zrange(`bull:${queue}:delayed`, 0, 0);
    if (id !== undefined && Number(await bed.watcher.hget(`bull:${queue}:${id}`, 'ats')) >= times) return id;
  }
  throw new Error(`no job of ${queue} was given back ${times} times`);
}

/** Waits until job `id` is over: removed, or finished (one look per round trip). */
async function over(id: string): Promise<void> {
  const key = `bull:${queue}:${id}`;
  for (let looks = 0; looks < 10_000; looks++) {
    if ((await bed.watcher.exists(key)) === 0 || (await bed.watcher.hexists(key, 'finishedOn')) === 1) return;
  }
  throw new Error(`job ${id} never ended`);
}

describe('two hosts with different task sets on one queue', () => {
  it('runs every call on a host that serves its task', async () => {
    const reactor = bed.reactor;
    const calls = [];
    for (let i = 0; i < 10; i++) {
      calls.push(reactor.deferToRemote(fx.add, i, 1));
      calls.push(reactor.deferToRemote(rv.repeatText, bed.redis.socket, 'mixed:runs', 2));
    }
    const outcomes = await Promise.all(calls.map((d) => settled(d as never)));
    const failures = outcomes.filter((o) => !o.ok).map((o) => (o as { error: Error }).error.name);
    expect(failures).toEqual([]);
    expect(outcomes.map((o) => (o as { value: unknown }).value)).toEqual(Array.from({ length: 10 }, (_, i) => [i + 1, 'xx']).flat());
  });

  it('errbacks TaskNotFoundError for a task no live host serves (never bounced forever)', async () => {
    const error = await failureOf(bed.reactor.deferToRemote(unservedTask));
    expect(error).toBeInstanceOf(TaskNotFoundError);
  });

  it('a call cancelled while its job is given back between hosts errbacks CancelledError once and never runs', async () => {
    // The review host busy: the fixtures host takes the job and gives it back until the call is cancelled.
    const blocker = bed.reactor.deferToRemote(rv.startThenAwaitGo, bed.redis.socket, 'mixed:blocker');
    expect(await nextWord(bed.watcher, 'mixed:blocker')).toBe('started');
    const bounced = bed.reactor.deferToRemote(rv.repeatText, bed.redis.socket, 'mixed:bounced', 2);
    const firings = firingCounter(bounced);
    const id = await givenBack(2);
    bounced.cancel();
    expect(await failureOf(bounced)).toBeInstanceOf(CancelledError);
    await bed.watcher.rpush('mixed:blocker:go', 'go');
    await expect(blocker.asPromise()).resolves.toBe('go');
    await over(id);
    expect(await bed.watcher.get('mixed:bounced')).toBeNull();
    expect(firings.count).toBe(1);
  });

  it('errbacks TaskNotFoundError for the tasks of a host that closed (it left the directory)', async () => {
    await hosts[1]!.close();
    const error = await failureOf(bed.reactor.deferToRemote(rv.repeatText, bed.redis.socket, 'mixed:runs', 2));
    expect(error).toBeInstanceOf(TaskNotFoundError);
    await expect(bed.reactor.deferToRemote(fx.add, 1, 1).asPromise()).resolves.toBe(2);
  });
});
