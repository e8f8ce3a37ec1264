import { describe, it, expect } from '@jest/globals';
import { LoopDelayMonitor } from '../../src/policy/loop-delay-monitor.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LoopDelayMonitor', () => {
  it('starts sampling only on the first read', () => {
    const monitor = new LoopDelayMonitor();
    expect(monitor.active).toBe(false);
    expect(monitor.p99()).toBe(0);
    expect(monitor.active).toBe(true);
    monitor.stop();
    expect(monitor.active).toBe(false);
  });

  it('reports non-negative percentiles in milliseconds, p50 <= p99 <= max', () => {
    const monitor = new LoopDelayMonitor({ windowMs: 60_000, resolutionMs: 1 });
    monitor.p99();
    const s = monitor.snapshot();
    expect(s.p50).toBeGreaterThanOrEqual(0);
    expect(s.p50).toBeLessThanOrEqual(s.p99);
    expect(s.p99).toBeLessThanOrEqual(s.max);
    monitor.stop();
  });

  it('sees a blocked event loop in its p99', async () => {
    const monitor = new LoopDelayMonitor({ windowMs: 60_000, resolutionMs: 1 });
    monitor.p99();
    // The histogram's first sample only sets its baseline: let it take one before blocking.
    await turn();
    await turn();
    const until = performance.now() + 40;
    while (performance.now() < until) {
      // hold the loop
    }
    // Two turns of the loop guarantee a timers phase ran, where the histogram takes its sample.
    await turn();
    await turn();
    expect(monitor.p99()).toBeGreaterThanOrEqual(30);
    monitor.stop();
  });
});
