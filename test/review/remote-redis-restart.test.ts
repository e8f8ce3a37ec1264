/**
 * Adversarial tests of a Redis server restarted on the same socket while remote calls are queued, running, answered
 * but not read yet, and being cancelled — with its data lost (`SHUTDOWN NOSAVE`, or `SIGKILL` without persistence)
 * and kept (`SHUTDOWN SAVE`, reloaded at start; `SIGKILL` with an fsync'd append-only file). SPEC §11: every Deferred
 * fires once; a job lost with the server's data errbacks `RemoteUnavailableError` saying so and is never re-run (it
 * may have run in full: the record that its task returned was lost with it), a kept one completes; nothing hangs,
 * and `stop()` / `close()` end. The outage is shorter than `unreachableMs` (10 s by default), so the backend and the
 * host ride it out. Against a real redis-server (stopped and started by this file) and an in-process host taking one
 * job at a time.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Deferred } from '../../src/deferred/deferred.js';
import { CancelledError, ReactorStoppedError, RemoteUnavailableError, TaskNotFoundError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, runRemoteWorker, type BullmqBackendOptions, type RemoteWorker } from '../../src/remote-bullmq/index.js';
import { defineTask } from '../../src/task/task.js';
import * as rv from '../fixtures/remote-review-tasks.js';
import * as fx from '../fixtures/remote-tasks.js';
import { firingCounter } from '../helpers/deferred-results.js';
import { failureOf, settled } from '../threads/thread-test-kit.js';
import { nextWord, ready, remoteFixtureModule } from '../helpers/redis-server.js';

const dir = mkdtempSync(join(tmpdir(), 'greenreactor-restart-'));
const socket = join(dir, 'redis.sock');
const connection = { path: socket };
let server: ChildProcess;
let watcher: Redis;
const hosts: RemoteWorker[] = [];
const reactors: Reactor[] = [];

/** Whether the server writes an append-only file, fsync'd at every write (so a SIGKILL loses nothing). */
let appendOnly = false;

/** Starts redis-server on the file's socket and folder (it loads dump.rdb when a SHUTDOWN SAVE left one, or its AOF). */
async function startServer(): Promise<void> {
  server = spawn(
    process.env.REDIS_SERVER ?? 'redis-server',
    [
      ...['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', ''],
      ...['--appendonly', appendOnly ? 'yes' : 'no', '--appendfsync', 'always', '--dir', dir, '--daemonize', 'no'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await ready(server);
}

/**
 * How the server goes down: `SHUTDOWN SAVE` (its data kept in dump.rdb), `SHUTDOWN NOSAVE`, or `SIGKILL` (its data
 * lost, unless it writes an append-only file).
 */
type Down = 'save' | 'nosave' | 'sigkill';

/** Stops the server as `how` says and waits for it to exit; a start after it loads only what `how` kept. */
async function shutdown(how: Down): Promise<void> {
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  if (how === 'sigkill') server.kill('SIGKILL');
  else {
    const admin = new Redis({ path: socket, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    await admin.call('SHUTDOWN', how === 'save' ? 'SAVE' : 'NOSAVE').catch(() => undefined); // the server closes the connection
    admin.disconnect();
  }
  await exited;
  if (how !== 'save' && !appendOnly) rmSync(join(dir, 'dump.rdb'), { force: true });
}

async function restart(how: Down): Promise<void> {
  await shutdown(how);
  await startServer();
}

beforeAll(async () => {
  await startServer();
  watcher = new Redis(connection);
  watcher.on('error', () => undefined); // each failed reconnect while the server is down (it reconnects once it is back)
});

afterAll(async () => {
  await Promise.all(reactors.map((r) => r.stop({ graceMs: 0 })));
  await Promise.all(hosts.map((h) => h.close()));
  watcher?.disconnect();
  await new Promise<void>((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null) resolve();
    else {
      server.once('exit', () => resolve());
      server.kill('SIGTERM');
    }
  });
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A host taking one job at a time on `queue` (giving up on a server gone for `unreachableMs`), and a reactor calling
 * it (`backend`: more options of its backend).
 */
async function serve(queue: string, unreachableMs = 10_000, backend: Partial<BullmqBackendOptions> = {}): Promise<Reactor> {
  hosts.push(
    await runRemoteWorker({ connection, queue, imports: [remoteFixtureModule, new URL('./remote-review-tasks.js', remoteFixtureModule)], unreachableMs, onError: () => undefined }),
  );
  const reactor = new Reactor({ remote: bullmqBackend({ connection, queue, reconcileMs: 200, onError: () => undefined, ...backend }) });
  reactors.push(reactor);
  return reactor;
}

const retriedAwait = defineTask(rv.startThenAwaitGo.moduleUrl, 'startThenAwaitGo', rv.startThenAwaitGo.fn!, { retries: 1 });

/**
 * Serves queue `restart-<name>-<how>` (see {@link serve}) and makes a call of `task` (`startThenAwaitGo`, or its
 * retried twin) that has started on the host: it waits for a word on `<key>:running:go`.
 * @returns the reactor, the running call, and `key` (`<name>-<how>`) for the test's other lists.
 */
async function startedCall(name: string, how: Down, task: typeof rv.startThenAwaitGo, unreachableMs?: number) {
  const key = `${name}-${how}`;
  const reactor = await serve(`restart-${key}`, unreachableMs);
  const running = reactor.deferToRemote(task, socket, `${key}:running`);
  expect(await nextWord(watcher, `${key}:running`)).toBe('started');
  return { key, reactor, running };
}

/**
 * Asks Redis (the watcher's round trips, no timer) until `check` holds; a guard against a hang, not a timing.
 * @param check - the condition, read through the watcher.
 * @param what - what is awaited, for the failure.
 */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const guard = Date.now() + 30_000;
  while (!(await check())) if (Date.now() > guard) throw new Error(`${what} did not happen within 30 s`);
}

/** Whether `error` is the error of a call whose job the server lost with its data. */
function lostJob(error: unknown): boolean {
  return error instanceof RemoteUnavailableError && /lost job .* never re-run/s.test(error.message);
}

/** The ways the server goes down losing its data: a shutdown that saves nothing, a kill with no persistence. */
const losingData: ReadonlyArray<[string, Down]> = [
  ['SHUTDOWN NOSAVE', 'nosave'],
  ['SIGKILL, no persistence', 'sigkill'],
];

describe.each(losingData)('a Redis server restarted with its data lost (%s), while calls run and wait', (_, how) => {
  it('errbacks the running call (retries: 1) and the queued ones RemoteUnavailableError saying their jobs were lost, never re-runs them, each once, and serves new calls', async () => {
    const { key, reactor, running } = await startedCall('lost', how, retriedAwait);
    const queued = [1, 2, 3].map((i) => reactor.deferToRemote(fx.reportRun, socket, `${key}:queued`, `q${i}`) as Deferred<unknown>);
    const firings = [running, ...queued].map((d) => firingCounter(d));
    // Queued on the server (an add still in flight at a SIGKILL is sent again to the new server, and runs there).
    await until(async () => (await watcher.llen(`bull:restart-lost-${how}:wait`)) === 3, 'the three adds');
    await restart(how);
    // The lost jobs' calls end while the first run still runs on its host: none of them was re-sent.
    for (const d of [running, ...queued]) expect(lostJob(await failureOf(d))).toBe(true);
    await watcher.rpush(`${key}:running:go`, 'first'); // ends the first run (its job is gone: its result is dropped)
    await expect(reactor.deferToRemote(fx.add, 2, 3).asPromise()).resolves.toBe(5); // taken once the first run ended
    expect(reactor.stats().remote).toMatchObject({ retried: 0, crashed: 0 });
    expect(firings.map((f) => f.count)).toEqual([1, 1, 1, 1]);
    expect(await watcher.lrange(`${key}:running`, 0, -1)).toEqual([]); // no second start
    expect(await watcher.lrange(`${key}:queued`, 0, -1)).toEqual([]);
  }, 60_000);

  it('never re-runs a call whose task returned and whose result was not read yet (retries: 1): it gets its result or RemoteUnavailableError, once', async () => {
    const queue = `restart-answered-${how}`;
    // Events dropped: only the reconcile poll (every second) reads the result, so the restart mostly comes first.
    const reactor = await serve(queue, 10_000, { reconcileMs: 1000, faults: { dropEvents: true } });
    const log = join(dir, `answered-${how}.log`);
    const d = reactor.deferToRemote(rv.appendRunRetried, log, 'ran');
    const firings = firingCounter(d);
    // Answered: BullMQ saved the job's result (a hang guard bounds the wait, not the timing).
    await until(async () => d.called || (await watcher.zcard(`bull:${queue}:completed`)) === 1, 'the job\'s completion');
    await restart(how);
    const outcome = await settled(d);
    if (!outcome.ok) expect(lostJob(outcome.error)).toBe(true);
    else expect(outcome.value).toBe('ran');
    expect(readFileSync(log, 'utf8')).toBe('ran\n'); // one run, whichever way the call ended
    expect(firings.count).toBe(1);
    expect(reactor.stats().remote).toMatchObject({ retried: 0 });
  }, 60_000);
});

/** A shutdown that keeps the data, and a kill that loses it. */
const keepingOrLosing: ReadonlyArray<[string, Down]> = [
  ['SHUTDOWN SAVE', 'save'],
  ['SIGKILL, no persistence', 'sigkill'],
];

describe.each(keepingOrLosing)('a call cancelled while the server is down (%s)', (_, how) => {
  it('errbacks CancelledError at once, never runs after the restart, and the route serves again', async () => {
    const { key, reactor, running } = await startedCall('cancel', how, rv.startThenAwaitGo);
    const queued = reactor.deferToRemote(fx.reportRun, socket, `${key}:queued`, 'ran');
    await shutdown(how);
    queued.cancel();
    expect(queued.called).toBe(true);
    expect(await failureOf(queued)).toBeInstanceOf(CancelledError);
    await startServer();
    await watcher.rpush(`${key}:running:go`, 'went');
    const ran = await settled(running);
    // Its data kept, the running call completes; lost, it errbacks: its job is gone.
    if (how === 'save') expect(ran).toEqual({ ok: true, value: 'went' });
    else expect(ran.ok === false && lostJob(ran.error)).toBe(true);
    await expect(reactor.deferToRemote(fx.reportRun, socket, `${key}:queued`, 'marker').asPromise()).resolves.toBe('marker');
    expect(await watcher.lrange(`${key}:queued`, 0, -1)).toEqual(['marker']);
  }, 60_000);
});

/** Turns the running server's fsync'd append-only file on (and waits until it holds the whole dataset), or off. */
async function useAppendOnly(on: boolean): Promise<void> {
  appendOnly = on;
  await watcher.config('SET', 'appendonly', on ? 'yes' : 'no');
  // A hang guard only: the rewrite of a near-empty dataset takes milliseconds.
  for (let i = 0; on && i < 10_000; i++) {
    const info = await watcher.info('persistence');
    if (/aof_enabled:1/.test(info) && /aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) return;
  }
}

describe.each<[string, Down, boolean]>([
  ['SHUTDOWN SAVE', 'save', false],
  ['SIGKILL, with an append-only file', 'sigkill', true],
])('a Redis server restarted with its data kept (%s), while calls run and wait', (_, how, aof) => {
  it('delivers the running call and runs the queued ones, each once, without a retry', async () => {
    if (aof) await useAppendOnly(true);
    try {
      const { key, reactor, running } = await startedCall('kept', how, retriedAwait);
      const queued = [1, 2, 3].map((i) => reactor.deferToRemote(fx.reportRun, socket, `${key}:queued`, `q${i}`) as Deferred<unknown>);
      const firings = [running, ...queued].map((d) => firingCounter(d));
      await restart(how);
      await watcher.rpush(`${key}:running:go`, 'went');
      await expect(running.asPromise()).resolves.toBe('went');
      expect(await Promise.all(queued.map((d) => d.asPromise()))).toEqual(['q1', 'q2', 'q3']);
      expect(reactor.stats().remote!.retried).toBe(0);
      expect(firings.map((f) => f.count)).toEqual([1, 1, 1, 1]);
    } finally {
      if (aof) await useAppendOnly(false);
    }
  }, 60_000);
});

describe.each(losingData)('stop() and close() while BullMQ reconnects to a server that is down (%s)', (_, how) => {
  it('stop() ends, errbacking the running and the queued call ReactorStoppedError once each, and the host close() ends, before the server is back', async () => {
    const { key, reactor, running } = await startedCall('stop', how, rv.startThenAwaitGo, 2000);
    const host = hosts[hosts.length - 1]!;
    const queued = reactor.deferToRemote(fx.reportRun, socket, `${key}:queued`, 'ran');
    const firings = [running, queued].map((d) => firingCounter(d as Deferred<unknown>));
    await shutdown(how);
    await reactor.stop({ graceMs: 0 });
    expect(await failureOf(running)).toBeInstanceOf(ReactorStoppedError);
    expect(await failureOf(queued)).toBeInstanceOf(ReactorStoppedError);
    // The server is gone: the host aborts its running job (its result could not be saved) and ends at once.
    await host.close();
    await startServer();
    expect(firings.map((f) => f.count)).toEqual([1, 1]);
    expect(await watcher.lrange(`${key}:queued`, 0, -1)).toEqual([]);
  }, 60_000);
});

describe('two hosts with different task sets, the server restarted with its data lost (the hosts\' directory with it)', () => {
  const queue = 'restart-directory';
  let reactor: Reactor;

  beforeAll(async () => {
    const only = (module: URL): Promise<RemoteWorker> =>
      runRemoteWorker({ connection, queue, imports: [module], concurrency: 1, onError: () => undefined });
    hosts.push(await only(remoteFixtureModule)); // serves the fixtures only
    hosts.push(await only(new URL('./remote-review-tasks.js', remoteFixtureModule))); // serves the review fixtures only
    reactor = new Reactor({ remote: bullmqBackend({ connection, queue, reconcileMs: 200, onError: () => undefined }) });
    reactors.push(reactor);
  });

  it('a job taken by the host that does not serve its task goes back to the queue, for the host that does (never TaskNotFoundError)', async () => {
    await restart('nosave');
    // The review host busy (a job only it serves): the next review job can only be taken by the fixtures host.
    const blocker = reactor.deferToRemote(rv.startThenAwaitGo, socket, 'directory:blocker');
    await until(async () => blocker.called || (await watcher.llen('directory:blocker')) > 0, 'the blocker\'s start');
    expect(blocker.called ? await settled(blocker) : await watcher.lpop('directory:blocker')).toBe('started');
    const log = join(dir, 'directory.log');
    const d = reactor.deferToRemote(rv.appendRunRetried, log, 'ran');
    const firings = firingCounter(d);
    // Taken by the fixtures host (and given back) while the review host is busy: one look per round trip.
    await until(async () => Number(await watcher.hget(`bull:${queue}:${(await watcher.zrange(`bull:${queue}:delayed`, 0, 0))[0] ?? 'none'}`, 'ats')) >= 1 || d.called, 'a give-back');
    await watcher.rpush('directory:blocker:go', 'go');
    await expect(blocker.asPromise()).resolves.toBe('go');
    expect(await settled(d)).toEqual({ ok: true, value: 'ran' });
    expect(firings.count).toBe(1);
    expect(readFileSync(log, 'utf8')).toBe('ran\n');
  }, 60_000);

  it('a task no live host serves still errbacks TaskNotFoundError, once the hosts have advertised their tasks again', async () => {
    await restart('nosave');
    const unserved = defineTask(new URL('./nowhere.js', remoteFixtureModule).href, 'nowhere', (): number => 1);
    const d = reactor.deferToRemote(unserved);
    const firings = firingCounter(d);
    expect(await failureOf(d)).toBeInstanceOf(TaskNotFoundError);
    expect(firings.count).toBe(1);
  }, 60_000);
});
