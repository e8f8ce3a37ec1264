/**
 * Adversarial tests of deadlines that pass while calls wait in the pool's line and leave as one coalesced batch,
 * with the main thread's timers stopped (a main thread too busy to run them): only the worker's own check of each
 * call's `startBy` can keep the late calls from running; the batch-mates without a deadline must still run once.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { Reactor } from '../../src/reactor/reactor.js';
import { RealTimeScheduler } from '../../src/time/real-time-scheduler.js';
import { TimeoutError } from '../../src/errors.js';
import { deadline } from '../../src/worker/index.js';
import * as fx from '../fixtures/context-tasks.js';
import * as tx from '../fixtures/thread-tasks.js';
import { built, changed, gate, open, settled, until } from '../threads/thread-test-kit.js';

describe('a coalesced batch holding calls whose deadline passed while they waited', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('runs none of the late calls (TimeoutError, not started) and each of their batch-mates once', async () => {
    let frozenAt: number | undefined;
    const stoppable = new RealTimeScheduler({ now: () => frozenAt ?? performance.now() });
    reactor = new Reactor({ clock: stoppable, policy: { threads: { minThreads: 1, maxThreads: 1, cancelGraceMs: 0 } } });
    const first = gate(2);
    const held = reactor.deferToThread(built(fx.hold), first);
    await changed(first, 0);
    frozenAt = performance.now(); // the reactor's timers cannot fire from here on
    const runs = gate(9);
    const late = (i: number): boolean => i % 3 !== 0;
    const calls = Array.from({ length: 9 }, (_, i) =>
      late(i) ? reactor.withDeadline(5, () => reactor.deferToThread(built(tx.markRan), runs, i)) : reactor.deferToThread(built(tx.markRan), runs, i),
    );
    const wall = reactor.withDeadline(5, () => deadline()!);
    await until(() => Date.now() > wall);
    open(first);
    expect(await held).toBe('held');
    const outcomes = await Promise.all(calls.map((d) => settled(d)));
    frozenAt = undefined;
    expect(outcomes.map((o, i) => (o.ok ? o.value : late(i) && o.error instanceof TimeoutError && /waited/.test((o.error as Error).message) ? 'late' : o.error))).toEqual(
      [0, 'late', 'late', 3, 'late', 'late', 6, 'late', 'late'],
    );
    expect(Array.from(runs)).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0]);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, timedOut: 6 });
  });
});
