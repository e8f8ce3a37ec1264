/**
 * Records event-loop delay while a benchmark runs.
 *
 * For greenreactor a fast path that freezes the loop is a failure, so every throughput figure
 * carries the loop delay measured over the same interval. This wraps
 * `perf_hooks.monitorEventLoopDelay`: a libuv timer that notes how late it fires.
 *
 * @module
 */
import { monitorEventLoopDelay, type Histogram, type IntervalHistogram } from 'node:perf_hooks';

/** Loop delay percentiles in milliseconds over one recording. */
export interface LoopDelaySummary {
  /** Median delay. */
  readonly p50Ms: number;
  /** 99th percentile delay. */
  readonly p99Ms: number;
  /** Worst delay seen. */
  readonly maxMs: number;
  /** Mean delay. */
  readonly meanMs: number;
  /** How many timer ticks were observed (a blocked loop gives few). */
  readonly count: number;
}

/** A recording that observed nothing (the loop never turned). */
export const emptyLoopDelay: LoopDelaySummary = Object.freeze({ p50Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0, count: 0 });

const nsPerMs = 1e6;
const round = (ms: number): number => Math.round(ms * 1000) / 1000;
// Node's histogram records the whole interval between timer wake-ups, the sampling interval
// included (an idle loop at resolution 5 reads ~5 ms), so the interval is subtracted to get delay.
const delayMs = (ns: number, resolutionMs: number): number => round(Math.max(0, ns / nsPerMs - resolutionMs));

/**
 * Measures event-loop delay between `start()` and `stop()`.
 *
 * Use one recorder per measured run; `stop()` returns the summary and releases the timer, so a
 * recorder left around holds no handle.
 *
 * @example
 * ```ts
 * const rec = new LoopDelayRecorder();
 * rec.start();
 * await work();
 * const { p99Ms } = rec.stop();
 * ```
 */
export class LoopDelayRecorder {
  #histogram: IntervalHistogram | undefined;
  readonly #resolutionMs: number;

  /**
   * @param resolutionMs - sampling interval of the timer in ms (Node's minimum is 1). A smaller
   *   interval sees shorter stalls but costs more wake-ups. @defaultValue 2
   */
  constructor(resolutionMs = 2) {
    if (!(Number.isInteger(resolutionMs) && resolutionMs >= 1)) {
      throw new TypeError(`Expected \`resolutionMs\` to be an integer >= 1, got \`${String(resolutionMs)}\` (${typeof resolutionMs})`);
    }
    this.#resolutionMs = resolutionMs;
  }

  /** Starts (or restarts) recording. */
  start(): void {
    this.#histogram?.disable();
    this.#histogram = monitorEventLoopDelay({ resolution: this.#resolutionMs });
    this.#histogram.enable();
  }

  /**
   * Stops recording and summarises it.
   * @returns the percentiles; {@link emptyLoopDelay} if the loop never turned or `start` was not called.
   */
  stop(): LoopDelaySummary {
    const h = this.#histogram;
    this.#histogram = undefined;
    if (h === undefined) return emptyLoopDelay;
    h.disable();
    return summariseLoopDelay(h, this.#resolutionMs);
  }
}

/**
 * Summarises a histogram of timer wake-up intervals as loop delay: each interval less the timer's own period, in ms.
 *
 * The one conversion every loop-delay figure goes through, whether the histogram is Node's `monitorEventLoopDelay`
 * ({@link LoopDelayRecorder}) or one a helper records itself from its own timer (`measure-interleaved.ts`,
 * `measure-sustained.ts`, the threads suite's held-results row), so that the rows of every suite compare.
 * @param histogram - intervals between wake-ups in ns, the timer's period included.
 * @param resolutionMs - the timer's period in ms.
 * @returns the percentiles; {@link emptyLoopDelay} when nothing was recorded.
 */
export function summariseLoopDelay(histogram: Histogram, resolutionMs: number): LoopDelaySummary {
  if (histogram.count === 0) return emptyLoopDelay;
  return {
    p50Ms: delayMs(histogram.percentile(50), resolutionMs),
    p99Ms: delayMs(histogram.percentile(99), resolutionMs),
    maxMs: delayMs(histogram.max, resolutionMs),
    meanMs: delayMs(histogram.mean, resolutionMs),
    count: histogram.count,
  };
}
