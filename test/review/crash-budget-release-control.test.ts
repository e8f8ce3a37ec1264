/**
 * The crash budget's gate bounds how many calls of a task that may crash are in the thread pool at once. A call
 * cancelled (or timed out) while its task runs on in its worker, deaf to its signal, can still crash that worker:
 * it keeps its place until the worker lets go of it (`runsOn`, the reactor's `whenRouteLetsGo`), while its caller's
 * Deferred fails at once. Without that, the next held call went to the pool beside it, past the budget's bound.
 *
 * The route is faked (a Deferred per call, and a `runsOn` that says the task runs on until told): what is pinned is
 * the gate's wiring; the signal itself is pinned on real workers in bulkhead-release-control.
 *
 * @module
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError } from '../../src/errors.js';
import { defineTask, type Task } from '../../src/task/task.js';
import { Policy } from '../../src/policy/policy.js';
import { PolicyDispatcher, type DispatchTargets } from '../../src/policy/policy-dispatcher.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

const mayCrash = defineTask(import.meta.url, 'mayCrash', (n: number) => n);

interface Route {
  targets: DispatchTargets;
  /** The thread calls the pool was handed, in order. */
  calls: Array<Deferred<unknown>>;
  /** The `free` of each failed call said to run on, in order. */
  runningOn: Array<() => void>;
}

function route(clock: Clock): Route {
  const calls: Array<Deferred<unknown>> = [];
  const runningOn: Array<() => void> = [];
  const targets: DispatchTargets = {
    clock,
    load: { threadQueue: 0, loopDelayMs: 0 },
    threadPool: {
      run(_task: Task) {
        const d = new Deferred<unknown>();
        calls.push(d);
        return d;
      },
    },
    spawnDeferred() {
      return new Deferred<unknown>();
    },
    runsOn: (_inner, free) => {
      runningOn.push(free);
      return true;
    },
  };
  return { targets, calls, runningOn };
}

describe("the crash budget's gate and a call whose task runs on after its cancel", () => {
  let clock: Clock;
  beforeEach(() => {
    clock = new Clock();
  });

  it('keeps its place: the held call reaches the pool only once the cancelled one let go of its worker', () => {
    const r = route(clock);
    const dispatcher = new PolicyDispatcher(Policy.load({ default: 'thread', adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then: 'fail' } } }), r.targets);
    const first = dispatcher.dispatch(mayCrash, [1]);
    const second = dispatcher.dispatch(mayCrash, [2]);
    expect(r.calls).toHaveLength(1); // one call of a task not yet proven at once: the second is held back
    first.cancel();
    failureResultOf(first, CancelledError); // the caller's error comes at once
    expect(r.runningOn).toHaveLength(1);
    expect(r.calls).toHaveLength(1); // its task runs on: the second is still held
    r.runningOn[0]!();
    expect(r.calls).toHaveLength(2);
    r.calls[1]!.callback(2);
    expect(successResultOf(second)).toBe(2);
  });

  it('a call that ended with its own result frees its place at once (runsOn is asked only of failed calls)', () => {
    const r = route(clock);
    const dispatcher = new PolicyDispatcher(Policy.load({ default: 'thread', adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then: 'fail' } } }), r.targets);
    const first = dispatcher.dispatch(mayCrash, [1]);
    dispatcher.dispatch(mayCrash, [2]);
    r.calls[0]!.callback(1);
    expect(successResultOf(first)).toBe(1);
    expect(r.runningOn).toHaveLength(0);
    expect(r.calls).toHaveLength(2);
  });
});
