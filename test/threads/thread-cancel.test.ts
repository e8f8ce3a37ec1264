import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError, QueueFullError, TimeoutError } from '../../src/errors.js';
import * as fx from '../fixtures/thread-tasks.js';
import * as late from '../fixtures/late-worker-import.js';
import { initialSlotCount } from '../../src/threads/cancel-slots.js';
import { built, changed, countFirings, failureOf, gate, open, until, watchUnhandled } from './thread-test-kit.js';
import type { Task } from '../../src/task/task.js';

describe('ThreadPool cancellation ladder', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  it('errbacks with CancelledError at once when the Deferred is cancelled', async () => {
    pool = new ThreadPool({ maxThreads: 1, clock: new Clock() });
    const cells = gate();
    const d = pool.run(built(fx.waitForGate), cells, 'v');
    await changed(cells);
    const errors: unknown[] = [];
    d.addErrback((f) => {
      errors.push(f.value);
    });
    d.cancel();
    expect(errors).toHaveLength(1); // synchronously, inside cancel()
    expect(errors[0]).toBeInstanceOf(CancelledError);
    expect((errors[0] as Error).message).toMatch(/waitForGate/);
    expect(pool.stats().cancelled).toBe(1);
    open(cells);
  });

  it('never runs a task cancelled while it waits in the queue', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    const cells = gate(4);
    const blocker = pool.run(built(fx.waitForGate), cells, 'first');
    await changed(cells); // the only worker is busy
    const queued = pool.run(built(fx.markRan), cells, 2);
    const after = pool.run(built(fx.markRan), cells, 3);
    queued.cancel();
    expect((await failureOf(queued)) instanceof CancelledError).toBe(true);
    open(cells);
    expect(await blocker).toBe('first');
    expect(await after).toBe(3);
    expect(cells[2]).toBe(0); // the cancelled task never ran
    expect(cells[3]).toBe(1);
  });

  it('makes cancelled() and signal.aborted true inside a running synchronous loop', async () => {
    pool = new ThreadPool({ maxThreads: 1, clock: new Clock() });
    const cells = gate();
    const d = pool.run(built(fx.spinUntilCancelled), cells);
    await changed(cells);
    d.cancel();
    expect(await failureOf(d)).toBeInstanceOf(CancelledError);
    // 3: the loop saw cancelled() and then signal.aborted, without an event loop turn
    expect(await changed(cells, 0, 1)).toBe(3);
  });

  it('makes throwIfCancelled() throw CancelledError inside the task', async () => {
    pool = new ThreadPool({ maxThreads: 1, clock: new Clock() });
    const cells = gate();
    const d = pool.run(built(fx.spinThrowIfCancelled), cells);
    await changed(cells);
    d.cancel();
    expect(await changed(cells, 0, 1)).toBe(2);
    expect(await failureOf(d)).toBeInstanceOf(CancelledError); // consumed: nothing left for the GC report
  });

  it("fires the signal's abort event in an awaiting async task", async () => {
    pool = new ThreadPool({ maxThreads: 1, clock: new Clock() });
    const cells = gate();
    const d = pool.run(built(fx.awaitAbort), cells);
    await changed(cells);
    d.cancel();
    expect(await changed(cells, 0, 1)).toBe(2);
    expect(await failureOf(d)).toBeInstanceOf(CancelledError); // consumed: nothing left for the GC report
  });

  it('terminates and replaces a worker still running cancelGraceMs after the cancel, on the pool clock', async () => {
    const clock = new Clock();
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, cancelGraceMs: 500, clock });
    const cells = gate();
    const d = pool.run(built(fx.spinForever), cells);
    await changed(cells);
    d.cancel();
    expect(await failureOf(d)).toBeInstanceOf(CancelledError);
    const next = pool.run(built(fx.add), 20, 22); // queued behind the spinning task
    clock.advance(499);
    const beat = Atomics.load(cells, 1);
    expect(await changed(cells, 1, beat)).toBeGreaterThan(beat); // still spinning: not terminated before the grace
    expect(next.called).toBe(false);
    clock.advance(1); // grace is over: the worker is terminated, a fresh one runs the queued task
    expect(await next).toBe(42);
    expect(pool.stats().threads).toBe(1);
  });

  it('drops a result that arrives after the cancel, silently', async () => {
    const watch = watchUnhandled();
    try {
      pool = new ThreadPool({ maxThreads: 1, clock: new Clock() });
      const cells = gate();
      let firings = 0;
      // In a function of its own, so no reference to the Deferred outlives it.
      await (async () => {
        const d = pool.run(built(fx.waitForGate), cells, 'late');
        d.addBoth((result: unknown) => {
          firings++;
          return result; // not consumed: only the trap below handles it
        });
        d.addErrback((f) => {
          f.trap(CancelledError); // anything else stays unhandled, and is reported once d is collected
        });
        await changed(cells);
        d.cancel();
      })();
      open(cells); // the task finishes normally after all
      expect(await pool.run(built(fx.add), 1, 1)).toBe(2); // its reply has been processed by now
      await until(() => pool.stats().inFlight === 0);
      await watch.settle(); // the cancelled Deferred is collected: whatever it still held is reported by now
      expect(firings).toBe(1);
      expect(watch.reported).toEqual([]);
      expect(watch.escaped).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  describe('timeoutMs', () => {
    it('errbacks with TimeoutError after timeoutMs of the pool clock, counted from dispatch', async () => {
      const clock = new Clock();
      pool = new ThreadPool({ maxThreads: 1, clock, cancelGraceMs: 1000 });
      const cells = gate();
      const d = pool.run(built(fx.sleepyTimeout), cells); // timeoutMs: 50
      const errors: unknown[] = [];
      d.addErrback((f) => errors.push(f.value));
      const seen = countFirings(d);
      await changed(cells);
      clock.advance(49);
      expect(seen.count).toBe(0);
      clock.advance(1);
      expect(seen.count).toBe(1);
      expect(errors[0]).toBeInstanceOf(TimeoutError);
      expect((errors[0] as Error).message).toMatch(/sleepyTimeout.*50 ms/);
    });

    it('sends a timed-out running task down the ladder: cancelled() turns true', async () => {
      const clock = new Clock();
      pool = new ThreadPool({ maxThreads: 1, clock });
      const cells = gate();
      const d = pool.run(built(fx.sleepyTimeout), cells);
      d.addErrback(() => undefined);
      await changed(cells);
      clock.advance(50);
      // the task returns 'late' once it sees the cancellation; that late result is dropped, the pool carries on
      expect(await pool.run(built(fx.add), 2, 2)).toBe(4);
      expect(pool.stats().timedOut).toBe(1);
    });

    it('times out a task still waiting in the queue, which then never runs', async () => {
      const clock = new Clock();
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock });
      const cells = gate(4);
      const blocker = pool.run(built(fx.waitForGate), cells, 'first');
      await changed(cells);
      const quick = { ...built(fx.markRan), options: { timeoutMs: 10 } } as typeof fx.markRan;
      const d = pool.run(quick, cells, 3);
      clock.advance(10);
      expect(await failureOf(d)).toBeInstanceOf(TimeoutError);
      open(cells);
      expect(await blocker).toBe('first');
      expect(await pool.run(built(fx.add), 0, 1)).toBe(1);
      expect(cells[3]).toBe(0);
    });
  });
  describe('a task abandoned while it waits in the queue', () => {
    const cancel = (d: { cancel(): void }, _clock: Clock): void => d.cancel();
    const timeOut = (_d: { cancel(): void }, clock: Clock): void => clock.advance(10);
    // Coalescing on: the call waits in the pool's own queue; off: it waits in Piscina's, which keeps it until a worker
    // skips it (two different paths of the bookkeeping).
    it.each([
      ['cancelled', 'coalescing', cancel, undefined],
      ['timed out', 'coalescing', timeOut, undefined],
      ['cancelled', 'coalesce: false', cancel, false as const],
      ['timed out', 'coalesce: false', timeOut, false as const],
    ])('stops counting against maxQueue and queueDepth at once when %s (%s)', async (_how, _path, abandon, coalesce) => {
      const clock = new Clock();
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, maxQueue: 1, clock, ...(coalesce === false ? { coalesce } : {}) });
      const cells = gate(4);
      const blocker = pool.run(built(fx.waitForGate), cells, 'first');
      await changed(cells); // the only worker is busy
      const timed = { ...built(fx.markRan), options: { timeoutMs: 10 } } as Task<[Int32Array, number], number>;
      const queued = pool.run(timed, cells, 2);
      expect(pool.queueDepth).toBe(1);
      abandon(queued, clock);
      expect(await failureOf(queued)).toBeInstanceOf(Error);
      expect(pool.queueDepth).toBe(0); // Piscina still holds it until the worker skips it
      expect(pool.stats().queueDepth).toBe(0);
      const next = pool.run(built(fx.markRan), cells, 3); // admitted: nothing live waits
      expect(pool.queueDepth).toBe(1);
      expect(await failureOf(pool.run(built(fx.add), 1, 1))).toBeInstanceOf(QueueFullError); // now one does
      open(cells);
      expect(await blocker).toBe('first');
      expect(await next).toBe(3);
      expect(cells[2]).toBe(0); // the abandoned task never ran
      expect(pool.queueDepth).toBe(0);
    });
    // Without coalescing Piscina holds the abandoned call until a worker reaches and skips it; the pool leaves it out
    // of its counts only until then, or every such call would leave room for one more waiting call for good.
    it.each([
      ['cancelled', cancel],
      ['timed out', timeOut],
    ])('leaves no room over once the worker skipped a call %s while Piscina held it (coalesce: false)', async (_how, abandon) => {
      const clock = new Clock();
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, maxQueue: 1, clock, coalesce: false });
      const cells = gate(4);
      const blocker = pool.run(built(fx.waitForGate), cells, 'first');
      await changed(cells); // the only worker is busy
      const timed = { ...built(fx.markRan), options: { timeoutMs: 10 } } as Task<[Int32Array, number], number>;
      const queued = pool.run(timed, cells, 2);
      abandon(queued, clock);
      expect(await failureOf(queued)).toBeInstanceOf(Error);
      open(cells);
      expect(await blocker).toBe('first');
      // Sent after the abandoned call to the only worker: its reply comes after the worker skipped that call.
      expect(await pool.run(built(fx.add), 0, 1)).toBe(1);
      expect(cells[2]).toBe(0); // the abandoned task never ran
      const second = gate(2);
      const blocker2 = pool.run(built(fx.waitForGate), second, 'second');
      await changed(second); // the only worker is busy again
      const waiting = pool.run(built(fx.add), 2, 2);
      expect(pool.queueDepth).toBe(1);
      expect(pool.stats().queueDepth).toBe(1);
      let refusal: unknown; // a refusal errbacks at once; a call let in would wait behind the blocker
      pool.run(built(fx.add), 3, 3).addErrback((failure) => {
        refusal = failure.value;
        return null;
      });
      expect(refusal).toBeInstanceOf(QueueFullError); // maxQueue 1 is full
      open(second);
      expect(await blocker2).toBe('second');
      expect(await waiting).toBe(4);
      expect(pool.queueDepth).toBe(0);
    });
  });
  describe('with several tasks per worker', () => {
    // reportOwnSignal listens for 'abort' (bit 4 set by the event); pollOwnSignal only reads signal.aborted, which a
    // listener-based check would hide if a live task's signal cell were reused.
    it.each<[string, typeof fx.reportOwnSignal, number]>([
      ['gives each task its own signal and cancelled(): only the cancelled one sees it, abort event included', fx.reportOwnSignal, 8 | 1 | 2 | 4],
      ['gives each task its own signal when the tasks only read signal.aborted (no listener)', fx.pollOwnSignal, 8 | 1 | 2],
    ])('%s', async (_name, fixture, cancelledSaw) => {
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 3, clock: new Clock() });
      const cells = gate(4);
      const tasks = [1, 2, 3].map((index) => pool.run(built(fixture), cells, index));
      for (const index of [1, 2, 3]) await changed(cells, index);
      tasks[1]!.cancel(); // the middle one: neither the first nor the most recently started
      expect(await failureOf(tasks[1]!)).toBeInstanceOf(CancelledError);
      open(cells, 0);
      expect(await tasks[0]).toBe(8);
      expect(await tasks[2]).toBe(8);
      expect(await changed(cells, 2, 1)).toBe(cancelledSaw);
    });
  });

  it('gives a task that first imports greenreactor/worker while running a signal that aborts', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    const cells = gate(2);
    const d = pool.run(built(late.importWorkerLate), cells);
    await changed(cells, 1);
    d.cancel();
    expect(await failureOf(d)).toBeInstanceOf(CancelledError);
    open(cells, 0);
    expect(await changed(cells, 1, 1)).toBe(8 | 1 | 2);
  });

  it('can still skip a queued task with more tasks in flight than its first slots (they grow)', async () => {
    // coalesce: false — every call takes its slot as it is sent to Piscina, so all of them hold one while they wait
    // (coalesced calls wait in the pool's own queue without a slot, and would never reach the grown ones).
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock(), captureDispatchSite: false, coalesce: false });
    const cells = gate(4);
    const blocker = pool.run(built(fx.waitForGate), cells, 'first');
    await changed(cells);
    const many = Array.from({ length: initialSlotCount + 10 }, () => pool.run(built(fx.noop)));
    const queued = pool.run(built(fx.markRan), cells, 2);
    queued.cancel();
    expect(await failureOf(queued)).toBeInstanceOf(CancelledError);
    open(cells);
    expect(await blocker).toBe('first');
    await Promise.all(many);
    expect(await pool.run(built(fx.markRan), cells, 3)).toBe(3);
    expect(cells[2]).toBe(0); // skipped: it had a cancellation slot
    expect(pool.stats().completed).toBe(initialSlotCount + 12); // blocker, the many, the last markRan
  });
});
