/**
 * Adversarial tests of a rule's bulkhead (`maxConcurrent`) and the crash budget on real workers: a call that waited
 * in a bulkhead meets what changed while it waited (a crash budget spent by the call before it), the budget on a
 * named pool, and `stop()` with calls held in both gates.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { WorkerCrashedError } from '../../src/errors.js';
import * as cx from '../fixtures/control-tasks.js';
import * as px from '../fixtures/policy-tasks.js';
import { built, changed, gate, settled } from '../threads/thread-test-kit.js';

describe('a call waiting in a bulkhead while the call before it spends the crash budget', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each<['fail' | 'green', string]>([
    ['fail', 'WorkerCrashedError'],
    ['green', 'in-process'],
  ])("meets the spent budget when its place frees (then: '%s'): it ends with %s and never reaches a worker", async (then, outcome) => {
    reactor = new Reactor({
      policy: {
        threads: { maxThreads: 1 },
        rules: [{ name: 'one', match: { task: 'crashOnThreads' }, route: 'thread', maxConcurrent: 1 }],
        adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then } },
      },
    });
    const runs = new Int32Array(new SharedArrayBuffer(4));
    const task = built(px.crashOnThreads);
    // Both decided 'thread' now; the second waits in the bulkhead while the first crashes its worker.
    const calls = [reactor.dispatch(task, runs), reactor.dispatch(task, runs)];
    const outcomes = await Promise.all(calls.map((d) => settled(d)));
    const read = outcomes.map((o) => (o.ok ? o.value : o.error.constructor.name));
    expect(read).toEqual(['WorkerCrashedError', outcome]);
    const second = outcomes[1];
    if (then === 'fail' && second?.ok === false) {
      expect(second.error).toBeInstanceOf(WorkerCrashedError);
      expect((second.error as Error).message).toContain('crash budget spent');
    }
    expect(Atomics.load(runs, 0)).toBe(1);
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 0, waiting: 0 });
  });
});

describe('the crash budget on a named pool', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it("counts the crashes of a rule's task in its pool: a storm of 10 calls crashes `crashes` of the pool's workers and the reactor's pool none", async () => {
    reactor = new Reactor({
      policy: {
        pools: { fragile: { maxThreads: 2 } },
        rules: [{ name: 'fragile', match: { task: 'crashCounted' }, route: 'thread', pool: 'fragile' }],
        adaptive: { crashBudget: { crashes: 2, windowMs: 60_000, then: 'fail' } },
      },
    });
    const runs = new Int32Array(new SharedArrayBuffer(4));
    const task = built(px.crashCounted);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => settled(reactor.dispatch(task, runs))));
    expect(outcomes.every((o) => !o.ok && o.error instanceof WorkerCrashedError)).toBe(true);
    expect(Atomics.load(runs, 0)).toBe(2);
    const explained = reactor.explain(task, runs);
    expect(explained.reason).toContain('crash budget spent: 2 worker crashes');
    expect(reactor.stats().threads.crashed).toBe(0);
  });

  it("with then: 'green', runs the calls held back in-process once the pool's crashes spend it", async () => {
    reactor = new Reactor({
      policy: {
        pools: { fragile: { maxThreads: 1 } },
        rules: [{ name: 'fragile', match: { task: 'crashOnThreads' }, route: 'thread', pool: 'fragile', maxConcurrent: 2 }],
        adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then: 'green' } },
      },
    });
    const runs = new Int32Array(new SharedArrayBuffer(4));
    const task = built(px.crashOnThreads);
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => settled(reactor.dispatch(task, runs))));
    expect(outcomes.map((o) => (o.ok ? o.value : o.error.constructor.name))).toEqual(['WorkerCrashedError', 'in-process', 'in-process', 'in-process']);
    expect(Atomics.load(runs, 0)).toBe(1);
    expect(reactor.stats().policy.bulkheads['fragile']).toMatchObject({ inFlight: 0, waiting: 0, pool: 'fragile' });
  });
});

describe('reactor.stop() with calls held back by the crash budget and waiting in a bulkhead, on real workers', () => {
  it('errbacks every held call with ReactorStoppedError, ends the running one, and resolves', async () => {
    const reactor = new Reactor({
      policy: {
        threads: { maxThreads: 2 },
        rules: [{ name: 'two', match: { task: 'countThenHold' }, route: 'thread', maxConcurrent: 2 }],
        adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then: 'fail' } },
      },
    });
    const cells = gate(2);
    const task = built(cx.countThenHold);
    // An unproven task with one crash left: one call in the pool, one held by the budget, three in the bulkhead.
    const calls = Array.from({ length: 5 }, () => reactor.dispatch(task, cells));
    await changed(cells, 0);
    expect(reactor.stats().policy.bulkheads['two']).toMatchObject({ inFlight: 2, waiting: 3 });
    const outcomes = Promise.all(calls.map((d) => settled(d)));
    await reactor.stop({ graceMs: 0 });
    const read = (await outcomes).map((o) => (o.ok ? 'ok' : o.error.constructor.name));
    expect(read).toEqual(Array(5).fill('ReactorStoppedError'));
    expect((await outcomes).slice(1).every((o) => !o.ok && /waiting for its bulkhead or crash budget/.test((o.error as Error).message))).toBe(true);
    expect(Atomics.load(cells, 0)).toBe(1);
  });
});
