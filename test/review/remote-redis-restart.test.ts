/**
 * Adversarial tests of a Redis server restarted on the same socket while remote calls are queued, running and being
 * cancelled — with its data lost (`SHUTDOWN NOSAVE`) and kept (`SHUTDOWN SAVE`, reloaded at start). SPEC §11: every
 * Deferred fires once, a lost job counts as a crash (`retries` re-sends it, else `WorkerCrashedError`), a kept one
 * completes, nothing hangs, and `stop()` / `close()` end. The outage is shorter than `unreachableMs` (10 s by
 * default), so the backend and the host ride it out. Against a real redis-server (stopped and started by this file)
 * and an in-process host taking one job at a time.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Deferred } from '../../src/deferred/deferred.js';
import { CancelledError, ReactorStoppedError, WorkerCrashedError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, runRemoteWorker, type RemoteWorker } from '../../src/remote-bullmq/index.js';
import { defineTask } from '../../src/task/task.js';
import * as rv from '../fixtures/remote-review-tasks.js';
import * as fx from '../fixtures/remote-tasks.js';
import { firingCounter } from '../helpers/deferred-results.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { nextWord, ready, remoteFixtureModule } from '../helpers/redis-server.js';

const dir = mkdtempSync(join(tmpdir(), 'greenreactor-restart-'));
const socket = join(dir, 'redis.sock');
const connection = { path: socket };
let server: ChildProcess;
let watcher: Redis;
const hosts: RemoteWorker[] = [];
const reactors: Reactor[] = [];

/** Starts redis-server on the file's socket and folder (it loads dump.rdb when a SHUTDOWN SAVE left one). */
async function startServer(): Promise<void> {
  server = spawn(
    process.env.REDIS_SERVER ?? 'redis-server',
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await ready(server);
}

/** Shuts the server down, keeping its data for the next start (dump.rdb) or not, and waits for it to exit. */
async function shutdown(keep: boolean): Promise<void> {
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const admin = new Redis({ path: socket, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  await admin.call('SHUTDOWN', keep ? 'SAVE' : 'NOSAVE').catch(() => undefined); // the server closes the connection
  admin.disconnect();
  await exited;
  if (!keep) rmSync(join(dir, 'dump.rdb'), { force: true });
}

async function restart(keep: boolean): Promise<void> {
  await shutdown(keep);
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

/** A host taking one job at a time on `queue` (giving up on a server gone for `unreachableMs`), and a reactor calling it. */
async function serve(queue: string, unreachableMs = 10_000): Promise<Reactor> {
  hosts.push(
    await runRemoteWorker({ connection, queue, imports: [remoteFixtureModule, new URL('./remote-review-tasks.js', remoteFixtureModule)], unreachableMs, onError: () => undefined }),
  );
  const reactor = new Reactor({ remote: bullmqBackend({ connection, queue, reconcileMs: 200, onError: () => undefined }) });
  reactors.push(reactor);
  return reactor;
}

const retriedAwait = defineTask(rv.startThenAwaitGo.moduleUrl, 'startThenAwaitGo', rv.startThenAwaitGo.fn!, { retries: 1 });

describe('a Redis server restarted with its data lost, while calls run and wait', () => {
  it('re-sends the running call with retries (it completes), errbacks the queued ones WorkerCrashedError, each once, and serves new calls', async () => {
    const reactor = await serve('restart-lost');
    const running = reactor.deferToRemote(retriedAwait, socket, 'lost:running');
    expect(await nextWord(watcher, 'lost:running')).toBe('started');
    const queued = [1, 2, 3].map((i) => reactor.deferToRemote(fx.reportRun, socket, 'lost:queued', `q${i}`) as Deferred<unknown>);
    const firings = [running, ...queued].map((d) => firingCounter(d));
    await restart(false);
    // Ends the first run (its job is gone: its result is dropped), then the re-sent one.
    await watcher.rpush('lost:running:go', 'first', 'second');
    await expect(running.asPromise()).resolves.toMatch(/^(first|second)$/);
    for (const d of queued) expect(await failureOf(d)).toBeInstanceOf(WorkerCrashedError);
    expect(reactor.stats().remote!.retried).toBe(1);
    expect(firings.map((f) => f.count)).toEqual([1, 1, 1, 1]);
    expect(await watcher.lrange('lost:queued', 0, -1)).toEqual([]);
    await expect(reactor.deferToRemote(fx.add, 2, 3).asPromise()).resolves.toBe(5);
  });

  it('a call cancelled while the server is down errbacks CancelledError at once, never runs after the restart, and the route serves again', async () => {
    const reactor = await serve('restart-cancel');
    const running = reactor.deferToRemote(rv.startThenAwaitGo, socket, 'cancel:running');
    expect(await nextWord(watcher, 'cancel:running')).toBe('started');
    const queued = reactor.deferToRemote(fx.reportRun, socket, 'cancel:queued', 'ran');
    await shutdown(true);
    queued.cancel();
    expect(queued.called).toBe(true);
    expect(await failureOf(queued)).toBeInstanceOf(CancelledError);
    await startServer();
    await watcher.rpush('cancel:running:go', 'went');
    await expect(running.asPromise()).resolves.toBe('went');
    await expect(reactor.deferToRemote(fx.reportRun, socket, 'cancel:queued', 'marker').asPromise()).resolves.toBe('marker');
    expect(await watcher.lrange('cancel:queued', 0, -1)).toEqual(['marker']);
  });
});

describe('a Redis server restarted with its data kept, while calls run and wait', () => {
  it('delivers the running call and runs the queued ones, each once, without a retry', async () => {
    const reactor = await serve('restart-kept');
    const running = reactor.deferToRemote(retriedAwait, socket, 'kept:running');
    expect(await nextWord(watcher, 'kept:running')).toBe('started');
    const queued = [1, 2, 3].map((i) => reactor.deferToRemote(fx.reportRun, socket, 'kept:queued', `q${i}`) as Deferred<unknown>);
    const firings = [running, ...queued].map((d) => firingCounter(d));
    await restart(true);
    await watcher.rpush('kept:running:go', 'went');
    await expect(running.asPromise()).resolves.toBe('went');
    expect(await Promise.all(queued.map((d) => d.asPromise()))).toEqual(['q1', 'q2', 'q3']);
    expect(reactor.stats().remote!.retried).toBe(0);
    expect(firings.map((f) => f.count)).toEqual([1, 1, 1, 1]);
  });
});

describe('stop() and close() while BullMQ reconnects to a server that is down', () => {
  it('stop() ends, errbacking the running and the queued call ReactorStoppedError once each, and the host close() ends, before the server is back', async () => {
    const reactor = await serve('restart-stop', 2000);
    const host = hosts[hosts.length - 1]!;
    const running = reactor.deferToRemote(rv.startThenAwaitGo, socket, 'stop:running');
    expect(await nextWord(watcher, 'stop:running')).toBe('started');
    const queued = reactor.deferToRemote(fx.reportRun, socket, 'stop:queued', 'ran');
    const firings = [running, queued].map((d) => firingCounter(d as Deferred<unknown>));
    await shutdown(false);
    await reactor.stop({ graceMs: 0 });
    expect(await failureOf(running)).toBeInstanceOf(ReactorStoppedError);
    expect(await failureOf(queued)).toBeInstanceOf(ReactorStoppedError);
    // The server is gone: the host aborts its running job (its result could not be saved) and ends at once.
    await host.close();
    await startServer();
    expect(firings.map((f) => f.count)).toEqual([1, 1]);
    expect(await watcher.lrange('stop:queued', 0, -1)).toEqual([]);
  });
});
