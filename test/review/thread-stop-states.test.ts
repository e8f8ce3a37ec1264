/**
 * `reactor.stop()` with thread work in several states at once on real workers: a cancelled call whose task is deaf
 * to it while a long cancel grace runs, a retiring worker (recycled after its task) holding it, a stream parked in
 * `emit` and calls queued to leave in a coalesced batch. Stop must end without waiting for the grace, fire every
 * Deferred once, and leave no worker (Jest's `--detectOpenHandles` sees no timer of the grace or handle left).
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { ReactorStoppedError } from '../../src/errors.js';
import { Clock } from '../../src/time/clock.js';
import type { Deferred } from '../../src/deferred/deferred.js';
import * as tx from '../fixtures/thread-tasks.js';
import * as fx from '../fixtures/stream-tasks.js';
import { built, changed, countFirings, gate, reaches, settled } from '../threads/thread-test-kit.js';

describe('reactor.stop() while a cancel grace runs on a retiring worker', () => {
  it('ends without waiting for the grace and fires every Deferred once: the cancelled call, a parked stream, queued calls', async () => {
    // A virtual clock: the cancel grace never elapses on its own; only stop() can end it.
    const clock = new Clock();
    const reactor = new Reactor({ clock, policy: { threads: { maxThreads: 2, cancelGraceMs: 600_000, recycle: { maxTasks: 1 } } } });
    const spin = gate(2);
    const deaf = reactor.deferToThread(built(tx.spinForever), spin);
    const deafFirings = countFirings(deaf);
    await changed(spin); // running, deaf to its signal
    deaf.cancel(); // fires CancelledError now; the grace (600 s) runs, the worker retires after this task
    expect(clock.getDelayedCalls().filter((c) => c.active()).length).toBeGreaterThan(0);
    const cells = gate(2);
    const stream = reactor.stream(built(fx.countTo), 100, cells);
    await reaches(cells, 1, 5); // both workers busy: the stream's task is parked in emit #5
    const queued: Array<Deferred<unknown>> = Array.from({ length: 20 }, (_, i) => reactor.deferToThread(built(tx.add), i, 1));
    const all = [stream.result, ...queued] as Array<Deferred<unknown>>;
    const outcomes = Promise.all(all.map((d) => settled(d)));
    const firings = all.map((d) => countFirings(d));
    await reactor.stop({ graceMs: 0 });
    const settledAll = await outcomes;
    expect(deafFirings.count).toBe(1);
    expect(firings.every((f) => f.count === 1)).toBe(true);
    expect(settledAll.every((o) => !o.ok && o.error instanceof ReactorStoppedError)).toBe(true);
    expect(reactor.stats().threads).toMatchObject({ threads: 0, cancelled: 1 });
    expect(clock.getDelayedCalls().filter((c) => c.active())).toEqual([]); // the grace's timer went with its run
  }, 30_000);
});
