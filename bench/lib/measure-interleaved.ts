/**
 * Measures a workload's variants in interleaved rounds (baseline, variant, baseline, …) with tinybench, so a burst
 * of load from another process spoils one short round of one variant, not a whole variant. Records each variant's
 * event-loop delay beside its throughput. Used by the suites whose variants share workers and must alternate
 * (threads, streams, policy, workloads); `measure-comparison.ts` measures variants one after another instead.
 *
 * @module
 */
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import { setImmediate as turnLoop } from 'node:timers/promises';
import { Bench } from 'tinybench';
import { resultGroup, type MeasuredRow } from './result-group.js';
import type { ResultGroup } from './suite-result.js';

/** One way of running the workload: `run` does one sample (a whole batch). */
export interface InterleavedVariant {
  readonly name: string;
  readonly run: () => unknown;
  /** Runs once before the variant's first round (e.g. a fresh call source). */
  readonly setup?: () => unknown;
  /** Runs once after its last round (or after it failed). */
  readonly teardown?: () => unknown;
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
  /**
   * Untimed batches each variant runs after its setup, before the rounds (workers moving large payloads take a
   * hundred-odd calls to reach their steady speed). @defaultValue 0
   */
  readonly warmupRuns?: number;
}

/** How the rounds run; every field is opt-in, so suites that do not set them measure as before. */
export interface InterleavedOptions {
  /**
   * Turn the event loop (`setImmediate`) after every sample, so the loop-delay timer sees a path that blocks the
   * loop sample by sample (what `measure-comparison.ts` does); without it, back-to-back synchronous samples read as
   * one long stall per round. @defaultValue false
   */
  readonly turnLoop?: boolean;
  /** Untimed time (ms) each variant runs after its `warmupRuns`, before the rounds (JIT, caches). @defaultValue 0 */
  readonly warmupMs?: number;
  /** Run the variants in reverse order every other round, so none always follows the same one. @defaultValue false */
  readonly alternate?: boolean;
  /**
   * A variant that throws becomes a row with `error` (and is not run again) instead of ending the measurement.
   * @defaultValue false
   */
  readonly errorRows?: boolean;
  /**
   * Runs before each variant's round, outside the timing (e.g. a forced GC under `--expose-gc`, so no variant's
   * round collects the garbage the previous variant left). @defaultValue nothing
   */
  readonly beforeEachRound?: () => unknown;
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
 * @param options - loop turning, warm-up, alternating order, error rows (all off by default).
 * @returns the result group, with ratios against the workload's baseline.
 */
export async function measureInterleaved(
  suite: string,
  workload: InterleavedWorkload,
  budget: InterleavedBudget,
  log: (line: string) => void,
  options: InterleavedOptions = {},
): Promise<ResultGroup> {
  const samples = new Map<string, number[]>(workload.variants.map((v) => [v.name, []]));
  const delays = new Map<string, LoopTicks>(workload.variants.map((v) => [v.name, new LoopTicks(2)]));
  const errors = new Map<string, string>();
  const failed = (variant: InterleavedVariant, error: unknown): void => {
    if (!options.errorRows) throw error;
    errors.set(variant.name, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  };
  try {
    for (const variant of workload.variants) {
      try {
        await variant.setup?.();
        for (let i = 0; i < (workload.warmupRuns ?? 0); i++) await variant.run();
        const until = performance.now() + (options.warmupMs ?? 0);
        while (performance.now() < until) {
          await variant.run();
          if (options.turnLoop === true) await turnLoop();
        }
      } catch (error) {
        failed(variant, error);
      }
    }
    for (let r = 0; r < budget.rounds; r++) {
      const order = options.alternate === true && r % 2 === 1 ? [...workload.variants].reverse() : workload.variants;
      for (const variant of order) {
        if (errors.has(variant.name)) continue;
        await options.beforeEachRound?.();
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
          ...(options.turnLoop === true ? { afterEach: async () => void (await turnLoop()) } : {}),
          beforeAll: (mode) => {
            if (mode === 'run') delay.start();
          },
          afterAll: (mode) => {
            if (mode === 'run') delay.stop();
          },
        });
        try {
          await bench.run();
        } catch (error) {
          delay.stop();
          failed(variant, error);
          continue;
        }
        const result = bench.tasks[0]?.result;
        if (result !== undefined && 'latency' in result) samples.get(variant.name)!.push(...(result.latency.samples ?? []));
      }
    }
  } finally {
    for (const variant of workload.variants) {
      try {
        await variant.teardown?.();
      } catch (error) {
        failed(variant, error);
      }
    }
  }
  const rows: MeasuredRow[] = workload.variants.map((variant) => {
    const error = errors.get(variant.name);
    if (error !== undefined) {
      log(`  [${suite}] ${workload.name} › ${variant.name}: error: ${error}`);
      return { name: variant.name, opsPerSec: 0, medianMs: 0, p99Ms: 0, batch: workload.batch, loopDelay: { p50Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0, count: 0 }, samplesMs: [], error };
    }
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
