/**
 * Adversarial tests of a Redis server that stops answering while its connections stay open — paused with SIGSTOP,
 * as a hung server or a network partition that leaves TCP half-open looks to a client: no `close` event ever comes.
 * SPEC §11 and the backend's invariants: Redis out of reach never hangs a call, and `stop()` always ends. Against a
 * real redis-server (paused and resumed by this file) and an in-process host.
 *
 * @module
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { ReactorStoppedError, RemoteUnavailableError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, runRemoteWorker } from '../../src/remote-bullmq/index.js';
import { realTimeScheduler } from '../../src/time/real-time-scheduler.js';
import * as fx from '../fixtures/remote-tasks.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { firingCounter } from '../helpers/deferred-results.js';
import { nextWord, remoteFixtureModule, startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';

const unreachableMs = 400;
/** How long stop() may take with the server paused: unreachableMs, then the disconnect timeout, and slack for a loaded machine. */
const stopBoundMs = 10_000;
/**
 * The backends' and the host's connection: ioredis destroys a socket whose server never closes it after
 * `disconnectTimeout` (2 s by default, measured stop() 2.5 s with it); 200 ms keeps this file short.
 */
let connection: Record<string, unknown>;

let bed: RemoteTestBed;
let serverPid: number;
let reactor: Reactor | undefined;

beforeAll(async () => {
  bed = await startRemoteTestBed('pause', { host: { onError: () => undefined } });
  connection = { ...bed.redis.connection, disconnectTimeout: 200 };
  serverPid = Number(/process_id:(\d+)/.exec(await bed.watcher.info('server'))?.[1]);
  expect(serverPid).toBeGreaterThan(0);
});

afterEach(async () => {
  resume();
  await reactor?.stop({ graceMs: 0 });
  reactor = undefined;
});

afterAll(async () => {
  resume();
  await bed?.stop();
});

function pause(): void {
  process.kill(serverPid, 'SIGSTOP');
}

function resume(): void {
  if (serverPid > 0) process.kill(serverPid, 'SIGCONT');
}

function newReactor(queue = 'pause'): Reactor {
  reactor = new Reactor({ remote: bullmqBackend({ connection, queue, reconcileMs: 200, unreachableMs, onError: () => undefined }) });
  return reactor;
}

/** `p`, failing with TimeoutError instead of hanging past `ms`. */
function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  return Deferred.fromPromise(p).addTimeout(ms, realTimeScheduler).asPromise();
}

/** Starts a job that reports `started` and then takes 300 ms, and waits until its host runs it. */
async function runningCall(r: Reactor, key: string): Promise<{ call: Deferred<unknown> }> {
  const call = r.deferToRemote(fx.reportThenSleep, bed.redis.socket, key, 300) as Deferred<unknown>;
  expect(await nextWord(bed.watcher, key)).toBe('started');
  return { call }; // wrapped: awaiting a Deferred would wait for its result
}

describe('bullmqBackend with a Redis server that stops answering (paused, connections open)', () => {
  it('errbacks a running call RemoteUnavailableError once unreachableMs passed, fails new calls at once, and serves again once Redis answers', async () => {
    const r = newReactor();
    const { call } = await runningCall(r, 'pause:running');
    const firings = firingCounter(call);
    pause();
    const error = await failureOf(call);
    expect(error).toBeInstanceOf(RemoteUnavailableError);
    expect(error.message).toMatch(/did not answer for 400 ms/);
    const refused = r.deferToRemote(fx.add, 1, 2);
    expect(refused.called).toBe(true);
    expect(await failureOf(refused)).toBeInstanceOf(RemoteUnavailableError);
    resume();
    // Served again once the backend's unanswered probe gets its answer: each attempt fails at once until then; a
    // round trip of another client to the now running server separates attempts (no sleep).
    let value: unknown;
    for (let attempt = 0; value === undefined; attempt++) {
      const outcome = await r.deferToRemote(fx.add, 1, 2).asPromise().catch((e: unknown) => e);
      if (outcome instanceof RemoteUnavailableError && attempt < 200) await bed.watcher.ping();
      else value = outcome;
    }
    expect(value).toBe(3);
    expect(firings.count).toBe(1);
  });

  it('stop() ends while the server is paused, errbacking a running call ReactorStoppedError', async () => {
    const r = newReactor();
    const { call } = await runningCall(r, 'pause:stop-running');
    const firings = firingCounter(call);
    pause();
    await bounded(r.stop({ graceMs: 0 }), stopBoundMs);
    expect(await failureOf(call)).toBeInstanceOf(ReactorStoppedError);
    expect(firings.count).toBe(1);
  });

  it('stop() of an idle reactor ends while the server is paused', async () => {
    const r = newReactor();
    await expect(r.deferToRemote(fx.add, 2, 2).asPromise()).resolves.toBe(4);
    pause();
    await bounded(r.stop(), stopBoundMs);
  });
});

describe('runRemoteWorker with a Redis server that stops answering (paused, connections open)', () => {
  it("a host's close() ends while the server is paused, with a job running (its result cannot be saved)", async () => {
    const host = await runRemoteWorker({ connection, queue: 'pause-host', imports: [remoteFixtureModule], unreachableMs, onError: () => undefined });
    try {
      const r = newReactor('pause-host');
      const { call } = await runningCall(r, 'pause:host');
      pause();
      await bounded(Promise.all([host.close(), r.stop({ graceMs: 0 })]), stopBoundMs);
      expect(await failureOf(call)).toBeInstanceOf(ReactorStoppedError);
    } finally {
      resume();
      await host.close();
    }
  });
});
