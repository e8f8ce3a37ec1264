/**
 * Measures a latency workload's variants alternating sample by sample (every variant once per pass, in a shuffled
 * order), each sample one awaited call timed on its own. For rows whose sample is a single short round trip (tens of
 * µs): there, rounds of a few hundred ms each (`measure-interleaved.ts`) still let a burst of load from another
 * process, a GC or a CPU migration land on one variant's round, and the medians of two reruns disagreed by up to
 * 1.9×. Alternating per sample spreads every such burst over all variants alike; a variant measured twice (an A/A
 * control) then shows what noise is left.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { emptyLoopDelay } from './loop-delay-recorder.js';
import { pairedRatios, type PairedRatios } from './paired-ratios.js';
import { resultGroup, type MeasuredRow } from './result-group.js';
import { percentile, round4 } from './sample-stats.js';
import type { ResultGroup } from './suite-result.js';

/** One way of running the workload: `run` makes one call (one sample). */
export interface AlternatingVariant {
  readonly name: string;
  readonly run: () => unknown;
}

/** A latency workload and the variants compared on it. */
export interface AlternatingWorkload {
  readonly name: string;
  readonly description: string;
  /** The variant every ratio is relative to. */
  readonly baseline: string;
  readonly variants: readonly AlternatingVariant[];
  /**
   * Calls one sample makes (each `run` starts this many together and awaits them all); 1 when absent. Throughput is
   * `batch` calls per median sample. For rows whose shape is several calls in flight (the peers' 1 MiB payload row,
   * 8 at once), where measuring each variant for a few hundred ms in turn (`measure-comparison.ts`) hands one variant
   * a stretch of the garbage collector's and the allocator's state.
   */
  readonly batch?: number;
}


/** How many samples to take. */
export interface AlternatingBudget {
  /** Untimed calls per variant first, alternating as well (JIT, caches, worker start). */
  readonly warmup: number;
  /** Timed calls per variant. */
  readonly samples: number;
}

/**
 * Runs `budget.samples` samples of every variant, alternating per sample; one row per variant (ops/s = the
 * workload's `batch` / median sample).
 * Rows carry no loop delay (count 0): samples of all variants share every loop turn.
 * @param suite - the suite's name, for the progress lines.
 * @param workload - the workload and its variants.
 * @param budget - warm-up and timed calls per variant.
 * @param log - progress printer.
 * @param now - the clock samples are timed with, in ms (tests pass a fake one).
 * @returns the result group, with ratios against the workload's baseline.
 */
export async function measureAlternating(
  suite: string,
  workload: AlternatingWorkload,
  budget: AlternatingBudget,
  log: (line: string) => void,
  now: () => number = () => performance.now(),
): Promise<ResultGroup> {
  return (await measureAlternatingPaired(suite, workload, budget, log, now)).group;
}

/**
 * {@link measureAlternating}, also returning each variant's per-pass ratios to the baseline ({@link PairedRatios}).
 * @param suite - the suite's name, for the progress lines.
 * @param workload - the workload and its variants.
 * @param budget - warm-up and timed calls per variant.
 * @param log - progress printer.
 * @param now - the clock samples are timed with, in ms (tests pass a fake one).
 * @returns the result group (ratios of medians, as every row) and the paired ratios by variant name.
 */
export async function measureAlternatingPaired(
  suite: string,
  workload: AlternatingWorkload,
  budget: AlternatingBudget,
  log: (line: string) => void,
  now: () => number = () => performance.now(),
): Promise<{ group: ResultGroup; paired: ReadonlyMap<string, PairedRatios> }> {
  const variants = workload.variants;
  const n = variants.length;
  const batch = workload.batch ?? 1;
  for (let i = 0; i < budget.warmup; i++) {
    for (let k = 0; k < n; k++) await variants[(i + k) % n]!.run();
  }
  const samples: number[][] = variants.map(() => new Array<number>(budget.samples));
  const order = variants.map((_, v) => v);
  let seed = 0x9e3779b9;
  for (let i = 0; i < budget.samples; i++) {
    // A fresh order each pass (a seeded shuffle): no variant always follows the same one (a rotation would keep
    // every variant behind the same neighbour, and which pool ran just before moved a median by up to 10% here).
    for (let k = n - 1; k > 0; k--) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      const j = (seed >>> 0) % (k + 1);
      const t = order[k]!;
      order[k] = order[j]!;
      order[j] = t;
    }
    for (const v of order) {
      const started = now();
      await variants[v]!.run();
      samples[v]![i] = now() - started;
    }
  }
  const base = variants.findIndex((variant) => variant.name === workload.baseline);
  const paired = new Map<string, PairedRatios>();
  if (base >= 0) {
    for (let v = 0; v < n; v++) {
      const p = pairedRatios(samples[base]!, samples[v]!);
      paired.set(variants[v]!.name, { median: round4(p.median), p10: round4(p.p10), p90: round4(p.p90) });
    }
  }
  const rows: MeasuredRow[] = variants.map((variant, v) => {
    const s = samples[v]!.sort((a, b) => a - b);
    const median = percentile(s, 50);
    const row: MeasuredRow = {
      name: variant.name,
      opsPerSec: median > 0 ? Math.round((batch * 1e6) / median) / 1000 : 0,
      medianMs: round4(median),
      p99Ms: round4(percentile(s, 99)),
      batch,
      loopDelay: emptyLoopDelay,
      samplesMs: s.filter((_, i) => i % Math.max(1, Math.floor(s.length / 500)) === 0).slice(0, 500).map(round4),
    };
    const p = paired.get(variant.name);
    const perPass = p === undefined || v === base ? '' : `, per-pass ratio ${p.median.toFixed(3)}× (p10–p90 ${p.p10.toFixed(2)}–${p.p90.toFixed(2)})`;
    log(`  [${suite}] ${workload.name} › ${variant.name}: median ${(median * 1000).toFixed(1)} µs, p99 ${(row.p99Ms * 1000).toFixed(1)} µs (${s.length} samples)${perPass}`);
    return row;
  });
  return { group: resultGroup(workload.name, workload.description, workload.baseline, rows), paired };
}
