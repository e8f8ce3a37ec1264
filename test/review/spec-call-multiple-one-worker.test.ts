/**
 * SPEC §3: `callMultipleInThread(calls)` runs the calls one after another in one worker, even with workers free to
 * take them apart.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import * as wx from '../fixtures/worker-identity-tasks.js';
import { built, gate } from '../threads/thread-test-kit.js';

let reactor: Reactor | undefined;
afterEach(async () => {
  await reactor?.stop();
  reactor = undefined;
});

describe('callMultipleInThread()', () => {
  it('runs every call in the same worker, in the order given, while other workers are idle', async () => {
    reactor = new Reactor({ policy: { threads: { minThreads: 4, maxThreads: 4 } } });
    const calls = 12;
    const log = gate(1 + 2 * calls);
    const record = built(wx.recordWorker);
    await reactor.callMultipleInThread(Array.from({ length: calls }, (_, i) => [record, log, i] as const));
    const ran = Array.from({ length: calls }, (_, turn) => ({ worker: log[1 + 2 * turn], index: log[2 + 2 * turn] }));
    expect(log[0]).toBe(calls);
    expect(ran.map((r) => r.index)).toEqual(Array.from({ length: calls }, (_, i) => i));
    expect(new Set(ran.map((r) => r.worker)).size).toBe(1);
    expect(ran[0]!.worker).toBeGreaterThan(0); // a worker's threadId, not the main thread's 0
  });

  it('runs as many such groups side by side as there are workers, each group in one worker', async () => {
    reactor = new Reactor({ policy: { threads: { minThreads: 3, maxThreads: 3 } } });
    const calls = 6;
    const logs = [gate(1 + 2 * calls), gate(1 + 2 * calls), gate(1 + 2 * calls)];
    const record = built(wx.recordWorker);
    await Promise.all(logs.map((log) => reactor!.callMultipleInThread(Array.from({ length: calls }, (_, i) => [record, log, i] as const))));
    for (const log of logs) {
      const workers = new Set(Array.from({ length: calls }, (_, turn) => log[1 + 2 * turn]));
      expect(workers.size).toBe(1);
    }
  });
});
