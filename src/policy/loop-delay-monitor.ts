/**
 * Event-loop delay over a rolling window, for `match.loopDelayMs` and `stats()`.
 *
 * Wraps `perf_hooks.monitorEventLoopDelay`, started lazily on the first read (an app that never asks
 * pays nothing). Its sampling timer is unref'd by Node, so the monitor keeps no process alive. The
 * window rolls on reads: once `windowMs` has passed the histogram is reset and the finished window's
 * percentiles are kept, so a reading covers between one and two windows of recent history.
 *
 * @module
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

/** Options of {@link LoopDelayMonitor}. */
export interface LoopDelayMonitorOptions {
  /**
   * Length of one window (ms).
   * @defaultValue 1000
   */
  windowMs?: number;
  /**
   * Sampling resolution of the underlying histogram (ms).
   * @defaultValue 10
   */
  resolutionMs?: number;
  /**
   * Makes the histogram (tests pass one with known values, in nanoseconds as Node's are).
   * @defaultValue `monitorEventLoopDelay({ resolution })`
   */
  histogram?: (resolutionMs: number) => DelayHistogram;
  /**
   * The time (ms) the window rolls on.
   * @defaultValue performance.now
   */
  now?: () => number;
}

/** What the monitor reads of a `monitorEventLoopDelay` histogram; its values are in nanoseconds. */
export type DelayHistogram = Pick<IntervalHistogram, 'enable' | 'disable' | 'reset' | 'percentile' | 'count' | 'max'>;

/** Event-loop delay percentiles (ms) over a rolling window. */
export interface LoopDelaySnapshot {
  /** Median delay (ms). */
  p50: number;
  /** 99th percentile delay (ms). */
  p99: number;
  /** Largest delay seen (ms). */
  max: number;
}

const zero: LoopDelaySnapshot = Object.freeze({ p50: 0, p99: 0, max: 0 });

/** Measures event-loop delay percentiles over a rolling window; lazy and unref'd. */
export class LoopDelayMonitor {
  readonly #windowMs: number;
  readonly #resolutionMs: number;
  readonly #makeHistogram: (resolutionMs: number) => DelayHistogram;
  readonly #now: () => number;
  #histogram: DelayHistogram | undefined;
  #windowStart = 0;
  #previous: LoopDelaySnapshot = zero;

  /** @param options - window length, sampling resolution, and (for tests) the histogram and the time. */
  constructor(options: LoopDelayMonitorOptions = {}) {
    this.#windowMs = options.windowMs ?? 1000;
    this.#resolutionMs = options.resolutionMs ?? 10;
    this.#makeHistogram = options.histogram ?? ((resolution) => monitorEventLoopDelay({ resolution }));
    this.#now = options.now ?? (() => performance.now());
  }

  /** True once sampling started (after the first read). */
  get active(): boolean {
    return this.#histogram !== undefined;
  }

  /** The delay p99 (ms) over the rolling window; starts sampling on first use (then reads 0). */
  p99(): number {
    return this.snapshot().p99;
  }

  /** The delay percentiles (ms) over the rolling window; starts sampling on first use. */
  snapshot(): LoopDelaySnapshot {
    const h = this.#start();
    const now = this.#now();
    if (now - this.#windowStart >= this.#windowMs) {
      this.#previous = read(h);
      h.reset();
      this.#windowStart = now;
      return this.#previous;
    }
    const current = read(h);
    return {
      p50: Math.max(current.p50, this.#previous.p50),
      p99: Math.max(current.p99, this.#previous.p99),
      max: Math.max(current.max, this.#previous.max),
    };
  }

  /** Stops sampling; a later read starts it again. */
  stop(): void {
    this.#histogram?.disable();
    this.#histogram = undefined;
    this.#previous = zero;
  }

  #start(): DelayHistogram {
    if (this.#histogram === undefined) {
      this.#histogram = this.#makeHistogram(this.#resolutionMs);
      this.#histogram.enable();
      this.#windowStart = this.#now();
    }
    return this.#histogram;
  }
}

/** Node's histogram counts nanoseconds; the snapshot is in milliseconds. */
function read(h: DelayHistogram): LoopDelaySnapshot {
  if (h.count === 0) return zero;
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
}
