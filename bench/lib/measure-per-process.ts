/**
 * Measures variants one process each: every run is a fresh child process that creates only that variant's pool, warms
 * it, then times a fixed number of batches back to back; the variants' processes take turns in rounds.
 *
 * For rows whose cost moves with the garbage collector. In one process holding every pool, V8's helper threads for one
 * pool's workers' mark-compacts run during the other pools' passes, and a per-pass median ignores the rare long pauses
 * an application does pay: two builds that differ in when their workers collect read alike there (or the wrong way
 * round), where one pool per process showed a 2× difference in mean batch time. So the figure here is each variant's
 * total time over all its batches, and its ratio is the baseline's total ÷ the variant's over all rounds (> 1: faster);
 * the order of the variants' processes is reversed every other round, so a drift of the machine over the run (load
 * from other processes) does not favour the variants that run first.
 *
 * @module
 */
import { percentile, round4 } from './measure-alternating.js';
import { resultGroup, type MeasuredRow } from './result-group.js';
import type { ResultGroup } from './suite-result.js';

/** What one child process reports: its timed batches. */
export interface ProcessRun {
  /** Wall time of all the timed batches, run back to back, in ms. */
  readonly totalMs: number;
  /** Each timed batch's duration in ms, in the order run. */
  readonly batchesMs: readonly number[];
  /**
   * CPU time of the whole process over the timed batches (user + system, every thread: the workers and V8's helper
   * threads too), ms. Load from other processes stretches wall time far more than CPU time.
   */
  readonly cpuMs: number;
}

/** A workload measured one process per variant and run. */
export interface PerProcessWorkload {
  readonly name: string;
  readonly description: string;
  /** The variant every ratio is relative to; must be among `variants`. */
  readonly baseline: string;
  /** The variants' names, in the order of the first round. */
  readonly variants: readonly string[];
  /** Calls one batch makes (started together). */
  readonly batch: number;
}

/** One variant's figures over all rounds. */
export interface PerProcessSummary {
  readonly name: string;
  /** Sum of the rounds' `totalMs`. */
  readonly totalMs: number;
  /** The baseline's summed total ÷ this variant's (> 1: faster); 0 when this variant's total is 0. */
  readonly ratio: number;
  /** Lowest and highest of the per-round ratios (the baseline's total ÷ this variant's, same round). */
  readonly roundRatioMin: number;
  readonly roundRatioMax: number;
  /** Summed CPU time ({@link ProcessRun.cpuMs}) and the baseline's summed CPU time ÷ this variant's. */
  readonly cpuMs: number;
  readonly cpuRatio: number;
  /** Mean, median and 90th percentile of one batch over all rounds, ms. */
  readonly meanMs: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  /** How many batches were timed over all rounds. */
  readonly batches: number;
}

/**
 * The order of the variants' processes in round `round`: as given in even rounds, reversed in odd ones.
 * @param variants - the variants' names.
 * @param round - the round's index, from 0.
 * @returns the names in the order to run them.
 */
export function perProcessOrder(variants: readonly string[], round: number): string[] {
  return round % 2 === 0 ? [...variants] : [...variants].reverse();
}

/**
 * Sums each variant's rounds and compares them with the baseline's.
 *
 * The ratio is the ratio of totals over all rounds, not a mean of per-round ratios: a round in which a burst of load
 * slowed one process then weighs by the time it cost, as it would for an application.
 * @param baseline - the baseline variant's name.
 * @param runs - each variant's runs, one per round, in round order (every variant the same number of rounds).
 * @returns one summary per variant, in the map's order.
 * @throws TypeError when `runs` has no entry named `baseline`, or the variants ran different numbers of rounds.
 */
export function summarisePerProcess(baseline: string, runs: ReadonlyMap<string, readonly ProcessRun[]>): PerProcessSummary[] {
  const base = runs.get(baseline);
  if (base === undefined) {
    throw new TypeError(`Expected \`baseline\` to name one of the variants (${[...runs.keys()].join(', ')}), got \`${baseline}\``);
  }
  const total = (rs: readonly ProcessRun[]): number => rs.reduce((sum, r) => sum + r.totalMs, 0);
  const cpu = (rs: readonly ProcessRun[]): number => rs.reduce((sum, r) => sum + r.cpuMs, 0);
  const baseTotal = total(base);
  const baseCpu = cpu(base);
  return [...runs].map(([name, rs]) => {
    if (rs.length !== base.length) {
      throw new TypeError(`Expected every variant to run ${base.length} rounds, got ${rs.length} for \`${name}\``);
    }
    const perRound = rs.map((r, i) => (r.totalMs > 0 ? base[i]!.totalMs / r.totalMs : 0));
    const batches = rs.flatMap((r) => r.batchesMs).sort((a, b) => a - b);
    const totalMs = total(rs);
    const cpuMs = cpu(rs);
    return {
      name,
      totalMs: round4(totalMs),
      ratio: totalMs > 0 ? round4(baseTotal / totalMs) : 0,
      roundRatioMin: round4(Math.min(...perRound)),
      roundRatioMax: round4(Math.max(...perRound)),
      cpuMs: round4(cpuMs),
      cpuRatio: cpuMs > 0 ? round4(baseCpu / cpuMs) : 0,
      meanMs: batches.length > 0 ? round4(batches.reduce((s, b) => s + b, 0) / batches.length) : 0,
      medianMs: round4(percentile(batches, 50)),
      p90Ms: round4(percentile(batches, 90)),
      p99Ms: round4(percentile(batches, 99)),
      batches: batches.length,
    };
  });
}

/**
 * Runs `rounds` rounds of one process per variant ({@link perProcessOrder}) and builds the group.
 *
 * A row's throughput is its batches' calls ÷ its summed total time, so the group's ratio column is the ratio of totals
 * ({@link summarisePerProcess}); the description adds each variant's per-round ratio spread and mean, median and p90
 * batch time. Rows carry no loop delay (count 0): the loop is the child's.
 * @param suite - the suite's name, for the progress lines.
 * @param workload - the workload and its variants.
 * @param rounds - how many processes each variant runs.
 * @param runOne - starts one child process for `variant` and resolves with what it measured.
 * @param log - progress printer.
 * @returns the group and the summaries.
 */
export async function measurePerProcess(
  suite: string,
  workload: PerProcessWorkload,
  rounds: number,
  runOne: (variant: string) => Promise<ProcessRun>,
  log: (line: string) => void,
): Promise<{ group: ResultGroup; summaries: PerProcessSummary[] }> {
  const runs = new Map<string, ProcessRun[]>(workload.variants.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of perProcessOrder(workload.variants, round)) {
      const run = await runOne(variant);
      runs.get(variant)!.push(run);
      const mean = run.batchesMs.length > 0 ? run.totalMs / run.batchesMs.length : 0;
      // No ` › ` in a round's line: one such line per row is the runner's progress contract (bench-runner.test.ts).
      log(`  [${suite}] ${workload.name}, round ${round + 1}/${rounds}, ${variant}: ${run.totalMs.toFixed(0)} ms, mean batch ${mean.toFixed(3)} ms, CPU ${run.cpuMs.toFixed(0)} ms`);
    }
  }
  const summaries = summarisePerProcess(workload.baseline, runs);
  const rows: MeasuredRow[] = summaries.map((s) => {
    const all = runs.get(s.name)!.flatMap((r) => r.batchesMs);
    return {
      name: s.name,
      opsPerSec: s.totalMs > 0 ? Math.round((workload.batch * s.batches * 1e6) / s.totalMs) / 1000 : 0,
      medianMs: s.medianMs,
      p99Ms: s.p99Ms,
      batch: workload.batch,
      loopDelay: { p50Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0, count: 0 },
      samplesMs: all.filter((_, i) => i % Math.max(1, Math.ceil(all.length / 500)) === 0).slice(0, 500).map(round4),
    };
  });
  const figures = summaries
    .map((s) =>
      s.name === workload.baseline
        ? `${s.name} mean ${s.meanMs.toFixed(2)} ms, median ${s.medianMs.toFixed(2)}, p90 ${s.p90Ms.toFixed(2)}, CPU ${(s.cpuMs / s.batches).toFixed(2)} ms per batch`
        : `${s.name} ${s.ratio.toFixed(3)}× (rounds ${s.roundRatioMin.toFixed(2)}-${s.roundRatioMax.toFixed(2)}), mean ${s.meanMs.toFixed(2)} ms, median ${s.medianMs.toFixed(2)}, p90 ${s.p90Ms.toFixed(2)}, CPU ${s.cpuRatio.toFixed(3)}×`,
    )
    .join('; ');
  const description = `${workload.description} The ratio column is ${workload.baseline}'s total time ÷ the variant's over all ${rounds} rounds; per variant, that ratio (the lowest and highest per-round ratio), the batch times and the ratio of the processes' CPU time over the timed batches (every thread, summed over the rounds; less moved by load from other processes): ${figures}.`;
  for (const s of summaries) {
    log(`  [${suite}] ${workload.name} › ${s.name}: total ${s.totalMs.toFixed(0)} ms, ratio ${s.ratio.toFixed(3)}× (rounds ${s.roundRatioMin.toFixed(2)}-${s.roundRatioMax.toFixed(2)}), mean ${s.meanMs.toFixed(3)} ms, median ${s.medianMs.toFixed(3)}, p90 ${s.p90Ms.toFixed(3)}, CPU ${s.cpuMs.toFixed(0)} ms (${s.cpuRatio.toFixed(3)}×)`);
  }
  return { group: resultGroup(workload.name, description, workload.baseline, rows), summaries };
}
