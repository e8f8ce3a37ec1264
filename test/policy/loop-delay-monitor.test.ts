import { describe, it, expect } from '@jest/globals';
import { LoopDelayMonitor, type DelayHistogram } from '../../src/policy/loop-delay-monitor.js';
import { nextTurn } from '../helpers/next-turn.js';

/** Holds the event loop for `ms` without burning CPU (a real pause of the main thread). */
const holdLoop = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** A histogram with set values in nanoseconds, as Node's `monitorEventLoopDelay` reports them. */
class FakeHistogram implements DelayHistogram {
  count = 0;
  max = 0;
  values: Record<number, number> = {};
  resets = 0;
  enable(): boolean {
    return true;
  }
  disable(): boolean {
    return true;
  }
  reset(): void {
    this.resets += 1;
    this.count = 0;
    this.max = 0;
    this.values = {};
  }
  percentile(p: number): number {
    return this.values[p] ?? 0;
  }
  set(p50Ns: number, p99Ns: number, maxNs: number): void {
    this.count = 10;
    this.values = { 50: p50Ns, 99: p99Ns };
    this.max = maxNs;
  }
}

describe('LoopDelayMonitor', () => {
  it('starts sampling only on the first read', () => {
    const monitor = new LoopDelayMonitor();
    expect(monitor.active).toBe(false);
    expect(monitor.p99()).toBe(0);
    expect(monitor.active).toBe(true);
    monitor.stop();
    expect(monitor.active).toBe(false);
  });

  it("converts the histogram's nanoseconds to milliseconds", () => {
    const h = new FakeHistogram();
    const monitor = new LoopDelayMonitor({ histogram: () => h, now: () => 0 });
    monitor.p99();
    h.set(2_500_000, 40_000_000, 41_000_000);
    expect(monitor.snapshot()).toEqual({ p50: 2.5, p99: 40, max: 41 });
    monitor.stop();
  });

  it('rolls the window on reads and keeps the finished window until the next one ends', () => {
    const h = new FakeHistogram();
    let now = 0;
    const monitor = new LoopDelayMonitor({ windowMs: 1000, histogram: () => h, now: () => now });
    monitor.p99();
    h.set(1_000_000, 30_000_000, 30_000_000);
    now = 999;
    expect(monitor.p99()).toBe(30);
    expect(h.resets).toBe(0);
    now = 1000; // the window ends: its figures are kept, the histogram starts afresh
    expect(monitor.p99()).toBe(30);
    expect(h.resets).toBe(1);
    h.set(1_000_000, 5_000_000, 5_000_000);
    now = 1500;
    expect(monitor.snapshot()).toEqual({ p50: 1, p99: 30, max: 30 });
    now = 2000;
    expect(monitor.p99()).toBe(5);
    monitor.stop();
  });

  it('sees a held event loop in its p99, in milliseconds', async () => {
    const monitor = new LoopDelayMonitor({ windowMs: 60_000, resolutionMs: 1 });
    monitor.p99();
    // The histogram's first timer tick only sets its baseline: wait until a delay has been recorded.
    while (monitor.snapshot().max === 0) await nextTurn();
    holdLoop(60);
    // Two turns of the loop guarantee a timers phase ran, where the histogram takes its sample.
    await nextTurn();
    await nextTurn();
    const p99 = monitor.p99();
    expect(p99).toBeGreaterThanOrEqual(50);
    expect(p99).toBeLessThan(10_000); // 60 ms read in µs would be 60,000
    monitor.stop();
  });
});
