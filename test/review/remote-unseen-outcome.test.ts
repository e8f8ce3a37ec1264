/**
 * Adversarial tests of a call that ends while its job has already completed on its host but the caller has not seen
 * it yet (its event lost, the reconcile poll not yet run): SPEC §11, each Deferred fires exactly once — the cancel's
 * `CancelledError` or the limit's `TimeoutError`, never the late outcome as well — and nothing of the job is left in
 * Redis once the reactor stopped. Against a real redis-server, an in-process host, and backends that drop every
 * event and poll only once a minute (so the outcome stays unseen for as long as the test needs).
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Deferred } from '../../src/deferred/deferred.js';
import { CancelledError, TimeoutError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend } from '../../src/remote-bullmq/index.js';
import { Clock } from '../../src/time/clock.js';
import { defineTask } from '../../src/task/task.js';
import * as fx from '../fixtures/remote-tasks.js';
import { firingCounter } from '../helpers/deferred-results.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { nextWord, startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';

const queue = 'unseen';
let bed: RemoteTestBed;

beforeAll(async () => {
  bed = await startRemoteTestBed(queue);
});

afterAll(() => bed?.stop());

/** A reactor (on `clock`, if given) whose backend never sees its jobs end. */
function blindReactor(clock?: Clock): Reactor {
  return new Reactor({
    ...(clock === undefined ? {} : { clock }),
    remote: bullmqBackend({ connection: bed.redis.connection, queue, reconcileMs: 60_000, faults: { dropEvents: true } }),
  });
}

/** Waits until the queue holds `n` completed jobs (one round trip to the server per look). */
async function completedJobs(n: number): Promise<void> {
  for (let looks = 0; (await bed.watcher.zcard(`bull:${queue}:completed`)) < n; looks++) {
    if (looks > 10_000) throw new Error(`the queue never held ${n} completed jobs`);
  }
}

describe('a remote call whose job completed unseen', () => {
  it('cancelled: errbacks CancelledError once, and its job is removed from Redis', async () => {
    const reactor = blindReactor();
    const d = reactor.deferToRemote(fx.reportRun, bed.redis.socket, 'unseen:cancel', 'ran') as Deferred<unknown>;
    const firings = firingCounter(d);
    expect(await nextWord(bed.watcher, 'unseen:cancel')).toBe('ran');
    await completedJobs(1);
    d.cancel();
    expect(await failureOf(d)).toBeInstanceOf(CancelledError);
    await reactor.stop();
    expect(firings.count).toBe(1);
    expect(await bed.watcher.zcard(`bull:${queue}:completed`)).toBe(0);
    expect(await bed.watcher.keys(`bull:${queue}:gr-*`)).toEqual([]);
  });

  it('timed out: errbacks TimeoutError once, and its job is removed from Redis', async () => {
    const clock = new Clock();
    const reactor = blindReactor(clock);
    const limited = defineTask(fx.reportRun.moduleUrl, 'reportRun', fx.reportRun.fn!, { timeoutMs: 1000 });
    const d = reactor.deferToRemote(limited, bed.redis.socket, 'unseen:timeout', 'ran') as Deferred<unknown>;
    const firings = firingCounter(d);
    expect(await nextWord(bed.watcher, 'unseen:timeout')).toBe('ran');
    await completedJobs(1);
    clock.advance(1000);
    expect(await failureOf(d)).toBeInstanceOf(TimeoutError);
    await reactor.stop();
    expect(firings.count).toBe(1);
    expect(await bed.watcher.zcard(`bull:${queue}:completed`)).toBe(0);
    expect(await bed.watcher.keys(`bull:${queue}:gr-*`)).toEqual([]);
  });
});
