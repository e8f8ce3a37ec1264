import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError, DataCloneError, ReactorStoppedError, TimeoutError, WorkerCrashedError } from '../../src/errors.js';
import * as fx from '../fixtures/stream-tasks.js';
import * as cx from '../fixtures/control-tasks.js';
import { built, changed, failureOf, gate, reaches, settled, until, readAll } from '../threads/thread-test-kit.js';

describe('reactor.stream() on real workers, adversarial', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('keeps every item emitted before the worker called process.exit, then throws WorkerCrashedError', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const cells = gate(1);
    const s = reactor.stream(built(cx.emitThenExit), 50, cells);
    const { items, thrown } = await readAll(s);
    expect(thrown).toBeInstanceOf(WorkerCrashedError);
    expect(items).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await failureOf(s.result)).toBe(thrown);
    expect(Atomics.load(cells, 0)).toBe(1); // a stream is never retried
    // The pool recovered.
    expect(await reactor.stream(built(fx.countToDefault), 3).result).toBe(3);
  });

  it('never re-runs a streamed task with retries whose worker crashed after it emitted', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const cells = gate(1);
    const s = reactor.stream(built(cx.emitThenExitRetried), 3, cells);
    const { items, thrown } = await readAll(s);
    expect(thrown).toBeInstanceOf(WorkerCrashedError);
    expect(items).toEqual([0, 1, 2]);
    expect(Atomics.load(cells, 0)).toBe(1);
    expect(reactor.stats().threads.retried).toBe(0);
  });

  it('ends with WorkerCrashedError after its items when an uncaught exception ends the worker', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const s = reactor.stream(built(cx.emitThenUncaught), 5);
    const { items, thrown } = await readAll(s);
    expect(thrown).toBeInstanceOf(WorkerCrashedError);
    expect(items).toEqual([0, 1, 2, 3, 4]);
  });

  it('throws DataCloneError into the task for an item that cannot be cloned; the task may go on and succeed', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const cells = gate(1);
    const s = reactor.stream(built(cx.emitUncloneable), cells, false);
    const { items, thrown } = await readAll(s);
    expect(thrown).toBeUndefined();
    expect(items).toEqual(['ok', 'after']);
    expect(await s.result).toBe('done');
    expect(Atomics.load(cells, 0)).toBe(1);
  });

  it('fails result with DataCloneError naming the task when the task lets it escape; the worker lives on', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const cells = gate(1);
    const s = reactor.stream(built(cx.emitUncloneable), cells, true);
    const { items, thrown } = await readAll(s);
    expect(items).toEqual(['ok']);
    expect(thrown).toBeInstanceOf(DataCloneError);
    expect((thrown as Error).message).toContain('emitUncloneable');
    expect(reactor.stats().threads.crashed).toBe(0);
  });

  it('makes every emit throw at once after a cancel, also for a task that catches and keeps emitting; result errbacks CancelledError once', async () => {
    reactor = new Reactor({ clock: new Clock(), policy: { threads: { maxThreads: 1 } } });
    const cells = gate(1);
    const s = reactor.stream(built(cx.emitIgnoringCancel), cells);
    const it = s[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ value: 0, done: false });
    s.cancel();
    expect(await changed(cells, 0)).toBe(1);
    expect(await failureOf(s.result)).toBeInstanceOf(CancelledError);
    await expect(it.next()).rejects.toBeInstanceOf(CancelledError);
    // The worker is free again (the task returned): the next stream runs.
    expect(await reactor.stream(built(fx.countToDefault), 2).result).toBe(2);
  });

  it('stop() while a worker is parked in emit with nobody reading ends the stream with ReactorStoppedError and resolves', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const cells = gate(2);
    const s = reactor.stream(built(fx.countTo), 100, cells);
    await reaches(cells, 1, 5); // emit #5 called: parked (window 4)
    const result = settled(s.result);
    await reactor.stop({ graceMs: 0 });
    const outcome = await result;
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? undefined : outcome.error).toBeInstanceOf(ReactorStoppedError);
    const { items, thrown } = await readAll(s);
    expect(thrown).toBeInstanceOf(ReactorStoppedError);
    expect(items.length).toBeLessThanOrEqual(4);
  });

  it('runs 200 concurrent streams of a narrow window on 2 workers with coalescing on: every item once, in order, every result', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 2 } } });
    const streams = Array.from({ length: 200 }, (_, id) => reactor.stream(built(fx.taggedNarrow), id, 20));
    const read = await Promise.all(streams.map((s) => readAll(s)));
    for (let id = 0; id < 200; id++) {
      expect(read[id]!.thrown).toBeUndefined();
      expect(read[id]!.items).toEqual(Array.from({ length: 20 }, (_, i) => [id, i]));
      expect(await streams[id]!.result).toBe(id);
    }
  });

  it('cancels a stream still queued behind busy workers: it never runs, and the ones ahead finish', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const cells = gate(2);
    const first = reactor.stream(built(fx.countTo), 8, cells);
    await reaches(cells, 1, 5);
    const runs = gate(1);
    const queued = reactor.stream(built(cx.emitThenExit), 1, runs);
    queued.cancel();
    expect(await failureOf(queued.result)).toBeInstanceOf(CancelledError);
    expect((await readAll(first)).items).toHaveLength(8);
    expect(await first.result).toBe(8);
    expect(await reactor.stream(built(fx.countToDefault), 1).result).toBe(1);
    expect(Atomics.load(runs, 0)).toBe(0);
  });
});

describe('reactor.stream() on real workers with deadlines and recycling', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('a withDeadline passing while the worker is parked in emit ends the stream with TimeoutError and wakes the emit', async () => {
    const clock = new Clock();
    reactor = new Reactor({ clock, policy: { threads: { maxThreads: 1 } } });
    const cells = gate(1);
    const s = reactor.withDeadline(500, () => reactor.stream(built(fx.emitUntilCancelled), cells));
    await until(() => (reactor.stats().threads.tasks.emitUntilCancelled?.streamBlockedMs ?? 0) > 0); // parked (window 1)
    clock.advance(500);
    expect(await failureOf(s.result)).toBeInstanceOf(TimeoutError);
    expect(await changed(cells, 0)).toBe(1); // its blocked emit threw, cancelled() true
    await expect(s[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(TimeoutError);
  });

  it('never runs a stream whose withDeadline already passed at dispatch', async () => {
    const clock = new Clock();
    reactor = new Reactor({ clock, policy: { threads: { maxThreads: 1 } } });
    const runs = gate(1);
    const s = reactor.withDeadline(10, () => {
      clock.advance(10);
      return reactor.stream(built(cx.emitThenExit), 1, runs);
    });
    expect(await failureOf(s.result)).toBeInstanceOf(TimeoutError);
    expect(await reactor.deferToThread(built(fx.countToDefault), 0)).toBe(0);
    expect(Atomics.load(runs, 0)).toBe(0);
  });

  it('recycle by age while a stream is parked: the stream finishes with every item, no failure, no crash', async () => {
    const clock = new Clock();
    reactor = new Reactor({ clock, policy: { threads: { maxThreads: 1, recycle: { maxAgeMs: 1000 } } } });
    const cells = gate(2);
    const s = reactor.stream(built(fx.countTo), 30, cells);
    await reaches(cells, 1, 5); // parked (window 4)
    clock.advance(1000); // the worker ages out while its stream runs
    expect(reactor.stats().threads.recycledWorkers).toBe(1);
    const { items, thrown } = await readAll(s);
    expect(thrown).toBeUndefined();
    expect(items).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(await s.result).toBe(30);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, failed: 0 });
  });
});
