import { describe, it, expect } from '@jest/globals';
import { optionsFromPolicy } from '../../src/reactor/options-from-policy.js';
import { Clock } from '../../src/time/clock.js';

describe('optionsFromPolicy()', () => {
  it("gives the pool the policy's threads section and the reactor's clock", () => {
    const clock = new Clock();
    expect(optionsFromPolicy({ threads: { maxThreads: 3, cancelGraceMs: 10 } }, clock).threadPool).toEqual({
      maxThreads: 3,
      cancelGraceMs: 10,
      clock,
    });
  });

  it("passes the threads section's coalesce setting to the pool, and a config that sets it validates", async () => {
    const { Policy } = await import('../../src/policy/policy.js');
    const clock = new Clock();
    for (const coalesce of [false, { maxBatch: 16, maxArgBytes: 1024, flushMs: 1 }] as const) {
      const policy = new Policy({ threads: { coalesce } });
      expect(optionsFromPolicy(policy.config, clock).threadPool.coalesce).toEqual(coalesce);
    }
    expect(() => new Policy({ threads: { coalesce: true as never } })).toThrow(/threads\/coalesce/);
  });

  it("passes the threads section's recycle limits to the pool, and refuses limits that are not positive", async () => {
    const { Policy } = await import('../../src/policy/policy.js');
    const clock = new Clock();
    const recycle = { maxTasks: 100, maxHeapMb: 256, maxAgeMs: 60_000 };
    expect(optionsFromPolicy(new Policy({ threads: { recycle } }).config, clock).threadPool.recycle).toEqual(recycle);
    expect(() => new Policy({ threads: { recycle: { maxTasks: 0 } } })).toThrow(/threads\/recycle\/maxTasks/);
    expect(() => new Policy({ threads: { recycle: { maxAgeMs: 0 } } })).toThrow(/threads\/recycle\/maxAgeMs/);
    expect(() => new Policy({ threads: { recycle: { maxRuns: 5 } as never } })).toThrow(/threads\/recycle\/maxRuns/);
  });

  it("gives the hub the policy's green section and the reactor's clock", () => {
    const clock = new Clock();
    expect(optionsFromPolicy({ green: { sliceMs: 2, blockingThresholdMs: 9, maxGreenlets: 5 } }, clock).hub).toEqual({
      sliceMs: 2,
      blockingThresholdMs: 9,
      maxGreenlets: 5,
      clock,
    });
  });

  it('gives only the clock when the policy has no threads or green section', () => {
    const clock = new Clock();
    expect(optionsFromPolicy({}, clock)).toEqual({ threadPool: { clock }, hub: { clock }, pools: {} });
  });

  it('gives each named pool its options and the reactor\'s clock', () => {
    const clock = new Clock();
    expect(optionsFromPolicy({ pools: { images: { maxThreads: 2, maxQueue: 8 } } }, clock).pools).toEqual({ images: { maxThreads: 2, maxQueue: 8, clock } });
  });

  it("gives the hub the reactor's wall-time source when it has one", () => {
    const clock = new Clock();
    const now = (): number => 7;
    expect(optionsFromPolicy({}, clock, now).hub).toEqual({ clock, now });
  });
});
