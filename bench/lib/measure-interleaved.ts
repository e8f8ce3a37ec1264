/**
 * Measures a workload's variants in interleaved rounds (baseline, variant, baseline, …) with tinybench, so a burst
 * of load from another process spoils one short round of one variant, not a whole variant. Records each variant's
 * event-loop delay beside its throughput. Used by the suites whose variants share workers and must alternate
 * (threads, streams); `measure-comparison.ts` measures variants one after another instead.
 *
 * @module
 */
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import { Bench } from 'tinybench';
import { resultGroup, type MeasuredRow } from './result-group.js';
import type { ResultGroup } from './suite-result.js';

/** One way of running the workload: `run` does one sample (a whole batch). */
export interface InterleavedVariant {
  readonly name: string;
  readonly run: () => unknown;
}

/** A workload and the variants compared on it. */
export interface InterleavedWorkload {
  readonly name: string;
  readonly description: string;
  /** Operations per sample. */
  readonly batch: number;
  /** The variant every ratio is relative to. */
  readonly baseline: string;
  readonly variants: readonly InterleavedVariant[];
}

/** How long and how often to measure. */
export interface InterleavedBudget {
  /** Rounds; each runs every variant once. */
  readonly rounds: number;
  /** tinybench time budget per variant and round (ms). */
  readonly timeMs: number;
  /** tinybench minimum samples per variant and round. */
  readonly iterations: number;
}

const round4 = (x: number): number => Math.round(x * 10000) / 10000;
const nsToMs = (ns: number): number => Math.round((ns / 1e6) * 1000) / 1000;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * The intervals between timer ticks while a variant runs, over all its rounds (ns, the resolution included).
 *
 * Why not `monitorEventLoopDelay` enabled per round: re-enabled, it records the whole time it was disabled (the
 * other variants' rounds) as one interval — a ~300 ms "delay" in every row with several rounds.
 */
class LoopTicks {
  readonly histogram: RecordableHistogram = createHistogram();
  readonly #resolutionMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #last = 0;

  constructor(resolutionMs: number) {
    this.#resolutionMs = resolutionMs;
  }

  start(): void {
    this.#last = performance.now();
    this.#timer = setInterval(() => {
      const now = performance.now();
      this.histogram.record(Math.max(1, Math.round((now - this.#last) * 1e6)));
      this.#last = now;
    }, this.#resolutionMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Runs each variant for `budget.rounds` rounds, interleaved; merges each variant's samples into one row.
 * @param suite - the suite's name, for the progress lines.
 * @param workload - the workload and its variants.
 * @param budget - rounds, time and minimum samples.
 * @param log - progress printer.
 * @returns the result group, with ratios against the workload's baseline.
 */
export async function measureInterleaved(
  suite: string,
  workload: InterleavedWorkload,
  budget: InterleavedBudget,
  log: (line: string) => void,
): Promise<ResultGroup> {
  const samples = new Map<string, number[]>(workload.variants.map((v) => [v.name, []]));
  const delays = new Map<string, LoopTicks>(workload.variants.map((v) => [v.name, new LoopTicks(2)]));
  for (let r = 0; r < budget.rounds; r++) {
    for (const variant of workload.variants) {
      const delay = delays.get(variant.name)!;
      const bench = new Bench({
        time: budget.timeMs,
        iterations: budget.iterations,
        warmupTime: 0,
        warmupIterations: r === 0 ? 1 : 0,
        retainSamples: true,
        throws: true,
      });
      bench.add(variant.name, async () => {
        await variant.run();
      }, {
        beforeAll: (mode) => {
          if (mode === 'run') delay.start();
        },
        afterAll: (mode) => {
          if (mode === 'run') delay.stop();
        },
      });
      await bench.run();
      const result = bench.tasks[0]?.result;
      if (result !== undefined && 'latency' in result) samples.get(variant.name)!.push(...(result.latency.samples ?? []));
    }
  }
  const rows: MeasuredRow[] = workload.variants.map((variant) => {
    const s = [...samples.get(variant.name)!].sort((a, b) => a - b);
    const median = percentile(s, 50);
    const h = delays.get(variant.name)!.histogram;
    // The histogram records the whole wake-up interval, the 2 ms resolution included; subtract it.
    const d = (ns: number): number => Math.max(0, nsToMs(ns) - 2);
    const row: MeasuredRow = {
      name: variant.name,
      opsPerSec: median > 0 ? Math.round((workload.batch * 1e6) / median) / 1000 : 0,
      medianMs: round4(median),
      p99Ms: round4(percentile(s, 99)),
      batch: workload.batch,
      loopDelay: h.count === 0
        ? { p50Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0, count: 0 }
        : { p50Ms: d(h.percentile(50)), p99Ms: d(h.percentile(99)), maxMs: d(h.max), meanMs: d(h.mean), count: h.count },
      samplesMs: s.slice(0, 500).map(round4),
    };
    log(`  [${suite}] ${workload.name} › ${variant.name}: ${Math.round(row.opsPerSec)} ops/s, median ${row.medianMs} ms, loop p99 ${row.loopDelay.p99Ms} ms (${s.length} samples)`);
    return row;
  });
  return resultGroup(workload.name, workload.description, workload.baseline, rows);
}
