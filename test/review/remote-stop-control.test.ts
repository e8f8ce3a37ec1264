/**
 * Adversarial tests of stopping the remote route with calls in every state at once: queued behind a busy host,
 * running, finishing in the very turn the stop begins, and just dispatched. SPEC §11: `stop()` errbacks what is
 * pending after `graceMs` with `ReactorStoppedError` (its hosts abort it), every Deferred fires exactly once, no
 * job runs twice, `stop()` ends and leaves no handle (this file runs under `--detectOpenHandles`);
 * and a host closed with a job running lets it finish (its caller gets the result) and then ends. Against a real
 * redis-server and in-process hosts.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Deferred } from '../../src/deferred/deferred.js';
import { ReactorStoppedError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, runRemoteWorker } from '../../src/remote-bullmq/index.js';
import * as rv from '../fixtures/remote-review-tasks.js';
import * as fx from '../fixtures/remote-tasks.js';
import { firingCounter } from '../helpers/deferred-results.js';
import { settled, watchUnhandled } from '../threads/thread-test-kit.js';
import { nextWord, remoteFixtureModule, startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';

const queue = 'stop-control';
const imports = [remoteFixtureModule, new URL('./remote-review-tasks.js', remoteFixtureModule)];
let bed: RemoteTestBed;
const hostReports: unknown[] = [];

beforeAll(async () => {
  bed = await startRemoteTestBed(queue, { host: { concurrency: 2, cancelGraceMs: 200, imports, onError: (error) => hostReports.push(error) } });
});

afterAll(() => bed?.stop());

function newReactor(reports: unknown[]): Reactor {
  return new Reactor({ remote: bullmqBackend({ connection: bed.redis.connection, queue, reconcileMs: 200, onError: (error) => reports.push(error) }) });
}

/** What each Deferred fired with: a value, or its error's class name. */
async function outcomes(ds: ReadonlyArray<Deferred<unknown>>): Promise<unknown[]> {
  return Promise.all(ds.map(async (d) => {
    const o = await settled(d);
    return o.ok ? o.value : (o.error as Error).name;
  }));
}

describe('reactor.stop() with remote calls queued, running and finishing at once', () => {
  it.each([0, 300])('with graceMs %i: every Deferred fires once (its result or ReactorStoppedError), no job runs twice, stop() ends, the host aborts and serves on', async (graceMs) => {
    const reports: unknown[] = [];
    const watch = watchUnhandled();
    const reactor = newReactor(reports);
    const key = `stop-${graceMs}`;
    // The host's two slots: one task that ends only when aborted, one that ends when told to.
    const blocked = reactor.deferToRemote(fx.waitForAbort, bed.redis.socket, `${key}:blocked`);
    expect(await nextWord(bed.watcher, `${key}:blocked`)).toBe('started');
    const finishing = reactor.deferToRemote(rv.startThenAwaitGo, bed.redis.socket, `${key}:finishing`);
    expect(await nextWord(bed.watcher, `${key}:finishing`)).toBe('started');
    // Queued behind them (enqueued: each reaches Redis before the stop), and some just dispatched.
    const queued = Array.from({ length: 5 }, (_, i) => reactor.deferToRemote(fx.reportRun, bed.redis.socket, `${key}:runs`, `queued-${i}`));
    // Each round trip a turn: the five adds are in Redis (waiting) once the queue's wait list holds them.
    while ((await bed.watcher.llen(`bull:${queue}:wait`)) < queued.length) await bed.watcher.ping();
    const fresh = Array.from({ length: 5 }, (_, i) => reactor.deferToRemote(fx.reportRun, bed.redis.socket, `${key}:runs`, `fresh-${i}`));
    const all = [blocked, finishing, ...queued, ...fresh];
    const firings = all.map((d) => firingCounter(d));
    const go = bed.watcher.rpush(`${key}:finishing:go`, 'finished');
    const stopped = reactor.stop({ graceMs });
    const late = reactor.deferToRemote(fx.add, 1, 1);
    await go;
    await stopped;
    const seen = await outcomes(all);
    // Each fired with its own result (it ended within the grace: the finishing one frees a slot, and a queued job may
    // take it) or ReactorStoppedError; the blocked one cannot end by itself.
    const words = ['finished', ...queued.map((_, i) => `queued-${i}`), ...fresh.map((_, i) => `fresh-${i}`)];
    expect(seen[0]).toBe('ReactorStoppedError');
    seen.slice(1).forEach((outcome, i) => expect([words[i], 'ReactorStoppedError']).toContain(outcome));
    if (graceMs === 0) expect(seen.slice(2)).toEqual(Array(10).fill('ReactorStoppedError'));
    expect(await settled(late)).toMatchObject({ ok: false, error: expect.any(ReactorStoppedError) });
    expect(firings.map((f) => f.count)).toEqual(Array(all.length).fill(1));
    // The host aborted the blocked task and serves on; no stopped queued job ever ran.
    expect(await nextWord(bed.watcher, `${key}:blocked`)).toMatch(/^aborted:/);
    const after = newReactor(reports);
    try {
      await expect(after.deferToRemote(fx.reportRun, bed.redis.socket, `${key}:runs`, 'marker').asPromise()).resolves.toBe('marker');
    } finally {
      await after.stop();
    }
    // A job runs at most once, and a call that got its word ran it; a stopped one ran only if a host had taken its job
    // when the stop came (a running job: aborted, its outcome dropped), never after.
    const runs = await bed.watcher.lrange(`${key}:runs`, 0, -1);
    expect(runs.at(-1)).toBe('marker');
    expect(new Set(runs).size).toBe(runs.length);
    expect(runs).toEqual(expect.arrayContaining(seen.slice(2).filter((outcome) => outcome !== 'ReactorStoppedError')));
    await watch.settle();
    watch.stop();
    expect({ reported: watch.reported, escaped: watch.escaped, reports, hostReports }).toEqual({ reported: [], escaped: [], reports: [], hostReports: [] });
  }, 60_000);
});

describe('host.close() with a job running', () => {
  it('lets the running task finish (its caller gets the result), takes no new job, then ends', async () => {
    const reports: unknown[] = [];
    const closing = await runRemoteWorker({ connection: bed.redis.connection, queue: 'stop-host', imports, concurrency: 1, onError: (error) => reports.push(error) });
    const reactor = new Reactor({ remote: bullmqBackend({ connection: bed.redis.connection, queue: 'stop-host', reconcileMs: 200, onError: (error) => reports.push(error) }) });
    let other: Awaited<ReturnType<typeof runRemoteWorker>> | undefined;
    try {
      const running = reactor.deferToRemote(rv.startThenAwaitGo, bed.redis.socket, 'host:finishing');
      expect(await nextWord(bed.watcher, 'host:finishing')).toBe('started');
      const closed = closing.close();
      const next = reactor.deferToRemote(fx.reportRun, bed.redis.socket, 'host:runs', 'after-close');
      await bed.watcher.rpush('host:finishing:go', 'finished');
      await closed;
      await expect(running.asPromise()).resolves.toBe('finished');
      // The closed host never took the next job: a new host does.
      other = await runRemoteWorker({ connection: bed.redis.connection, queue: 'stop-host', imports, concurrency: 1, onError: (error) => reports.push(error) });
      await expect(next.asPromise()).resolves.toBe('after-close');
      expect(await bed.watcher.lrange('host:runs', 0, -1)).toEqual(['after-close']);
    } finally {
      await reactor.stop();
      await other?.close();
    }
    expect(reports).toEqual([]);
  }, 60_000);
});
