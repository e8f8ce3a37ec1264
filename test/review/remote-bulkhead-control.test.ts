/**
 * A rule's bulkhead (`maxConcurrent`, SPEC §7: at most N at a time) on the BullMQ backend: a remote call cancelled
 * while its job runs fails at once, but keeps its place until its job's answer comes (`RemoteBackend.whenJobEnds`),
 * learned from the job's event, the reconcile poll, or the backend's close — never held for ever, never freed twice.
 *
 * Found: the BullMQ backend did not implement `whenJobEnds`, so a cancelled call freed its place as its Deferred
 * failed, and the next waiting call's job could run beside the first one's on a host that had not heard the abort
 * yet. Against a real redis-server and an in-process host of concurrency 2 (room for both jobs at once).
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CancelledError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, type BullmqBackendOptions } from '../../src/remote-bullmq/index.js';
import * as fx from '../fixtures/remote-tasks.js';
import { failureOf, settled } from '../threads/thread-test-kit.js';
import { nextWord, startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';

const queue = 'bulkhead';
let bed: RemoteTestBed;

beforeAll(async () => {
  bed = await startRemoteTestBed(queue, { host: { concurrency: 2, cancelGraceMs: 200 } });
});

afterAll(() => bed?.stop());

function reactorWith(backend: Partial<BullmqBackendOptions>): Reactor {
  return new Reactor({
    remote: bullmqBackend({ connection: bed.redis.connection, queue, reconcileMs: 200, ...backend }),
    policy: { rules: [{ name: 'one', match: { task: 'waitForAbort' }, route: 'remote', maxConcurrent: 1 }] },
  });
}

/** Waits (one round trip to the server per look) until `check` holds; the 20 s bound only guards against a hang. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const giveUp = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > giveUp) throw new Error(`never: ${what}`);
    await bed.watcher.ping();
  }
}

describe('a remote call in a bulkhead, cancelled while its job runs', () => {
  it('keeps its place while the backend has not learned that its job ended (its events lost, no poll yet)', async () => {
    const reactor = reactorWith({ reconcileMs: 60_000, faults: { dropEvents: true } });
    try {
      const first = reactor.dispatch(fx.waitForAbort, bed.redis.socket, 'bh:held:first');
      expect(await nextWord(bed.watcher, 'bh:held:first')).toBe('started');
      const second = reactor.dispatch(fx.waitForAbort, bed.redis.socket, 'bh:held:second');
      first.cancel();
      expect(await failureOf(first)).toBeInstanceOf(CancelledError);
      // The host heard the abort and its job completed in Redis; the caller has not seen it.
      expect(await nextWord(bed.watcher, 'bh:held:first')).toMatch(/^aborted:/);
      await until(async () => (await bed.watcher.zcard(`bull:${queue}:completed`)) === 1, 'the first job completed');
      expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 1 });
      expect(await bed.watcher.llen('bh:held:second')).toBe(0);
      // The stop gives up on the job: the place frees, and the waiting call ends.
      await reactor.stop({ graceMs: 0 });
      expect((await settled(second)).ok).toBe(false);
      expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 0, waiting: 0 });
    } finally {
      await reactor.stop({ graceMs: 0 });
    }
  }, 60_000);

  it.each([
    ['its completion event', {}],
    ['the reconcile poll (events lost)', { faults: { dropEvents: true } }],
  ])('frees its place once the job ended, learned from %s: the next call runs', async (_how, options: Partial<BullmqBackendOptions>) => {
    const key = `bh:freed:${Object.keys(options).length}`;
    const reactor = reactorWith(options);
    try {
      const first = reactor.dispatch(fx.waitForAbort, bed.redis.socket, `${key}:first`);
      expect(await nextWord(bed.watcher, `${key}:first`)).toBe('started');
      const second = reactor.dispatch(fx.waitForAbort, bed.redis.socket, `${key}:second`);
      first.cancel();
      expect(await failureOf(first)).toBeInstanceOf(CancelledError);
      expect(await nextWord(bed.watcher, `${key}:second`)).toBe('started');
      expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 0 });
      second.cancel();
      await failureOf(second);
      await until(async () => reactor.stats().policy.bulkheads['one']?.inFlight === 0, 'the second place freed');
    } finally {
      await reactor.stop({ graceMs: 0 });
    }
  }, 60_000);

  it('cancelled while queued (its job removed, never run): frees its place at once', async () => {
    const reactor = reactorWith({});
    const blocker = new Reactor({ remote: bullmqBackend({ connection: bed.redis.connection, queue, reconcileMs: 200 }) });
    try {
      // The host's two slots taken, so the first call's job waits in the queue.
      const busy = [blocker.deferToRemote(fx.waitForAbort, bed.redis.socket, 'bh:q:b1'), blocker.deferToRemote(fx.waitForAbort, bed.redis.socket, 'bh:q:b2')];
      expect(await nextWord(bed.watcher, 'bh:q:b1')).toBe('started');
      expect(await nextWord(bed.watcher, 'bh:q:b2')).toBe('started');
      const first = reactor.dispatch(fx.waitForAbort, bed.redis.socket, 'bh:q:first');
      await until(async () => (await bed.watcher.llen(`bull:${queue}:wait`)) === 1, 'the first job is queued');
      const second = reactor.dispatch(fx.waitForAbort, bed.redis.socket, 'bh:q:second');
      first.cancel();
      await failureOf(first);
      await until(async () => reactor.stats().policy.bulkheads['one']?.waiting === 0, 'the second call left the queue');
      for (const d of busy) d.cancel();
      expect(await nextWord(bed.watcher, 'bh:q:second')).toBe('started');
      expect(await bed.watcher.llen('bh:q:first')).toBe(0);
      second.cancel();
      await Promise.all([...busy, second].map(settled));
    } finally {
      await reactor.stop({ graceMs: 0 });
      await blocker.stop({ graceMs: 0 });
    }
  }, 60_000);
});
