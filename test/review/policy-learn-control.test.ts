/**
 * `auto` learning with a `'learn'` listener that throws: `auto` learns inside a call (a timed inline run, an inline
 * run that turns out asynchronous, a thread run's timing), and what a listener throws must not reach that call or
 * escape `dispatch`. The call keeps its own outcome; the throw becomes a process warning (as for `'change'`).
 *
 * @module
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import * as tx from '../fixtures/thread-tasks.js';
import { built } from '../threads/thread-test-kit.js';

/** Resolves with the arguments of the next `process.emitWarning` call. */
function nextWarning(): Promise<unknown[]> {
  return new Promise((resolve) => {
    jest.spyOn(process, 'emitWarning').mockImplementation((...args: unknown[]) => resolve(args));
  });
}

let turnsAsync = false;
/** Synchronous until the test flips it; then it returns a Promise (auto learns it is asynchronous). */
export const turnsAsyncLater = defineTask(import.meta.url, 'turnsAsyncLater', (x: number): unknown => (turnsAsync ? Promise.resolve(x) : x), {
  kind: 'io',
});

describe("a 'learn' listener that throws", () => {
  let reactor: Reactor;
  afterEach(async () => {
    jest.restoreAllMocks();
    turnsAsync = false;
    await reactor.stop({ graceMs: 0 });
  });

  function throwingLearner(): void {
    reactor.policy.on('learn', () => {
      throw new RangeError('learn listener broke');
    });
  }

  it('does not escape dispatch when an untimed inline run of an auto task returns a Promise; the call gets its value', async () => {
    reactor = new Reactor({ policy: { adaptive: { sampleSize: 1 } } });
    expect(await reactor.dispatch(turnsAsyncLater, 1)).toBe(1); // timed: the in-process window (1 run) is full
    throwingLearner();
    const warned = nextWarning();
    turnsAsync = true;
    let d: ReturnType<Reactor['dispatch']> | undefined;
    expect(() => (d = reactor.dispatch(turnsAsyncLater, 2))).not.toThrow();
    expect(await d).toBe(2);
    expect(String((await warned)[0])).toMatch(/'learn' listener .* threw: learn listener broke/);
    expect(reactor.explain(turnsAsyncLater, 3).route).toBe('green');
  });

  it("does not fail a timed inline run whose time moves the task; the call gets the task's value", async () => {
    reactor = new Reactor({ policy: { adaptive: { sampleSize: 1, blockingThresholdMs: 0 } } });
    throwingLearner();
    const warned = nextWarning();
    // Its first run is timed; any time > 0 ms passes blockingThresholdMs 0 and moves it to threads.
    const spin = defineTask(import.meta.url, 'spinsOneMs', () => {
      const end = performance.now() + 1;
      while (performance.now() < end);
      return 'ran';
    }, { kind: 'io' });
    expect(await reactor.dispatch(spin)).toBe('ran');
    expect(String((await warned)[0])).toMatch(/'learn' listener .* threw: learn listener broke/);
    expect(reactor.explain(spin).route).toBe('thread');
  });

  it('does not fail a thread run whose timing moves the task in-process; the call gets its value', async () => {
    reactor = new Reactor({ policy: { adaptive: { sampleSize: 1, minThreadRunMs: 60_000 } } });
    throwingLearner();
    const warned = nextWarning();
    const task = built(tx.add); // no kind: starts on threads; one run under 60 s moves it in-process
    expect(await reactor.dispatch(task, 1, 2)).toBe(3);
    expect(String((await warned)[0])).toMatch(/'learn' listener .* threw: learn listener broke/);
    expect(reactor.explain(task, 1, 2).route).toBe('inline');
  });
});
