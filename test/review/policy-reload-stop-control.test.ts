/**
 * Adversarial tests of `reload()` (`policy.update`) racing `stop()` while a storm of crashing calls runs in a named
 * pool, with coalescing on (the default), a bulkhead and a crash budget: the reload removes the rule and the pool
 * the calls were sent to. Every call's Deferred fires exactly once, `stop()` ends, and nothing escapes to the process.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import type { PolicyConfig } from '../../src/policy/policy-schema.js';
import type { Deferred } from '../../src/deferred/deferred.js';
import * as px from '../fixtures/policy-tasks.js';
import { built, countFirings, until, watchUnhandled, type UnhandledWatch } from '../threads/thread-test-kit.js';

const storm: PolicyConfig = {
  threads: { maxThreads: 2 },
  pools: { crashes: { maxThreads: 2 } },
  rules: [
    { name: 'storm', match: { task: 'crashCounted' }, route: 'thread', pool: 'crashes', maxConcurrent: 3 },
    { name: 'quick', match: { task: 'pause' }, route: 'thread', pool: 'crashes' },
  ],
  adaptive: { crashBudget: { crashes: 6, windowMs: 60_000, then: 'fail' } },
};
/** The reload: the storm's rules and their pool gone, the crash budget too. */
const calm: PolicyConfig = { threads: { maxThreads: 2 } };

describe('reload() racing stop() under a crash storm in a named pool', () => {
  let reactor: Reactor | undefined;
  let watch: UnhandledWatch | undefined;
  afterEach(async () => {
    await reactor?.stop({ graceMs: 0 });
    reactor = undefined;
    watch?.stop();
    watch = undefined;
  });

  const runs = new Int32Array(new SharedArrayBuffer(4));
  /** Until a worker ran `crashCounted` (it counts the run, then exits; it notifies nobody): polled, 20 s at most. */
  const crashed = async (): Promise<void> => {
    for (let waited = 0; Atomics.load(runs, 0) === 0; waited += 5) {
      if (waited > 20_000) throw new Error('no crashCounted run reached a worker in 20 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  it.each<[string, (r: Reactor) => Promise<void>]>([
    [
      'reload, then stop, in one turn',
      (r) => {
        r.policy.update(calm);
        return r.stop({ graceMs: 0 });
      },
    ],
    [
      'stop, then reload, in one turn',
      (r) => {
        const stopping = r.stop({ graceMs: 0 });
        r.policy.update(calm);
        return stopping;
      },
    ],
    [
      'after the first crash: stop with a grace, the reload within it',
      async (r) => {
        await crashed(); // the storm reached a worker
        const stopping = r.stop({ graceMs: 200 });
        await Promise.resolve();
        r.policy.update(calm);
        return stopping;
      },
    ],
    [
      'after the first crash: reload, then stop with a grace',
      async (r) => {
        await crashed();
        r.policy.update(calm);
        return r.stop({ graceMs: 200 });
      },
    ],
  ])('%s: every call fires exactly once, stop() ends, nothing escapes', async (_what, race) => {
    watch = watchUnhandled();
    Atomics.store(runs, 0, 0);
    const r = new Reactor({ policy: storm });
    reactor = r;
    const crashing = built(px.crashCounted);
    const quick = built(px.pause);
    const calls: Array<Deferred<unknown>> = [];
    for (let i = 0; i < 24; i++) calls.push(r.dispatch(crashing, runs), r.dispatch(quick, 0));
    const firings = calls.map((d) => countFirings(d));
    await race(r);
    // stop() has ended: every call has its outcome now (waiting a little more only to name a straggler).
    const unfiredAtStop = firings.flatMap((f, i) => (f.count === 0 ? [i % 2 === 0 ? 'crashCounted' : 'pause'] : []));
    await until(() => firings.every((f) => f.count > 0)).catch(() => undefined);
    expect(unfiredAtStop).toEqual([]);
    expect(firings.map((f) => f.count)).toEqual(calls.map(() => 1));
    // Its bulkhead is left as the reload found it: a stopping reactor no longer follows its policy's reloads.
    expect(r.stats().policy.bulkheads['storm'] ?? { inFlight: 0, waiting: 0 }).toMatchObject({ inFlight: 0, waiting: 0 });
    calls.length = 0;
    await watch.settle();
    expect(watch.escaped).toEqual([]);
    expect(watch.reported).toEqual([]);
  });
});
