/**
 * Cancellation and time limits on the remote route: a queued job never runs, a running one's signal aborts on its
 * host, `timeoutMs` errbacks `TimeoutError` and stops the task on its host. One in-process host running one job at
 * a time, so "queued" is exact: a job waits while the host's only slot is busy.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { CancelledError, TimeoutError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import * as fx from '../fixtures/remote-tasks.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { nextWord, startRemoteTestBed, type RemoteTestBed, type TestRedis } from '../helpers/redis-server.js';

let bed: RemoteTestBed;
let redis: TestRedis;
let reactor: Reactor;
let watcher: Redis;

beforeAll(async () => {
  bed = await startRemoteTestBed('cancel', { host: { concurrency: 1, cancelGraceMs: 500 } });
  ({ redis, reactor, watcher } = bed);
});

afterAll(() => bed?.stop());

/** Occupies the host's only slot until the returned function cancels it. */
async function occupyHost(key: string): Promise<() => Promise<void>> {
  const blocker = reactor.deferToRemote(fx.waitForAbort, redis.socket, key);
  expect(await nextWord(watcher, key)).toBe('started');
  return async () => {
    blocker.cancel();
    await failureOf(blocker);
    expect(await nextWord(watcher, key)).toMatch(/^aborted:/);
  };
}

describe('cancel() of a remote call', () => {
  it('of a queued job: errbacks CancelledError at once and the task never runs', async () => {
    const release = await occupyHost('queued:blocker');
    const queued = reactor.deferToRemote(fx.reportRun, redis.socket, 'queued:runs', 'cancelled-one');
    queued.cancel();
    expect(queued.called).toBe(true);
    expect(await failureOf(queued)).toBeInstanceOf(CancelledError);
    await release();
    // The host takes jobs in order: had the cancelled job run, its word would come before this one's.
    await reactor.deferToRemote(fx.reportRun, redis.socket, 'queued:runs', 'marker').asPromise();
    expect(await nextWord(watcher, 'queued:runs')).toBe('marker');
  });

  it("of a running job: errbacks at once and the host aborts the task's signal within 1 s", async () => {
    const running = reactor.deferToRemote(fx.waitForAbort, redis.socket, 'running:words');
    expect(await nextWord(watcher, 'running:words')).toBe('started');
    const cancelledAt = Date.now();
    running.cancel();
    expect(running.called).toBe(true);
    expect(await failureOf(running)).toBeInstanceOf(CancelledError);
    const aborted = await nextWord(watcher, 'running:words');
    const abortedAt = Number(aborted.slice('aborted:'.length));
    expect(abortedAt - cancelledAt).toBeLessThan(1000);
    expect(reactor.stats().remote!.cancelled).toBeGreaterThanOrEqual(1);
  });
});

/**
 * The limit of a call that must start on its host before its time runs out (then be stopped there). A host never
 * starts a job past its deadline, so the limit must cover the job's pick-up on a loaded machine: 300 ms did not at
 * load 13 (the deadline passed before the host took the job, the task never ran, and the test waited for it in vain).
 */
const startsInTimeMs = 2_000;

describe('timeoutMs of a remote task', () => {
  it('errbacks TimeoutError and stops the task on its host (cancelled() turns true in its CPU loop)', async () => {
    const limited = defineTask(fx.spinUntilCancelled.moduleUrl, 'spinUntilCancelled', fx.spinUntilCancelled.fn!, { timeoutMs: startsInTimeMs });
    const d = reactor.deferToRemote(limited, redis.socket, 'timeout:words');
    expect(await nextWord(watcher, 'timeout:words')).toBe('started');
    expect(await failureOf(d)).toBeInstanceOf(TimeoutError);
    expect(await nextWord(watcher, 'timeout:words')).toBe('stopped:true');
    expect(reactor.stats().remote!.timedOut).toBeGreaterThanOrEqual(1);
  });

  it('never runs a task whose time ran out while it waited for a host', async () => {
    const release = await occupyHost('deadline:blocker');
    const limited = defineTask(fx.reportRun.moduleUrl, 'reportRun', fx.reportRun.fn!, { timeoutMs: 50 });
    expect(await failureOf(reactor.deferToRemote(limited, redis.socket, 'deadline:runs', 'late-one'))).toBeInstanceOf(TimeoutError);
    await release();
    await reactor.deferToRemote(fx.reportRun, redis.socket, 'deadline:runs', 'marker').asPromise();
    expect(await nextWord(watcher, 'deadline:runs')).toBe('marker');
  });
});

describe('reactor.withDeadline on the remote route (SPEC §10)', () => {
  it('errbacks TimeoutError when the scope ends and stops the task on its host', async () => {
    const d = reactor.withDeadline(startsInTimeMs, () => reactor.deferToRemote(fx.spinUntilCancelled, redis.socket, 'scope:words'));
    expect(await nextWord(watcher, 'scope:words')).toBe('started');
    const error = await failureOf(d);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toMatch(/deadline of its withDeadline scope/);
    expect(await nextWord(watcher, 'scope:words')).toBe('stopped:true');
  });

  it('never sends a task dispatched after the scope ended', async () => {
    const late = await reactor.withDeadline(0, async () => {
      await Promise.resolve();
      return { d: reactor.deferToRemote(fx.reportRun, redis.socket, 'scope:runs', 'late-one') };
    });
    expect(late.d.called).toBe(true);
    expect(await failureOf(late.d)).toBeInstanceOf(TimeoutError);
    await reactor.deferToRemote(fx.reportRun, redis.socket, 'scope:runs', 'marker').asPromise();
    expect(await nextWord(watcher, 'scope:runs')).toBe('marker');
  });
});

describe('deadline() and waiting for a host under reactor.withDeadline (SPEC §10)', () => {
  it('gives the task the scope\'s deadline, which deadline() reads on its host', async () => {
    // Bounded by the clock read before the scope opened and after the call was made, not by a tolerance: a loaded
    // machine may deschedule the test between two reads for longer than any small tolerance.
    const before = Date.now();
    const d = reactor.withDeadline(10_000, () => reactor.deferToRemote(fx.readDeadline));
    const after = Date.now();
    const seen = (await d.asPromise()) as number;
    expect(seen).toBeGreaterThanOrEqual(before + 10_000);
    expect(seen).toBeLessThanOrEqual(after + 10_000);
  });

  it('takes the earlier of the task\'s timeoutMs and the time left in the scope', async () => {
    const limited = defineTask(fx.readDeadline.moduleUrl, 'readDeadline', fx.readDeadline.fn!, { timeoutMs: 8000 });
    const before = Date.now();
    const d = reactor.withDeadline(60_000, () => reactor.deferToRemote(limited));
    const after = Date.now();
    const seen = (await d.asPromise()) as number;
    expect(seen).toBeGreaterThanOrEqual(before + 8000);
    expect(seen).toBeLessThanOrEqual(after + 8000);
  });

  it('errbacks TimeoutError when the scope ends, and a task whose deadline passed while it waited for a host never runs', async () => {
    const release = await occupyHost('scope-wait:blocker');
    const late = reactor.withDeadline(50, () => reactor.deferToRemote(fx.reportRun, redis.socket, 'scope-wait:runs', 'late-one'));
    const error = await failureOf(late);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toMatch(/withDeadline/);
    await release();
    await reactor.deferToRemote(fx.reportRun, redis.socket, 'scope-wait:runs', 'marker').asPromise();
    expect(await nextWord(watcher, 'scope-wait:runs')).toBe('marker');
  });
});
