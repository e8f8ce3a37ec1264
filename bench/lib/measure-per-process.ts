/**
 * Measures variants one process each: every run is a fresh child process that creates only that variant's pool, warms
 * it, then times a fixed number of batches back to back; the variants' processes take turns in rounds.
 *
 * For rows whose cost moves with the garbage collector. In one process holding every pool, V8's helper threads for one
 * pool's workers' mark-compacts run during the other pools' passes, and a per-pass median ignores the rare long pauses
 * an application does pay: two builds that differ in when their workers collect read alike there (or the wrong way
 * round), where one pool per process showed a 2× difference in mean batch time. So a process's figure is the total
 * time of all its batches, and a variant's ratio is the median over the rounds of the baseline's total ÷ the
 * variant's in the same round (> 1: faster), given with its spread; CPU time is compared the same way beside it.
 *
 * Why a median of per-round ratios, in rounds ordered by a balanced Latin square: on 2 shared cores, load from other
 * processes lands on whole processes. With the ratio of totals over 6 rounds whose order was reversed every other
 * round, the A/A control (the baseline run again) read 0.72-1.16× over reruns: one slowed process moved a total by
 * its whole cost, and the baseline ran first or last in every round. Now each variant runs in each position equally
 * often and after each other variant equally often ({@link perProcessOrder}), and one bad round moves the median by
 * one rank, not by its cost.
 *
 * @module
 */
import { emptyLoopDelay } from './loop-delay-recorder.js';
import { median, percentile, round4 } from './sample-stats.js';
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
  /**
   * CPU time of the process's main thread alone over the timed batches, ms ({@link threadCpuMs}); absent where the
   * system does not say. The main thread posts every call and settles every reply: with a few workers it is the
   * pipeline's narrowest part, so its share says more about a pool's own cost per call than the process's total.
   */
  readonly mainCpuMs?: number;
}

/**
 * The CPU time (user + system) a thread has used, from the text of its `/proc/<pid>/task/<tid>/stat` (Linux).
 *
 * Fields 14 and 15 (`utime`, `stime`) count clock ticks; the command name (field 2) is in parentheses and may hold
 * spaces, so the fields are counted from its closing parenthesis.
 * @param stat - the file's text.
 * @param ticksPerSecond - the kernel's clock ticks per second (`getconf CLK_TCK`; 100 on Linux).
 * @returns the CPU time in ms, or `undefined` when the text is not in that format.
 */
export function threadCpuMs(stat: string, ticksPerSecond = 100): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state (field 3) is index 0, so utime (14) is index 11 and stime (15) index 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return stat.includes(')') && Number.isInteger(utime) && Number.isInteger(stime) ? ((utime + stime) * 1000) / ticksPerSecond : undefined;
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
  /**
   * Untimed rounds first (every variant's process once, in round 0's order), their figures dropped. The first
   * process of a run read 1.9× its A/A twin here (load 0.9): whatever the machine was doing before the row began.
   * Default 0.
   */
  readonly warmupRounds?: number;
}

/** One variant's figures over all rounds. */
export interface PerProcessSummary {
  readonly name: string;
  /** Sum of the rounds' `totalMs`. */
  readonly totalMs: number;
  /**
   * The median over the rounds of the baseline's total ÷ this variant's in the same round (> 1: faster); a round
   * whose variant total is 0 counts as 0. The row's figure.
   */
  readonly ratio: number;
  /** The baseline's summed total ÷ this variant's over all rounds; 0 when this variant's total is 0. */
  readonly totalRatio: number;
  /** Lowest, 25th percentile, 75th percentile and highest of the per-round ratios. */
  readonly roundRatioMin: number;
  readonly roundRatioP25: number;
  readonly roundRatioP75: number;
  readonly roundRatioMax: number;
  /** Summed CPU time ({@link ProcessRun.cpuMs}). */
  readonly cpuMs: number;
  /** The median over the rounds of the baseline's CPU time ÷ this variant's in the same round, and its quartiles. */
  readonly cpuRatio: number;
  readonly cpuRatioP25: number;
  readonly cpuRatioP75: number;
  /**
   * The same median for the main thread's CPU time ({@link ProcessRun.mainCpuMs}); present only when every run of
   * this variant and of the baseline has it.
   */
  readonly mainCpuRatio?: number;
  /** Mean, median and 90th percentile of one batch over all rounds, ms. */
  readonly meanMs: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  /** How many batches were timed over all rounds. */
  readonly batches: number;
}

/**
 * How many rounds one balanced Latin square of `n` variants takes: `n` when `n` is even, `2n` when odd.
 * @param n - how many variants.
 * @returns the square's rounds.
 */
export function perProcessSquare(n: number): number {
  return n % 2 === 0 ? n : 2 * n;
}

/**
 * The order of the variants' processes in round `round`: row `round` of a balanced Latin square (Williams design).
 *
 * Over {@link perProcessSquare} rounds, every variant runs in every position equally often and right after every other
 * variant equally often, so neither "runs first" nor "runs just after the heavy one" favours a variant. Reversing
 * every other round (the old order) kept the first variant at either end of every round. Rounds past one square repeat
 * it.
 * @param variants - the variants' names.
 * @param round - the round's index, from 0.
 * @returns the names in the order to run them.
 */
export function perProcessOrder(variants: readonly string[], round: number): string[] {
  const n = variants.length;
  const row = round % perProcessSquare(n);
  // First row 0, 1, n-1, 2, n-2, …; row r adds r (mod n); for odd n the second n rows are the first n reversed.
  const first = Array.from({ length: n }, (_, j) => (j % 2 === 1 ? (j + 1) / 2 : (n - j / 2) % n));
  const order = first.map((a) => variants[(a + row) % n]!);
  return row < n ? order : order.reverse();
}

/**
 * Sums each variant's rounds and compares them with the baseline's, round by round.
 *
 * The ratio is the median of the per-round ratios, not the ratio of totals (kept as `totalRatio`): a round in which a
 * burst of load from another process slowed one process then moves the figure by one rank, not by the time it cost.
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
  return [...runs].map(([name, rs]) => {
    if (rs.length !== base.length) {
      throw new TypeError(`Expected every variant to run ${base.length} rounds, got ${rs.length} for \`${name}\``);
    }
    const perRound = rs.map((r, i) => (r.totalMs > 0 ? base[i]!.totalMs / r.totalMs : 0)).sort((a, b) => a - b);
    const cpuPerRound = rs.map((r, i) => (r.cpuMs > 0 ? base[i]!.cpuMs / r.cpuMs : 0)).sort((a, b) => a - b);
    const mainPerRound = rs.map((r, i) => {
      const b = base[i]!.mainCpuMs;
      return b === undefined || r.mainCpuMs === undefined ? undefined : r.mainCpuMs > 0 ? b / r.mainCpuMs : 0;
    });
    const mainCpuRatio = mainPerRound.every((x) => x !== undefined) ? { mainCpuRatio: round4(median(mainPerRound)) } : {};
    const batches = rs.flatMap((r) => r.batchesMs).sort((a, b) => a - b);
    const totalMs = total(rs);
    const cpuMs = cpu(rs);
    return {
      name,
      totalMs: round4(totalMs),
      ratio: round4(median(perRound)),
      totalRatio: totalMs > 0 ? round4(baseTotal / totalMs) : 0,
      roundRatioMin: round4(perRound[0] ?? 0),
      roundRatioP25: round4(percentile(perRound, 25)),
      roundRatioP75: round4(percentile(perRound, 75)),
      roundRatioMax: round4(perRound[perRound.length - 1] ?? 0),
      cpuMs: round4(cpuMs),
      cpuRatio: round4(median(cpuPerRound)),
      cpuRatioP25: round4(percentile(cpuPerRound, 25)),
      cpuRatioP75: round4(percentile(cpuPerRound, 75)),
      ...mainCpuRatio,
      meanMs: batches.length > 0 ? round4(batches.reduce((s, b) => s + b, 0) / batches.length) : 0,
      medianMs: round4(percentile(batches, 50)),
      p90Ms: round4(percentile(batches, 90)),
      p99Ms: round4(percentile(batches, 99)),
      batches: batches.length,
    };
  });
}

/**
 * One variant's ratios in words: the median per-round ratio with its quartiles and range, the ratio of totals, the
 * CPU-time median with its quartiles and, when known, the main thread's CPU-time median.
 * @param s - the variant's summary.
 * @returns e.g. `1.020× (IQR 0.98-1.05, range 0.90-1.10), totals 1.015×, CPU 1.010× (IQR 0.99-1.03)`.
 */
export function describeRatios(s: PerProcessSummary): string {
  const f = (x: number): string => x.toFixed(2);
  return (
    `${s.ratio.toFixed(3)}× (IQR ${f(s.roundRatioP25)}-${f(s.roundRatioP75)}, range ${f(s.roundRatioMin)}-${f(s.roundRatioMax)}), ` +
    `totals ${s.totalRatio.toFixed(3)}×, CPU ${s.cpuRatio.toFixed(3)}× (IQR ${f(s.cpuRatioP25)}-${f(s.cpuRatioP75)})` +
    (s.mainCpuRatio === undefined ? '' : `, main thread's CPU ${s.mainCpuRatio.toFixed(3)}×`)
  );
}

/**
 * Runs `rounds` rounds of one process per variant ({@link perProcessOrder}) and builds the group.
 *
 * The baseline row's throughput is its batches' calls ÷ its summed total time; a variant's is the baseline's times the
 * variant's median per-round ratio ({@link summarisePerProcess}), so the group's ratio column is that median. The
 * description adds each variant's per-round quartiles and range, the ratio of totals, the CPU-time ratio and the
 * batch times. Rows carry no loop delay (count 0): the loop is the child's.
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
  for (let round = 0; round < (workload.warmupRounds ?? 0); round++) {
    for (const variant of perProcessOrder(workload.variants, 0)) {
      const run = await runOne(variant);
      log(`  [${suite}] ${workload.name}, warm-up round ${round + 1}, ${variant}: ${run.totalMs.toFixed(0)} ms (dropped)`);
    }
  }
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
  const base = summaries.find((s) => s.name === workload.baseline)!;
  const baseOps = base.totalMs > 0 ? (workload.batch * base.batches * 1000) / base.totalMs : 0;
  const rows: MeasuredRow[] = summaries.map((s) => {
    const all = runs.get(s.name)!.flatMap((r) => r.batchesMs);
    return {
      name: s.name,
      // The baseline's measured throughput; a variant's is the baseline's times its median per-round ratio, so that the
      // ratio column (ops/s ÷ the baseline's, as in every group) is that median.
      opsPerSec: Math.round(baseOps * s.ratio * 1000) / 1000,
      medianMs: s.medianMs,
      p99Ms: s.p99Ms,
      batch: workload.batch,
      loopDelay: emptyLoopDelay,
      samplesMs: all.filter((_, i) => i % Math.max(1, Math.ceil(all.length / 500)) === 0).slice(0, 500).map(round4),
    };
  });
  const figures = summaries
    .map((s) =>
      s.name === workload.baseline
        ? `${s.name} mean ${s.meanMs.toFixed(2)} ms, median ${s.medianMs.toFixed(2)}, p90 ${s.p90Ms.toFixed(2)}, CPU ${(s.cpuMs / s.batches).toFixed(2)} ms per batch`
        : `${s.name} ${describeRatios(s)}, mean ${s.meanMs.toFixed(2)} ms, median ${s.medianMs.toFixed(2)}, p90 ${s.p90Ms.toFixed(2)}`,
    )
    .join('; ');
  const description = `${workload.description} The ratio column (and a variant's ops/s, the baseline's times that ratio) is the median over the ${rounds} rounds of ${workload.baseline}'s total time ÷ the variant's in the same round (rounds in a balanced Latin square order); per variant, that median (the per-round quartiles and range), the ratio of totals over all rounds, the same median for the processes' CPU time over the timed batches (every thread; less moved by load from other processes) and, where the system reports it, for the main thread's alone, and the batch times: ${figures}.`;
  for (const s of summaries) {
    log(`  [${suite}] ${workload.name} › ${s.name}: total ${s.totalMs.toFixed(0)} ms, ${describeRatios(s)}, mean ${s.meanMs.toFixed(3)} ms, median ${s.medianMs.toFixed(3)}, p90 ${s.p90Ms.toFixed(3)}`);
  }
  return { group: resultGroup(workload.name, description, workload.baseline, rows), summaries };
}
