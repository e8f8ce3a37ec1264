/**
 * Exactly-once delivery when the engine's events are lost (taskforcesh/bullmq#2517): with every BullMQ event
 * dropped by fault injection, the reconcile poll still delivers every result, once, within `reconcileMs` of the
 * job's end. And `stop()` with remote work pending resolves within `graceMs` + 1 s, in a process that then exits
 * by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend } from '../../src/remote-bullmq/index.js';
import * as fx from '../fixtures/remote-tasks.js';
import { startRemoteTestBed, type RemoteTestBed, type TestRedis } from '../helpers/redis-server.js';

const stopScript = fileURLToPath(new URL('../../dist/test/fixtures/remote-stop-script.js', import.meta.url));
const reconcileMs = 300;

let bed: RemoteTestBed;
let redis: TestRedis;

beforeAll(async () => {
  bed = await startRemoteTestBed('reconcile', { host: { concurrency: 2 } });
  ({ redis } = bed);
});

afterAll(() => bed?.stop());

describe('bullmqBackend with every engine event dropped', () => {
  it('delivers 1,000 results, each once, within reconcileMs of its job ending', async () => {
    const reactor = new Reactor({
      remote: bullmqBackend({ connection: redis.connection, queue: 'reconcile', reconcileMs, faults: { dropEvents: true } }),
    });
    try {
      const fired = new Array<number>(1000).fill(0);
      const calls = Array.from({ length: 1000 }, (_, i) =>
        reactor.deferToRemote(fx.add, i, 1).addBoth((result) => {
          fired[i]! += 1;
          return result;
        }),
      );
      const results = await Promise.all(calls.map((d) => d.asPromise()));
      expect(results).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
      expect(fired.every((n) => n === 1)).toBe(true);
      const stats = reactor.stats().remote!;
      expect(stats.reconciled).toBe(1000);
      expect(stats.completed).toBe(1000);
      expect(stats.inFlight).toBe(0);
      // A result waits at most one period for the next pass, plus the pass itself (reading 1,000 jobs). The slack
      // is for a loaded machine: at load ~19 on 2 cores one pass took ~1.2 s (lag 1,472 ms); with no reconcile at
      // all the calls would never fire, so the bound still pins the mechanism.
      expect(stats.reconcileLagMs.max).toBeLessThan(reconcileMs + 3000);
    } finally {
      await reactor.stop(); // also when an expectation failed: nothing may outlive the test
    }
  }, 60_000);
});

describe('Reactor.stop() with remote work pending', () => {
  it('errbacks it with ReactorStoppedError within graceMs + 1 s, aborts it on its host, and the process exits by itself', async () => {
    const graceMs = 300;
    const { stdout } = await promisify(execFile)(process.execPath, [stopScript, redis.socket, String(graceMs)], { timeout: 30_000 });
    const report = JSON.parse(stdout.trim().split('\n').pop()!) as { started: string; stopMs: number; outcome: string; aborted: boolean };
    expect(report.started).toBe('started');
    expect(report.outcome).toBe('ReactorStoppedError');
    expect(report.stopMs).toBeGreaterThanOrEqual(graceMs - 5);
    expect(report.stopMs).toBeLessThan(graceMs + 1000);
    expect(report.aborted).toBe(true);
  }, 40_000);
});
