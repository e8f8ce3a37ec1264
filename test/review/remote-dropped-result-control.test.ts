/**
 * Adversarial tests of a remote call that the caller cancels, or whose limit passes, while its job runs on a host
 * that then finishes the task anyway (its task ignores its signal). SPEC §3 and §11: the late result is dropped
 * silently — the Deferred fired once, with the cancel or the timeout; no unhandled-error report, no `onError`
 * report on either side, no escape — the host goes on serving, and nothing of the dropped job is left in Redis (no
 * key per dropped call piling up). Against a real redis-server and an in-process host with one slot, whose cancel
 * grace is long (the task's thread is never terminated: it really finishes), so the next call's run proves the
 * dropped task ended.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CancelledError, TimeoutError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend } from '../../src/remote-bullmq/index.js';
import { defineTask } from '../../src/task/task.js';
import * as rv from '../fixtures/remote-review-tasks.js';
import * as fx from '../fixtures/remote-tasks.js';
import { firingCounter } from '../helpers/deferred-results.js';
import { failureOf, watchUnhandled, type UnhandledWatch } from '../threads/thread-test-kit.js';
import { nextWord, remoteFixtureModule, startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';

const queue = 'dropped-result';
let bed: RemoteTestBed;
const hostReports: unknown[] = [];

beforeAll(async () => {
  bed = await startRemoteTestBed(queue, {
    host: {
      concurrency: 1,
      cancelGraceMs: 600_000,
      imports: [remoteFixtureModule, new URL('./remote-review-tasks.js', remoteFixtureModule)],
      onError: (error) => hostReports.push(error),
    },
  });
});

afterAll(() => bed?.stop());

/** A reactor of its own (its stop settles the backend's removals), reporting into `reports`. */
function newReactor(reports: unknown[]): Reactor {
  return new Reactor({ remote: bullmqBackend({ connection: bed.redis.connection, queue, reconcileMs: 200, onError: (error) => reports.push(error) }) });
}

/** The keys of `queue` that belong to one call's job (its hash, its cancel key…): BullMQ's own keys excluded. */
async function jobKeysLeft(): Promise<string[]> {
  return (await bed.watcher.keys(`bull:${queue}:*gr-*`)).sort();
}

/** Runs `attack` with a fresh reactor and an unhandled-failure watch; checks what must hold after every attack. */
async function attacked(attack: (reactor: Reactor) => Promise<void>): Promise<void> {
  const reports: unknown[] = [];
  const watch: UnhandledWatch = watchUnhandled();
  const reactor = newReactor(reports);
  try {
    await attack(reactor);
    // The host goes on serving (its one slot is free again only once the dropped task returned in its thread).
    await expect(reactor.deferToRemote(fx.add, 2, 3).asPromise()).resolves.toBe(5);
  } finally {
    await reactor.stop();
  }
  await watch.settle();
  watch.stop();
  expect({ reported: watch.reported, escaped: watch.escaped, reports, hostReports }).toEqual({ reported: [], escaped: [], reports: [], hostReports: [] });
  expect(await jobKeysLeft()).toEqual([]);
}

describe('a remote call dropped by its caller while its host runs it, then finishes it', () => {
  it('cancel(): fires once with CancelledError, drops the late result silently and leaves no key of the job in Redis', async () => {
    await attacked(async (reactor) => {
      const d = reactor.deferToRemote(rv.startThenAwaitGo, bed.redis.socket, 'cancel:words');
      const firings = firingCounter(d);
      expect(await nextWord(bed.watcher, 'cancel:words')).toBe('started');
      d.cancel();
      expect(await failureOf(d)).toBeInstanceOf(CancelledError);
      await bed.watcher.rpush('cancel:words:go', 'late result');
      await expect(reactor.deferToRemote(fx.reportRun, bed.redis.socket, 'cancel:runs', 'next').asPromise()).resolves.toBe('next');
      expect(firings.count).toBe(1);
    });
  });

  it('timeoutMs: fires once with TimeoutError, drops the late result silently and leaves no key of the job in Redis', async () => {
    const limited = defineTask(rv.startThenAwaitGo.moduleUrl, 'startThenAwaitGo', rv.startThenAwaitGo.fn!, { timeoutMs: 2_000 });
    await attacked(async (reactor) => {
      const d = reactor.deferToRemote(limited, bed.redis.socket, 'timeout:words');
      const firings = firingCounter(d);
      expect(await nextWord(bed.watcher, 'timeout:words')).toBe('started');
      expect(await failureOf(d)).toBeInstanceOf(TimeoutError);
      await bed.watcher.rpush('timeout:words:go', 'late result');
      await expect(reactor.deferToRemote(fx.reportRun, bed.redis.socket, 'timeout:runs', 'next').asPromise()).resolves.toBe('next');
      expect(firings.count).toBe(1);
    });
  });

  it('cancel() in the same turn as the task finishes, ten times: each fires once with CancelledError, nothing left in Redis', async () => {
    await attacked(async (reactor) => {
      for (let i = 0; i < 10; i++) {
        const key = `race:${i}`;
        const d = reactor.deferToRemote(rv.startThenAwaitGo, bed.redis.socket, key);
        const firings = firingCounter(d);
        expect(await nextWord(bed.watcher, key)).toBe('started');
        // The result and the cancel race: whichever reaches the host first, the caller keeps the cancel.
        const go = bed.watcher.rpush(`${key}:go`, 'late result');
        d.cancel();
        await go;
        expect(await failureOf(d)).toBeInstanceOf(CancelledError);
        expect(firings.count).toBe(1);
      }
    });
  });
});
