import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError, TimeoutError } from '../../src/errors.js';
import * as fx from '../fixtures/stream-tasks.js';
import { built, changed, failureOf, gate, open, reaches, until, watchUnhandled } from '../threads/thread-test-kit.js';
import { drain } from './stream-test-kit.js';

describe('reactor.stream() on the thread route', () => {
  let reactor: Reactor;
  let clock: Clock;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  /** A reactor on a virtual clock: a cancelled task's worker is never terminated unless a test advances the clock. */
  function make(maxThreads = 1): void {
    clock = new Clock();
    reactor = new Reactor({ clock, policy: { threads: { maxThreads } } });
  }

  it('streams the items in emit order, then the result', async () => {
    make();
    const s = reactor.stream(built(fx.countToDefault), 40);
    expect(await drain(s)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(await s.result).toBe(40);
  });

  it('delivers an item emitted inside a synchronous loop while the task still runs', async () => {
    make();
    const cells = gate(2);
    const s = reactor.stream(built(fx.firstThenWait), cells);
    const it = s[Symbol.asyncIterator]();
    // The task is blocked (Atomics.wait, no event loop) until the gate opens: the item can only arrive now.
    expect(await it.next()).toEqual({ value: 'first', done: false });
    expect(s.result.called).toBe(false);
    open(cells);
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect(await s.result).toBe('done');
  });

  it('blocks the task after exactly streamWindow items while nobody reads, then delivers every item in order', async () => {
    make();
    const cells = gate(2);
    const s = reactor.stream(built(fx.countTo), 12, cells);
    await changed(cells, 1, 0); // the task started emitting
    // Emit #5 is called, and the task is blocked in it (its blocked time shows in stats) …
    await reaches(cells, 1, 5);
    await until(() => (reactor.stats().threads.tasks.countTo?.streamBlockedMs ?? 0) > 0);
    // … after exactly 4 emits returned.
    expect(Atomics.load(cells, 0)).toBe(4);
    expect(s.result.called).toBe(false);
    const items = await drain(s);
    expect(items).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(await s.result).toBe(12);
    const stats = reactor.stats().threads.tasks.countTo!;
    expect(stats.streamedItems).toBe(12);
    expect(stats.streamBlockedMs).toBeGreaterThan(0);
  });

  it('throws the task error, with its class, after the items emitted before it; result errbacks', async () => {
    make();
    const s = reactor.stream(built(fx.throwAfter), 3);
    // Read nothing until result errbacked: the 3 items must have arrived before it, and stay readable.
    const error = await failureOf(s.result);
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('failed after 3 items');
    const items: number[] = [];
    let thrown: unknown;
    try {
      for await (const item of s) items.push(item as number);
    } catch (caught) {
      thrown = caught;
    }
    expect(items).toEqual([0, 1, 2]);
    expect(thrown).toBe(error);
  });

  it('cancels the task when the consumer breaks out of for await: cancelled() turns true in the worker', async () => {
    make();
    const cells = gate(1);
    const s = reactor.stream(built(fx.emitUntilCancelled), cells);
    for await (const item of s) {
      if (item === 2) break;
    }
    expect(await changed(cells, 0)).toBe(1); // the blocked emit woke, threw, and cancelled() was true
    expect(await failureOf(s.result)).toBeInstanceOf(CancelledError);
  });

  it('ends the iteration with TimeoutError when the task times out while blocked, and wakes its emit', async () => {
    make();
    const cells = gate(1);
    const s = reactor.stream(built(fx.emitUntilTimedOut), cells);
    const it = s[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ value: 0, done: false });
    // Item 1 went out on the credit of that read; the task is now blocked in emit #3 (its blocked time shows).
    await until(() => (reactor.stats().threads.tasks.emitUntilTimedOut?.streamedItems ?? 0) === 2);
    await until(() => (reactor.stats().threads.tasks.emitUntilTimedOut?.streamBlockedMs ?? 0) > 0);
    clock.advance(1000);
    await expect(it.next()).rejects.toBeInstanceOf(TimeoutError);
    expect(await changed(cells, 0)).toBe(1);
    expect(await failureOf(s.result)).toBeInstanceOf(TimeoutError);
  });

  it('delivers the last progress value before the result', async () => {
    make();
    const s = reactor.stream(built(fx.progressTo), 100_000);
    const seen: unknown[] = [];
    s.onProgress((value) => seen.push(value));
    const last = s.result.addCallback((n) => ({ n, lastSeen: seen.at(-1) }));
    expect(await drain(s)).toEqual(['item']);
    expect(await last).toEqual({ n: 100_000, lastSeen: 100_000 });
    expect(seen.length).toBeGreaterThanOrEqual(1);
  });

  it('lets nothing arrive after the result and reorders nothing, over 10,000 streamed runs', async () => {
    make(2);
    const runs = 10_000;
    const concurrent = 500; // runs in flight at once: the wall time stays reasonable on a loaded 2-core machine
    let late = 0;
    let reordered = 0;
    let progressAfter = 0;
    let items = 0;
    /**
     * One run, of three kinds by id. 5 items within the default window, or 40 within a window of 64 (past the 32
     * that travel before the stream's own port is made), read only once `result` fired (every item must already be
     * in the stream then); or 12 items through a window of 4, read as they come (the task blocks, so credit, rings
     * and the items' port all work), whatever is left read after `result`.
     */
    const kinds = [
      { task: built(fx.tagged), k: 5, live: false },
      { task: built(fx.taggedNarrow), k: 12, live: true },
      { task: built(fx.taggedWide), k: 40, live: false },
    ];
    const one = async (id: number): Promise<void> => {
      const { task, k, live } = kinds[id % 3]!;
      const s = reactor.stream(task, id, k);
      let lastProgress: unknown;
      let done = false;
      s.onProgress((p) => {
        if (done) progressAfter++;
        lastProgress = p;
      });
      const seen: Array<[number, number]> = [];
      const it = s[Symbol.asyncIterator]();
      const result = s.result.addCallback((value) => {
        done = true;
        return value;
      });
      if (live) {
        // Read live until the result fired; then stop reading (the rest must already be in the stream).
        while (!done) {
          const next = await it.next();
          if (next.done === true) break;
          seen.push(next.value as [number, number]);
        }
      }
      expect(await result).toBe(id);
      if (lastProgress !== k - 1) progressAfter++;
      // Whatever was not read yet must already be in the stream: a stream that ended takes nothing more.
      for (let next = await it.next(); next.done !== true; next = await it.next()) seen.push(next.value as [number, number]);
      items += seen.length;
      if (seen.length !== k) late++;
      seen.forEach(([owner, i], index) => {
        if (owner !== id || i !== index) reordered++;
      });
    };
    for (let start = 0; start < runs; start += concurrent) {
      await Promise.all(Array.from({ length: concurrent }, (_, j) => one(start + j)));
    }
    const expected = kinds.reduce((sum, kind, i) => sum + kind.k * Math.ceil((runs - i) / 3), 0);
    expect({ late, reordered, progressAfter, items }).toEqual({ late: 0, reordered: 0, progressAfter: 0, items: expected });
    const stats = reactor.stats().threads.tasks;
    expect(stats.tagged!.streamedItems! + stats.taggedNarrow!.streamedItems! + stats.taggedWide!.streamedItems!).toBe(items);
  }, 120_000); // a bound, not synchronisation: 10,000 thread round trips take seconds on a loaded machine

  it('discards items and never blocks outside a stream (deferToThread)', async () => {
    make();
    expect(await reactor.deferToThread(built(fx.countTo), 50)).toBe(50);
  });

  it('reports no unhandled failure for a stream the consumer broke out of', async () => {
    make();
    const watch = watchUnhandled();
    try {
      const cells = gate(1);
      await (async () => {
        const s = reactor.stream(built(fx.emitUntilCancelled), cells);
        for await (const item of s) if (item === 0) break;
      })();
      await changed(cells, 0);
      await watch.settle();
      expect(watch.reported).toEqual([]);
    } finally {
      watch.stop();
    }
  });
});
