/**
 * A policy reload (`policy.update`, as `watch` applies a changed file) while a task's crash budget is spent, on real
 * workers: the budget in force after the reload judges the task, not the one that spent it.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { WorkerCrashedError } from '../../src/errors.js';
import { Clock } from '../../src/time/clock.js';
import type { PolicyConfig } from '../../src/policy/policy-schema.js';
import * as cx from '../fixtures/control-tasks.js';
import * as px from '../fixtures/policy-tasks.js';
import { built, changed, failureOf, gate, open, settled } from '../threads/thread-test-kit.js';

const onThreads = [{ match: { task: 'crashOnThreads' }, route: 'thread' as const }];
const budget = (crashes: number, then: 'green' | 'fail'): PolicyConfig => ({
  threads: { maxThreads: 1 },
  rules: onThreads,
  adaptive: { crashBudget: { crashes, windowMs: 60_000, then } },
});

describe('a reload after a task spent its crash budget', () => {
  let reactor: Reactor;
  const runs = new Int32Array(new SharedArrayBuffer(4));
  const task = built(px.crashOnThreads);

  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
    Atomics.store(runs, 0, 0);
  });

  async function spend(then: 'green' | 'fail'): Promise<void> {
    reactor = new Reactor({ policy: budget(1, then) });
    expect(await failureOf(reactor.dispatch(task, runs))).toBeInstanceOf(WorkerCrashedError);
    expect(reactor.explain(task, runs).reason).toContain('crash budget spent');
  }

  it("that switches then from 'fail' to 'green' runs the task in-process", async () => {
    await spend('fail');
    reactor.policy.update(budget(1, 'green'));
    expect(reactor.explain(task, runs).route).toBe('green');
    expect(await reactor.dispatch(task, runs)).toBe('in-process');
    expect(Atomics.load(runs, 0)).toBe(1);
  });

  it("that switches then from 'green' to 'fail' fails the task's calls at once without a worker", async () => {
    await spend('green');
    reactor.policy.update(budget(1, 'fail'));
    const error = await failureOf(reactor.dispatch(task, runs));
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as Error).message).toContain('was not sent to a worker');
    expect(Atomics.load(runs, 0)).toBe(1);
  });

  it('that removes the crash budget sends the task to threads again, as its rule says', async () => {
    await spend('fail');
    reactor.policy.update({ threads: { maxThreads: 1 }, rules: onThreads });
    expect(reactor.explain(task, runs)).toMatchObject({ route: 'thread' });
    expect(reactor.explain(task, runs).reason).not.toContain('crash budget');
    expect(await failureOf(reactor.dispatch(task, runs))).toBeInstanceOf(WorkerCrashedError);
    expect(Atomics.load(runs, 0)).toBe(2); // it reached a worker (and crashed it)
  });

  it('that raises crashes past the crashes counted sends the task to threads again until the new budget is spent', async () => {
    await spend('fail');
    reactor.policy.update(budget(2, 'fail'));
    expect(reactor.explain(task, runs).reason).not.toContain('crash budget spent');
    expect(await failureOf(reactor.dispatch(task, runs))).toBeInstanceOf(WorkerCrashedError);
    expect(Atomics.load(runs, 0)).toBe(2);
    expect(reactor.explain(task, runs).reason).toContain('crash budget spent: 2 worker crashes');
  });

  it('that keeps the same budget keeps it spent', async () => {
    await spend('fail');
    reactor.policy.update(budget(1, 'fail'));
    expect(await failureOf(reactor.dispatch(task, runs))).toBeInstanceOf(WorkerCrashedError);
    expect(Atomics.load(runs, 0)).toBe(1);
    expect(reactor.explain(task, runs).reason).toContain('crash budget spent: 1 worker crash within');
  });
});

describe('a reload that spends a crash budget while calls are held back by it', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('fails the held-back calls; none of them reaches a worker', async () => {
    const clock = new Clock();
    reactor = new Reactor({
      clock,
      policy: { threads: { maxThreads: 2 }, rules: [{ match: { task: 'countThenHold' }, route: 'thread' }], adaptive: { crashBudget: { crashes: 2, windowMs: 60_000, then: 'fail' } } },
    });
    const task = built(cx.countThenHold);
    // One crash of the task counted (as a pool reports it): an unproven task with one crash left, one call at a time.
    reactor.policy.recordCrash(task, clock.now());
    const cells = gate(2);
    const calls = [reactor.dispatch(task, cells), reactor.dispatch(task, cells), reactor.dispatch(task, cells)];
    await changed(cells, 0); // the first call holds its worker; the other two wait in the guard
    reactor.policy.update({ threads: { maxThreads: 2 }, rules: [{ match: { task: 'countThenHold' }, route: 'thread' }], adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then: 'fail' } } });
    open(cells);
    const outcomes = await Promise.all(calls.map((d) => settled(d)));
    expect(outcomes.map((o) => (o.ok ? o.value : o.error.constructor.name))).toEqual([1, 'WorkerCrashedError', 'WorkerCrashedError']);
    expect(Atomics.load(cells, 0)).toBe(1);
  });
});

describe('a reload while calls are held back by a crash budget, the call in the pool still running', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  const heldBy = (adaptive: PolicyConfig['adaptive']): PolicyConfig => ({
    threads: { maxThreads: 3 },
    rules: [{ match: { task: 'countThenHold' }, route: 'thread' }],
    ...(adaptive === undefined ? {} : { adaptive }),
  });

  it.each<[string, PolicyConfig['adaptive']]>([
    ['removes the budget', undefined],
    ['raises crashes', { crashBudget: { crashes: 3, windowMs: 60_000, then: 'fail' } }],
  ])('that %s sends the held calls to the pool at the reload, beside the running one', async (_what, adaptive) => {
    reactor = new Reactor({ clock: new Clock(), policy: heldBy({ crashBudget: { crashes: 1, windowMs: 60_000, then: 'fail' } }) });
    const task = built(cx.countThenHold);
    const cells = gate(2);
    // An unproven task with a budget of one crash: one call in the pool at a time, the other two held back.
    const calls = [reactor.dispatch(task, cells), reactor.dispatch(task, cells), reactor.dispatch(task, cells)];
    await changed(cells, 0);
    reactor.policy.update(heldBy(adaptive));
    await changed(cells, 0, 1); // another call reached a worker while the first still holds its own
    open(cells);
    const outcomes = await Promise.all(calls.map((d) => settled(d)));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(Atomics.load(cells, 0)).toBe(3);
  });

  it('that spends the budget fails the held calls at the reload, before the running one ends', async () => {
    const clock = new Clock();
    reactor = new Reactor({ clock, policy: heldBy({ crashBudget: { crashes: 2, windowMs: 60_000, then: 'fail' } }) });
    const task = built(cx.countThenHold);
    reactor.policy.recordCrash(task, clock.now()); // one crash counted: one call at a time
    const cells = gate(2);
    const calls = [reactor.dispatch(task, cells), reactor.dispatch(task, cells), reactor.dispatch(task, cells)];
    await changed(cells, 0);
    reactor.policy.update(heldBy({ crashBudget: { crashes: 1, windowMs: 60_000, then: 'fail' } }));
    const held = await Promise.all(calls.slice(1).map((d) => failureOf(d)));
    expect(held.every((e) => e instanceof WorkerCrashedError && e.message.includes('was not sent to a worker'))).toBe(true);
    expect(calls[0]!.called).toBe(false);
    open(cells);
    expect(await calls[0]).toBe(1);
    expect(Atomics.load(cells, 0)).toBe(1);
  });
});
