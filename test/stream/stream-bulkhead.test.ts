import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { CancelledError } from '../../src/errors.js';
import * as fx from '../fixtures/stream-tasks.js';
import { built, changed, failureOf, gate, reaches, until } from '../threads/thread-test-kit.js';
import { drain } from './stream-test-kit.js';

const eight = Array.from({ length: 8 }, (_, i) => i);

describe('reactor.stream() under a rule with maxConcurrent', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('starts a thread stream only when the rule has a place free, like any call (two workers, maxConcurrent 1)', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 2 }, rules: [{ name: 'one', match: { task: 'countTo' }, route: 'thread', maxConcurrent: 1 }] } });
    const task = built(fx.countTo); // window 4: with nobody reading it blocks at emit 5, holding its place
    const [cellsA, cellsB] = [gate(2), gate(2)];
    const a = reactor.stream(task, 8, cellsA);
    const b = reactor.stream(task, 8, cellsB);
    expect(await changed(cellsA, 1, 0)).toBeGreaterThan(0);
    await reaches(cellsA, 1, 5);
    expect(reactor.stats().policy.bulkheads.one).toMatchObject({ maxConcurrent: 1, inFlight: 1, waiting: 1 });
    expect(Atomics.load(cellsB, 1)).toBe(0); // b's task never started, though a worker is free
    expect(await drain(a)).toEqual(eight);
    expect(await a.result).toBe(8);
    // a's place freed: b starts and streams everything.
    expect(await drain(b)).toEqual(eight);
    expect(await b.result).toBe(8);
    expect(reactor.stats().policy.bulkheads.one).toMatchObject({ inFlight: 0, waiting: 0 });
  });

  it('never starts a stream cancelled while it waits for a place; the next one takes the place', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 2 }, rules: [{ name: 'one', match: { task: 'countTo' }, route: 'thread', maxConcurrent: 1 }] } });
    const task = built(fx.countTo);
    const [cellsA, cellsB, cellsC] = [gate(2), gate(2), gate(2)];
    const a = reactor.stream(task, 8, cellsA);
    const b = reactor.stream(task, 8, cellsB);
    const c = reactor.stream(task, 8, cellsC);
    await reaches(cellsA, 1, 5);
    expect(reactor.stats().policy.bulkheads.one).toMatchObject({ inFlight: 1, waiting: 2 });
    b.cancel();
    await expect(drain(b)).rejects.toBeInstanceOf(CancelledError);
    expect(await failureOf(b.result)).toBeInstanceOf(CancelledError);
    expect(reactor.stats().policy.bulkheads.one).toMatchObject({ inFlight: 1, waiting: 1 });
    expect(await drain(a)).toEqual(eight);
    // Had b started, it would hold the only place (blocked at its 5th emit, nobody reading it) and c would never run.
    expect(await drain(c)).toEqual(eight);
    expect(await c.result).toBe(8);
    expect(Atomics.load(cellsB, 1)).toBe(0);
  });

  it('holds a green stream back the same way (maxConcurrent 1 on the green route)', async () => {
    reactor = new Reactor({ policy: { rules: [{ name: 'g1', match: { task: 'squaresGreen' }, route: 'green', maxConcurrent: 1 }] } });
    const task = built(fx.squaresGreen); // window 2: with nobody reading it parks at its 3rd emit, holding its place
    const a = reactor.stream(task, 5);
    const b = reactor.stream(task, 5);
    await until(() => (reactor.stats().green.tasks.squaresGreen?.streamedItems ?? 0) === 2);
    expect(reactor.stats().policy.bulkheads.g1).toMatchObject({ maxConcurrent: 1, inFlight: 1, waiting: 1, route: 'green' });
    expect(await drain(a)).toEqual([0, 1, 4, 9, 16]);
    expect(await drain(b)).toEqual([0, 1, 4, 9, 16]);
    expect(await b.result).toBe('squares(5)');
    expect(reactor.stats().policy.bulkheads.g1).toMatchObject({ inFlight: 0, waiting: 0 });
  });
});

describe('reactor.stats() of a stream on a named pool', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it("adds the stream's figures to its task's entry in that pool's stats, not to the reactor's pool's", async () => {
    reactor = new Reactor({
      policy: { threads: { maxThreads: 1 }, pools: { exports: { maxThreads: 1 } }, rules: [{ match: { task: 'countTo' }, route: 'thread', pool: 'exports' }] },
    });
    const s = reactor.stream(built(fx.countTo), 8);
    expect(await drain(s)).toEqual(eight);
    expect(await s.result).toBe(8);
    const stats = reactor.stats();
    expect(stats.pools?.exports?.tasks.countTo).toMatchObject({ runs: 1, streamedItems: 8 });
    expect(stats.threads.tasks).toEqual({});
  });
});
