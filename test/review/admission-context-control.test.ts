/**
 * The async context a call held back before its route starts in (SPEC §10: in-process code sees the stores of the
 * code that scheduled it): a call that waited in a rule's bulkhead, or was held back by the crash budget and moved
 * in-process, sees its caller's `AsyncLocalStorage` stores, never those of the code that freed its place.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Deferred } from '../../src/deferred/deferred.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';
import * as px from '../fixtures/policy-tasks.js';
import { built, settled } from '../threads/thread-test-kit.js';
import { successResultOf } from '../helpers/deferred-results.js';

const request = new AsyncLocalStorage<string>();
const gates = new Map<string, Deferred<void>>();
const seen: Array<[string, string | undefined]> = [];

export const parkedInContext = defineTask(
  import.meta.url,
  'parkedInContext',
  function* (name: string): Generator<unknown, string, unknown> {
    seen.push([name, request.getStore()]);
    const gate = new Deferred<void>();
    gates.set(name, gate);
    yield gate;
    seen.push([`${name} after`, request.getStore()]);
    return name;
  },
  { route: 'green' },
);

describe('a call that waited in a bulkhead (green, maxConcurrent 1)', () => {
  let reactor: Reactor;
  afterEach(async () => {
    for (const gate of gates.values()) if (!gate.called) gate.callback();
    await reactor.stop({ graceMs: 0 });
    gates.clear();
    seen.length = 0;
  });

  it("runs its greenlet in its caller's async context, not in that of the call whose end freed its place", () => {
    reactor = new Reactor({ clock: new Clock(), policy: { rules: [{ name: 'one', match: { task: 'parkedInContext' }, route: 'green', maxConcurrent: 1 }] } });
    const a = request.run('request a', () => reactor.dispatch(parkedInContext, 'a'));
    const b = request.run('request b', () => reactor.dispatch(parkedInContext, 'b'));
    reactor.hub.flush();
    request.run('elsewhere', () => gates.get('a')!.callback()); // a ends inside its greenlet: b is admitted there
    reactor.hub.flush();
    gates.get('b')!.callback();
    reactor.hub.flush();
    expect(successResultOf(a)).toBe('a');
    expect(successResultOf(b)).toBe('b');
    expect(seen).toEqual([
      ['a', 'request a'],
      ['a after', 'request a'],
      ['b', 'request b'],
      ['b after', 'request b'],
    ]);
  });
});

describe("calls held back by the crash budget and moved in-process (then: 'green')", () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it("run in their callers' async contexts, not in that of the crash that spent the budget", async () => {
    reactor = new Reactor({
      policy: { threads: { maxThreads: 1 }, rules: [{ match: { task: 'crashOnThreads' }, route: 'thread' }], adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then: 'green' } } },
    });
    const runs = new Int32Array(new SharedArrayBuffer(4));
    // Workers load the built module (it crashes there); in-process this function runs and reads the caller's store.
    const task = defineTask(built(px.crashOnThreads).moduleUrl, 'crashOnThreads', (_runs: Int32Array) => request.getStore());
    const calls = ['first', 'second', 'third'].map((name) => request.run(name, () => reactor.dispatch(task, runs)));
    const outcomes = await Promise.all(calls.map((d) => settled(d)));
    expect(outcomes.map((o) => (o.ok ? o.value : o.error.constructor.name))).toEqual(['WorkerCrashedError', 'second', 'third']);
    expect(Atomics.load(runs, 0)).toBe(1);
  });
});
