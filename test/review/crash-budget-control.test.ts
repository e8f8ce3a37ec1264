import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import { WorkerCrashedError } from '../../src/errors.js';
import { Clock } from '../../src/time/clock.js';
import * as px from '../fixtures/policy-tasks.js';
import * as cx from '../fixtures/control-tasks.js';
import * as tx from '../fixtures/thread-tasks.js';
import { built, changed, failureOf, gate, open, settled } from '../threads/thread-test-kit.js';
import type { Deferred } from '../../src/deferred/deferred.js';

describe('adaptive.crashBudget on a real pool, adversarial', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('counts the crashes of streamed runs and lets at most `crashes` streams of a task that always crashes reach a worker', async () => {
    reactor = new Reactor({
      policy: { threads: { maxThreads: 2 }, rules: [{ match: { task: 'crashCounted' }, route: 'thread' }], adaptive: { crashBudget: { crashes: 2, windowMs: 60_000, then: 'fail' } } },
    });
    const runs = new Int32Array(new SharedArrayBuffer(4));
    const task = built(px.crashCounted);
    const streams = Array.from({ length: 20 }, () => reactor.stream(task, runs));
    const errors = await Promise.all(streams.map((s) => failureOf(s.result)));
    expect(errors.every((e) => e instanceof WorkerCrashedError)).toBe(true);
    expect(Atomics.load(runs, 0)).toBe(2);
    expect(reactor.explain(task, runs).reason).toContain('crash budget spent: 2 worker crashes');
    expect(reactor.stats().threads.crashed).toBe(2);
  });

  it("fails a stream held back when the budget is spent with 'green' with WorkerCrashedError saying why (it cannot move in-process), and routes later streams in-process", async () => {
    reactor = new Reactor({
      policy: { threads: { maxThreads: 1 }, rules: [{ match: { task: 'streamCrashOnThreads' }, route: 'thread' }], adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then: 'green' } } },
    });
    const runs = new Int32Array(new SharedArrayBuffer(4));
    const task = built(cx.streamCrashOnThreads);
    const streams = Array.from({ length: 3 }, () => reactor.stream(task, runs));
    const outcomes = await Promise.all(streams.map((s) => settled(s.result)));
    expect(outcomes.map((o) => (o.ok ? o.value : o.error.constructor.name))).toEqual(['WorkerCrashedError', 'WorkerCrashedError', 'WorkerCrashedError']);
    expect(Atomics.load(runs, 0)).toBe(1);
    const held = outcomes.slice(1).map((o) => (o.ok ? '' : (o.error as Error).message));
    expect(held.every((m) => m.includes('a stream made for a worker cannot move in-process'))).toBe(true);
    expect(reactor.explain(task, runs).route).toBe('green');
    expect(await reactor.stream(task, runs).result).toBe('in-process');
  });

  it('ends calls held back by an unproven task\'s budget with TimeoutError when their withDeadline deadline passes; none of them ever runs', async () => {
    const clock = new Clock();
    reactor = new Reactor({
      clock,
      policy: { threads: { maxThreads: 2 }, rules: [{ match: { task: 'countThenHold' }, route: 'thread' }], adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then: 'fail' } } },
    });
    const cells = gate(2);
    const task = built(cx.countThenHold);
    // An unproven task with one crash left: one call in the pool at a time, the other four wait in the guard.
    const calls = reactor.withDeadline(100, () => Array.from({ length: 5 }, () => reactor.dispatch(task, cells)));
    await changed(cells, 0); // the first call runs (and holds its worker)
    clock.advance(100);
    const outcomes = await Promise.all(calls.map((d) => settled(d)));
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.error.constructor.name))).toEqual(Array(5).fill('TimeoutError'));
    open(cells);
    // The worker is free again once a later call (no deadline) runs; none of the four held calls ran before it.
    expect(await reactor.dispatch(task, cells)).toBe(2);
    expect(reactor.stats().threads.crashed).toBe(0);
  });

  it('counts every worker crash of a task with retries, retries included: a storm of 20 calls of a task that always crashes kills at most `crashes` workers', async () => {
    reactor = new Reactor({
      policy: { threads: { maxThreads: 2 }, rules: [{ match: { task: 'crashAlways' }, route: 'thread' }], adaptive: { crashBudget: { crashes: 2, windowMs: 60_000, then: 'fail' } } },
    });
    const runs = new Int32Array(new SharedArrayBuffer(4));
    const task = built(tx.crashAlways); // retries: 2
    const calls = Array.from({ length: 20 }, () => reactor.dispatch(task, runs));
    const errors = await Promise.all(calls.map((d) => failureOf(d)));
    expect(errors.every((e) => e instanceof WorkerCrashedError)).toBe(true);
    expect(Atomics.load(runs, 0)).toBeLessThanOrEqual(2);
    expect(reactor.explain(task, runs).reason).toContain('crash budget spent');
  });

  it('still retries a crashed call while the budget has room for the crash its retry may cost', async () => {
    reactor = new Reactor({
      policy: { threads: { maxThreads: 1 }, rules: [{ match: { task: 'crashOnce' }, route: 'thread' }], adaptive: { crashBudget: { crashes: 3, windowMs: 60_000, then: 'fail' } } },
    });
    const counter = new Int32Array(new SharedArrayBuffer(4));
    expect(await reactor.dispatch(built(tx.crashOnce), counter)).toBe(2); // crashed once, retried (retries: 2)
    expect(reactor.stats().threads.retried).toBe(1);
    expect(reactor.explain(built(tx.crashOnce), counter).reason).not.toContain('crash budget spent');
  });

  it('counts each crash once: two crashes of a budget of three leave it unspent, and the third call still reaches a worker', async () => {
    reactor = new Reactor({
      policy: { threads: { maxThreads: 1 }, rules: [{ match: { task: 'crashCounted' }, route: 'thread' }], adaptive: { crashBudget: { crashes: 3, windowMs: 60_000, then: 'fail' } } },
    });
    const runs = new Int32Array(new SharedArrayBuffer(4));
    const task = built(px.crashCounted);
    for (let i = 0; i < 2; i++) expect(await failureOf(reactor.dispatch(task, runs))).toBeInstanceOf(WorkerCrashedError);
    expect(reactor.explain(task, runs).reason).not.toContain('crash budget spent');
    expect(await failureOf(reactor.dispatch(task, runs))).toBeInstanceOf(WorkerCrashedError);
    expect(Atomics.load(runs, 0)).toBe(3);
    expect(reactor.explain(task, runs).reason).toContain('crash budget spent: 3 worker crashes');
  });

  it("runs the calls it moves in-process when the budget is spent ('green') in their callers' withDeadline scope: deadline() is the caller's", async () => {
    reactor = new Reactor({
      policy: { threads: { maxThreads: 1 }, rules: [{ match: { task: 'deadlineOrCrash' }, route: 'thread' }], adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then: 'green' } } },
    });
    const runs = new Int32Array(new SharedArrayBuffer(4));
    // Workers load the built module; in-process it runs the function of this copy of the library (whose deadline()
    // reads this copy's scopes), not the built copy's.
    const task = defineTask(built(cx.deadlineOrCrash).moduleUrl, 'deadlineOrCrash', cx.deadlineOrCrash.fn!);
    const before = Date.now();
    // The first call (no deadline) goes to the pool and crashes its worker; the two held back were dispatched in a
    // deadline scope of their own, which the code that drains them (the first call's) does not have.
    const first = reactor.dispatch(task, runs);
    const calls = [first, ...reactor.withDeadline(60_000, () => Array.from({ length: 2 }, () => reactor.dispatch(task, runs)))];
    const outcomes = await Promise.all(calls.map((d) => settled(d)));
    expect(outcomes[0]!.ok ? 'ok' : outcomes[0]!.error.constructor.name).toBe('WorkerCrashedError');
    for (const o of outcomes.slice(1)) {
      expect(o.ok).toBe(true);
      expect(o.ok ? o.value : null).toBeGreaterThanOrEqual(before + 60_000);
    }
    expect(Atomics.load(runs, 0)).toBe(1);
  });

  it("does not count against a task's budget the death of a worker another task crashed, which lost its finished result", async () => {
    reactor = new Reactor({
      policy: {
        // A long flushMs: the worker holds finished batch results while the calls after them are known to be quick.
        threads: { maxThreads: 1, coalesce: { flushMs: 60_000 }, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } },
        rules: [{ match: { task: 'countedRetried' }, route: 'thread' }],
        adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then: 'fail' } },
      },
    });
    const hoard = built(cx.hoardUnlessOpen);
    const openCells = gate(2);
    openCells[1] = 1;
    const behind = async (queue: () => Array<Deferred<unknown>>): Promise<Array<Deferred<unknown>>> => {
      const cells = gate(2);
      const blocker = reactor.deferToThread(built(tx.waitForGate), cells, 'blocker');
      await changed(cells);
      const queued = queue();
      open(cells);
      await blocker;
      return queued;
    };
    // The worker learns, in a batch, that hoardUnlessOpen is quick.
    expect(await Promise.all(await behind(() => Array.from({ length: 3 }, () => reactor.deferToThread(hoard, openCells))))).toEqual([1, 1, 1]);
    const counter = gate(2);
    const task = built(cx.countedRetried);
    const [counted, hoarding] = await behind(() => [reactor.dispatch(task, counter, 0), reactor.deferToThread(hoard, gate(2))]);
    const lost = await failureOf(counted!);
    expect(lost.message).toContain('ran to its end in its worker');
    expect(await failureOf(hoarding!)).toBeInstanceOf(WorkerCrashedError);
    expect(reactor.explain(task, counter, 0).reason).not.toContain('crash budget spent');
    expect(Atomics.load(counter, 0)).toBe(1);
  }, 30_000);
});
