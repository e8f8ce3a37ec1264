/**
 * Adversarial tests of workers that run several tasks at once (`concurrentTasksPerWorker` 2) on real workers: a
 * stream and a plain call sharing one worker while one of them is cancelled, outlives its grace, crashes the worker
 * or has its deadline pass.
 *
 * A task that blocks its thread (a synchronous loop, an `emit` parked on a full window) holds up every other task
 * handed to the same worker: they wait unread in its message queue. These tests check that such a bystander is
 * never killed or failed for what its neighbour did while it had not started, and that one that had started fails
 * once, with `WorkerCrashedError`.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError, WorkerCrashedError } from '../../src/errors.js';
import * as tx from '../fixtures/thread-tasks.js';
import * as fx from '../fixtures/stream-tasks.js';
import { built, changed, countFirings, failureOf, gate, open, reaches, readAll } from '../threads/thread-test-kit.js';

describe('a worker running two tasks at once (concurrentTasksPerWorker 2)', () => {
  let reactor: Reactor;
  let clock: Clock;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  function make(): void {
    clock = new Clock();
    reactor = new Reactor({ clock, policy: { threads: { minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2, cancelGraceMs: 5 } } });
  }

  it('cancelling a call that waits unread behind a stream parked in emit never kills the worker: the stream delivers every item', async () => {
    make();
    const cells = gate(2);
    const s = reactor.stream(built(fx.countTo), 40, cells);
    await reaches(cells, 1, 5); // emit #5 parked (window 4): the worker's thread is blocked
    const waiting = reactor.deferToThread(built(tx.add), 1, 2); // handed to the same worker, unread
    const fired = countFirings(waiting);
    waiting.cancel();
    clock.advance(5); // past its grace: it never started, so nothing may be terminated for it
    const { items, thrown } = await readAll(s);
    expect(thrown).toBeUndefined();
    expect(items).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(await s.result).toBe(40);
    expect(fired.count).toBe(1);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0 });
  });

  it('cancelling the parked stream wakes its emit, and the call waiting behind it on the same worker runs there', async () => {
    make();
    const worker = await reactor.deferToThread(built(tx.workerThreadId));
    const cells = gate(2);
    const s = reactor.stream(built(fx.countTo), 40, cells);
    await reaches(cells, 1, 5);
    const waiting = reactor.deferToThread(built(tx.workerThreadId)); // handed to the same worker, unread
    s.cancel();
    expect(await failureOf(s.result)).toBeInstanceOf(CancelledError);
    // No clock advance: nothing can kill the worker, so the call runs only if the parked emit woke and threw.
    expect(await waiting).toBe(worker);
    expect(Atomics.load(cells, 0)).toBe(4); // the stream's task stopped at its parked emit
    expect(reactor.stats().threads).toMatchObject({ crashed: 0 });
  });

  it('a started async call whose neighbour crashes the worker fails once with WorkerCrashedError; the pool recovers', async () => {
    make();
    const cells = gate(2);
    const started = reactor.deferToThread(built(tx.reportOwnSignal), cells, 1);
    const outcome = failureOf(started);
    const fired = countFirings(started); // after failureOf: it consumes failures
    await reaches(cells, 1, 1); // it runs, awaiting cells[0]
    const crash = gate(2);
    const crasher = reactor.deferToThread(built(tx.exitWhenOpened), crash, 3);
    await changed(crash); // runs on the same worker and blocks it
    open(crash);
    expect(await failureOf(crasher)).toBeInstanceOf(WorkerCrashedError);
    expect(await outcome).toBeInstanceOf(WorkerCrashedError);
    expect(fired.count).toBe(1);
    expect(await reactor.deferToThread(built(tx.add), 2, 2)).toBe(4);
  });

  it('a started stream whose neighbour outlives its cancel grace ends once with WorkerCrashedError after its items', async () => {
    make();
    const cells = gate(2);
    const s = reactor.stream(built(tx.reportOwnSignal), cells, 1); // a stream of no items, running (awaiting)
    await reaches(cells, 1, 1);
    const spin = gate(2);
    const deaf = reactor.deferToThread(built(tx.spinForever), spin);
    await changed(spin); // the same worker's thread is now busy for good
    deaf.cancel();
    clock.advance(5); // the grace is over: the worker is terminated with the stream inside
    expect(await failureOf(deaf)).toBeInstanceOf(CancelledError);
    const { thrown } = await readAll(s);
    expect(thrown).toBeInstanceOf(WorkerCrashedError);
    expect(await failureOf(s.result)).toBe(thrown);
    expect(await reactor.deferToThread(built(tx.add), 2, 3)).toBe(5);
  });
});
