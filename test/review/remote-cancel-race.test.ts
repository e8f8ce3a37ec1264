/**
 * Adversarial tests of cancelling a remote call around its enqueue: cancelled before the backend connected (its
 * `add` not sent yet) or while the `add` is in flight. SPEC §11: a cancelled queued job never runs; and the
 * backend's invariant that nothing piles up in Redis (a finished job is removed, not left for BullMQ's one-hour
 * cleanup). Against a real redis-server and an in-process host taking one job at a time (so a marker dispatched
 * last runs after every earlier job was taken).
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CancelledError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend } from '../../src/remote-bullmq/index.js';
import * as fx from '../fixtures/remote-tasks.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';
import { nextTurn } from '../helpers/next-turn.js';

const queue = 'cancel-race';
let bed: RemoteTestBed;

beforeAll(async () => {
  bed = await startRemoteTestBed(queue, { host: { concurrency: 1 } });
});

afterAll(() => bed?.stop());

/** The keys of `queue` of one call's job still in Redis (its hash, its cancel key): BullMQ's own keys excluded. */
async function jobsLeft(): Promise<string[]> {
  return (await bed.watcher.keys(`bull:${queue}:*gr-*`)).sort();
}

describe('cancel() of a remote call around its enqueue', () => {
  it('never runs a call cancelled before or while its job was enqueued, and leaves no job of it in Redis', async () => {
    const reactor = new Reactor({ remote: bullmqBackend({ connection: bed.redis.connection, queue, reconcileMs: 200 }) });
    try {
      // Cancelled at once: the backend is still connecting, nothing was sent.
      const early = Array.from({ length: 20 }, (_, i) => reactor.deferToRemote(fx.reportRun, bed.redis.socket, 'race:runs', `early-${i}`));
      for (const d of early) d.cancel();
      // Cancelled one event-loop turn after dispatch, once connected: the add may be in flight.
      await reactor.deferToRemote(fx.add, 1, 1).asPromise();
      const inFlight = [];
      for (let i = 0; i < 20; i++) {
        const d = reactor.deferToRemote(fx.reportRun, bed.redis.socket, 'race:runs', `in-flight-${i}`);
        await nextTurn();
        d.cancel();
        inFlight.push(d);
      }
      for (const d of [...early, ...inFlight]) expect(await failureOf(d)).toBeInstanceOf(CancelledError);
      await expect(reactor.deferToRemote(fx.reportRun, bed.redis.socket, 'race:runs', 'marker').asPromise()).resolves.toBe('marker');
    } finally {
      await reactor.stop(); // settles the backend's removals
    }
    expect(await bed.watcher.lrange('race:runs', 0, -1)).toEqual(['marker']);
    expect(await jobsLeft()).toEqual([]);
  });
});
