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
import { failedRow, resultGroup, type MeasuredRow } from './result-group.js';
import { summariseLoopDelay, type LoopDelaySummary } from './loop-delay-recorder.js';
import { pairedRatios } from './paired-ratios.js';
import { median as medianOf, percentile, round4 } from './sample-stats.js';
import type { ResultGroup } from './suite-result.js';
import type { Variant, Workload } from './workload.js';

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
  /**
   * Keep each row's median sample per round (`roundMedianMs`) and make its ratio the median of its per-round ratios
   * to the baseline (`paired-ratios.ts`), its `opsPerSec` the baseline's times that ratio: a burst of load that
   * spoils a few rounds then moves a row's ratio by no more than it moves the median. @defaultValue false
   */
  readonly pairedRatios?: boolean;
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

  /** The loop delay over every round recorded (each interval less the timer's period). */
  summary(): LoopDelaySummary {
    return summariseLoopDelay(this.histogram, this.#resolutionMs);
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
  workload: Workload,
  budget: InterleavedBudget,
  log: (line: string) => void,
  options: InterleavedOptions = {},
): Promise<ResultGroup> {
  const samples = new Map<string, number[]>(workload.variants.map((v) => [v.name, []]));
  const roundMedians = new Map<string, number[]>(workload.variants.map((v) => [v.name, []]));
  const delays = new Map<string, LoopTicks>(workload.variants.map((v) => [v.name, new LoopTicks(2)]));
  const errors = new Map<string, MeasuredRow>();
  const failed = (variant: Variant, error: unknown): void => {
    if (!options.errorRows) throw error;
    errors.set(variant.name, failedRow(variant.name, workload.batch, error));
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
        if (result !== undefined && 'latency' in result) {
          const inRound = result.latency.samples ?? [];
          samples.get(variant.name)!.push(...inRound);
          roundMedians.get(variant.name)!.push(medianOf(inRound));
        }
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
    const failure = errors.get(variant.name);
    if (failure !== undefined) {
      log(`  [${suite}] ${workload.name} › ${variant.name}: error: ${failure.error}`);
      return failure;
    }
    const s = [...samples.get(variant.name)!].sort((a, b) => a - b);
    const median = percentile(s, 50);
    const row: MeasuredRow = {
      name: variant.name,
      opsPerSec: median > 0 ? Math.round((workload.batch * 1e6) / median) / 1000 : 0,
      medianMs: round4(median),
      p99Ms: round4(percentile(s, 99)),
      batch: workload.batch,
      loopDelay: delays.get(variant.name)!.summary(),
      samplesMs: s.slice(0, 500).map(round4),
      ...(options.pairedRatios === true ? { roundMedianMs: roundMedians.get(variant.name)!.map((m) => Number(m.toPrecision(4))) } : {}),
    };
    log(`  [${suite}] ${workload.name} › ${variant.name}: ${Math.round(row.opsPerSec)} ops/s, median ${row.medianMs} ms, loop p99 ${row.loopDelay.p99Ms} ms (${s.length} samples)`);
    return row;
  });
  const group = resultGroup(workload.name, workload.description, workload.baseline, rows);
  return options.pairedRatios === true ? withPairedRatios(group) : group;
}

/**
 * The group with each measured row's ratio the median of its per-round ratios to the baseline, and its `opsPerSec`
 * the baseline's times that ratio (so a ratio of two rows' `opsPerSec` is the paired one too).
 * @param group - a group whose rows carry `roundMedianMs`.
 * @returns the group with those two figures replaced (error rows and the baseline as they were).
 */
function withPairedRatios(group: ResultGroup): ResultGroup {
  const base = group.rows.find((r) => r.name === group.baseline)!;
  const baseRounds = base.roundMedianMs ?? [];
  return {
    ...group,
    rows: group.rows.map((row) => {
      if (row === base || row.error !== undefined || row.roundMedianMs === undefined) return row;
      const ratio = Number(pairedRatios(baseRounds, row.roundMedianMs).median.toPrecision(4));
      return { ...row, ratio, opsPerSec: Math.round(base.opsPerSec * ratio * 1000) / 1000 };
    }),
  };
}
