/**
 * Adversarial control tests of the remote route on one queue: two reactors sharing it, `stop()` with jobs still
 * queued behind a busy host, and time limits racing completion. SPEC §11: each Deferred fires exactly once, a
 * cancelled (here: stopped) queued job never runs, nothing of one caller reaches another. Against a real
 * redis-server and an in-process host taking one job at a time (so a marker dispatched last runs after every
 * earlier job was taken).
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CancelledError, ReactorStoppedError, TimeoutError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend } from '../../src/remote-bullmq/index.js';
import { defineTask } from '../../src/task/task.js';
import * as fx from '../fixtures/remote-tasks.js';
import { firingCounter } from '../helpers/deferred-results.js';
import { settled, failureOf } from '../threads/thread-test-kit.js';
import { nextWord, startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';

const queue = 'shared';
let bed: RemoteTestBed;
const reactors: Reactor[] = [];

beforeAll(async () => {
  bed = await startRemoteTestBed(queue, { host: { concurrency: 1 } });
});

afterAll(async () => {
  await Promise.all(reactors.map((r) => r.stop({ graceMs: 0 })));
  await bed?.stop();
});

function newReactor(): Reactor {
  const r = new Reactor({ remote: bullmqBackend({ connection: bed.redis.connection, queue, reconcileMs: 200 }) });
  reactors.push(r);
  return r;
}

describe('two reactors on one queue', () => {
  it('each gets only its own results, and one stopping with a call queued leaves the other\'s calls to finish', async () => {
    const [a, b] = [newReactor(), newReactor()];
    const fromA = Array.from({ length: 20 }, (_, i) => a.deferToRemote(fx.add, i, 1000).asPromise());
    const fromB = Array.from({ length: 20 }, (_, i) => b.deferToRemote(fx.add, i, 2000).asPromise());
    expect(await Promise.all(fromA)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1000));
    expect(await Promise.all(fromB)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2000));
    // B's call runs; A's waits behind it; A stops.
    const running = b.deferToRemote(fx.waitForAbort, bed.redis.socket, 'shared:b-running');
    expect(await nextWord(bed.watcher, 'shared:b-running')).toBe('started');
    const queued = a.deferToRemote(fx.reportRun, bed.redis.socket, 'shared:runs', 'a-queued');
    await a.stop({ graceMs: 0 });
    expect(await failureOf(queued)).toBeInstanceOf(ReactorStoppedError);
    expect(running.called).toBe(false);
    running.cancel();
    expect(await failureOf(running)).toBeInstanceOf(CancelledError);
    expect(await nextWord(bed.watcher, 'shared:b-running')).toMatch(/^aborted:/);
    await expect(b.deferToRemote(fx.reportRun, bed.redis.socket, 'shared:runs', 'marker').asPromise()).resolves.toBe('marker');
    expect(await bed.watcher.lrange('shared:runs', 0, -1)).toEqual(['marker']);
    expect(b.stats().remote!.completed).toBe(21);
  });
});

describe('Reactor.stop() with remote jobs queued behind a busy host', () => {
  it('errbacks each ReactorStoppedError once, and none of them runs later', async () => {
    const r = newReactor();
    const blocker = r.deferToRemote(fx.waitForAbort, bed.redis.socket, 'stopq:blocker');
    expect(await nextWord(bed.watcher, 'stopq:blocker')).toBe('started');
    const queued = Array.from({ length: 5 }, (_, i) => r.deferToRemote(fx.reportRun, bed.redis.socket, 'stopq:runs', `queued-${i}`));
    const firings = [blocker, ...queued].map((d) => firingCounter(d));
    await r.stop({ graceMs: 0 });
    for (const d of [blocker, ...queued]) expect(await failureOf(d)).toBeInstanceOf(ReactorStoppedError);
    expect(await nextWord(bed.watcher, 'stopq:blocker')).toMatch(/^aborted:/);
    const other = newReactor();
    await expect(other.deferToRemote(fx.reportRun, bed.redis.socket, 'stopq:runs', 'marker').asPromise()).resolves.toBe('marker');
    expect(await bed.watcher.lrange('stopq:runs', 0, -1)).toEqual(['marker']);
    expect(firings.map((f) => f.count)).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe('timeoutMs racing completion', () => {
  it('fires each of 60 calls exactly once, as a result or TimeoutError, and the counters add up', async () => {
    const r = newReactor();
    await r.deferToRemote(fx.add, 0, 0).asPromise(); // connected: the races below are run against limit, not setup
    // One at a time (no queue wait): runs of 0-29 ms against limits of 2-32 ms, so some finish first, some time
    // out, and some land together.
    const outcomes = [];
    const firings = [];
    for (let i = 0; i < 60; i++) {
      const limited = defineTask(fx.sleepFor.moduleUrl, 'sleepFor', fx.sleepFor.fn!, { timeoutMs: 2 + ((i * 7) % 31) });
      const d = r.deferToRemote(limited, i % 30);
      firings.push(firingCounter(d));
      outcomes.push(await settled(d));
    }
    for (const [i, o] of outcomes.entries()) {
      if (o.ok) expect(o.value).toBe(i % 30);
      else expect(o.error).toBeInstanceOf(TimeoutError);
    }
    expect(firings.every((f) => f.count === 1)).toBe(true);
    const stats = r.stats().remote!;
    expect({ sum: stats.completed + stats.timedOut, failed: stats.failed, inFlight: stats.inFlight }).toEqual({ sum: 61, failed: 0, inFlight: 0 });
  });
});
