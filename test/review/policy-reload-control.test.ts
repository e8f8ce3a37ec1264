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
    expect(reactor.explain(task, runs).reason).toContain('crash budget spent: 1 worker crashes');
  });
});

describe('a reload that spends a crash budget while calls are held back by it', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('fails the held-back calls once the call in the pool ends; none of them reaches a worker', async () => {
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
