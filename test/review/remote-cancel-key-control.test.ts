/**
 * A job's cancel key leaves Redis once no host can take the job any more, whoever is still there to see its end
 * (docs/remote.md: cancelled, timed-out and stopped calls leave no key in Redis).
 *
 * Found: a caller that aborts a job a host holds cannot remove it (BullMQ keeps a locked job), so it deleted the key
 * when the job's completion event came; a caller that stopped meanwhile never hears that event, and the key of every
 * job running when its caller stopped stayed in Redis for its hour. Against a real redis-server and an in-process
 * host.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ReactorStoppedError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend } from '../../src/remote-bullmq/index.js';
import * as fx from '../fixtures/remote-tasks.js';
import { settled } from '../threads/thread-test-kit.js';
import { nextWord, startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';

const queue = 'cancel-key';
let bed: RemoteTestBed;

beforeAll(async () => {
  bed = await startRemoteTestBed(queue, { host: { cancelGraceMs: 200 } });
});

afterAll(() => bed?.stop());

/** The queue's cancel keys now. */
function cancelKeys(): Promise<string[]> {
  return bed.watcher.keys(`bull:${queue}:greenreactor:cancelled:*`);
}

/** Waits (one round trip per look, with a bound against a hang) until `check` holds. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let looks = 0; !(await check()); looks++) {
    if (looks > 20_000) throw new Error(`never: ${what}`);
  }
}

describe('a job running when its caller stops, or is cancelled', () => {
  it('loses its cancel key once it ended on its host (the job stays, for BullMQ\'s age-based cleanup)', async () => {
    const reactor = new Reactor({ remote: bullmqBackend({ connection: bed.redis.connection, queue, reconcileMs: 200 }) });
    const d = reactor.deferToRemote(fx.waitForAbort, bed.redis.socket, 'key:stopped');
    expect(await nextWord(bed.watcher, 'key:stopped')).toBe('started');
    await reactor.stop({ graceMs: 0 });
    expect(await settled(d)).toMatchObject({ ok: false, error: expect.any(ReactorStoppedError) });
    // The host aborts the task; its job ends ('aborted'), with nobody left to read it.
    expect(await nextWord(bed.watcher, 'key:stopped')).toMatch(/^aborted:/);
    await until(async () => (await bed.watcher.zcard(`bull:${queue}:completed`)) === 1, 'the job completed');
    await until(async () => (await cancelKeys()).length === 0, 'the cancel key went');
    expect(await cancelKeys()).toEqual([]);
  }, 60_000);

  it('a job cancelled while running, its caller alive: its key goes too, and so does the job', async () => {
    const before = await cancelKeys();
    const jobsBefore = (await bed.watcher.keys(`bull:${queue}:gr-*`)).length;
    const d = bed.reactor.deferToRemote(fx.waitForAbort, bed.redis.socket, 'key:cancelled');
    expect(await nextWord(bed.watcher, 'key:cancelled')).toBe('started');
    d.cancel();
    expect(await nextWord(bed.watcher, 'key:cancelled')).toMatch(/^aborted:/);
    await until(async () => (await bed.watcher.keys(`bull:${queue}:gr-*`)).length === jobsBefore, 'the job was removed');
    await until(async () => (await cancelKeys()).length === before.length, 'the cancel key went');
    expect(await cancelKeys()).toEqual(before);
    await settled(d);
  }, 60_000);

  it('a job cancelled while running: its key is deleted once, by the host that ended it, not again by the caller', async () => {
    const reactor = new Reactor({ remote: bullmqBackend({ connection: bed.redis.connection, queue, reconcileMs: 200 }) });
    const client = bed.redis.client();
    const monitor = await client.monitor();
    const dels: string[] = [];
    let marked: (() => void) | undefined;
    const marker = new Promise<void>((resolve) => (marked = resolve));
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'del' && args[1]?.includes(':greenreactor:cancelled:') === true) dels.push(args[1]);
      if (args[0]?.toLowerCase() === 'echo' && args[1] === 'cancel-key-marker') marked?.();
    });
    try {
      const jobsBefore = (await bed.watcher.keys(`bull:${queue}:gr-*`)).length;
      const d = reactor.deferToRemote(fx.waitForAbort, bed.redis.socket, 'key:once');
      expect(await nextWord(bed.watcher, 'key:once')).toBe('started');
      d.cancel();
      void settled(d); // its CancelledError is expected: handled, never reported as unhandled
      expect(await nextWord(bed.watcher, 'key:once')).toMatch(/^aborted:/);
      // The caller removes the job on its end's event (before the fix, it deleted the key again right after).
      await until(async () => (await bed.watcher.keys(`bull:${queue}:gr-*`)).length === jobsBefore, 'the job was removed');
      await reactor.stop(); // waits for the caller's Redis chores
      await bed.watcher.echo('cancel-key-marker');
      await marker;
      expect(dels).toHaveLength(1);
    } finally {
      await reactor.stop();
      monitor.disconnect(); // a connection in MONITOR mode takes no QUIT
      await client.quit();
    }
  }, 60_000);
});
