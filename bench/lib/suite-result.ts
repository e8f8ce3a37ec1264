/**
 * The shape of `bench/results/<suite>.json`, shared by every suite and read by the runner.
 *
 * A suite is a list of groups (one workload each); a group has a baseline row and the rows
 * compared with it. Every row carries its raw samples, the median, the throughput ratio against
 * the baseline and the event-loop delay over the same interval, so the runner can draw tables and
 * charts without knowing the suite.
 *
 * @module
 */
import type { LoopDelaySummary } from './loop-delay-recorder.js';
import { machineInfo, type MachineInfo } from './machine-info.js';

/** Version tag of the result format, checked by the runner. */
export const suiteResultSchema = 'greenreactor-bench/1';

/** One measured way of running a workload. */
export interface ResultRow {
  /** The path or library measured, e.g. `deferToThread`, `piscina`. */
  readonly name: string;
  /**
   * Operations per second, from the median sample (`batch / median`); in a row with {@link roundMedianMs}, the
   * baseline's figure times {@link ratio}, so every ratio taken of two rows' `opsPerSec` is the paired one.
   */
  readonly opsPerSec: number;
  /** Median duration of one sample (one batch) in ms. */
  readonly medianMs: number;
  /** 99th percentile duration of one sample in ms. */
  readonly p99Ms: number;
  /** How many operations one sample ran (concurrently). */
  readonly batch: number;
  /**
   * Throughput divided by the baseline row's throughput (> 1: faster than the baseline); in a row with
   * {@link roundMedianMs}, the median of the per-round ratios (`bench/lib/paired-ratios.ts`).
   */
  readonly ratio: number;
  /** Event-loop delay while this row ran. */
  readonly loopDelay: LoopDelaySummary;
  /** Loop delay p99 divided by the baseline's (< 1: the loop stayed freer than with the baseline). */
  readonly loopDelayRatio: number;
  /** The raw sample durations in ms (capped to the first 500). */
  readonly samplesMs: readonly number[];
  /**
   * The median sample of each interleaved round, in ms, in round order. Set by `measureInterleaved` with
   * `pairedRatios`: the ratio of two such rows is then taken round by round.
   */
  readonly roundMedianMs?: readonly number[];
  /** Set when the row could not be measured; the numbers are then 0. */
  readonly error?: string;
}

/** One workload, measured several ways. */
export interface ResultGroup {
  /** The workload, e.g. `fib(27)`. */
  readonly name: string;
  /** What the workload does, one sentence. */
  readonly description: string;
  /** The `name` of the row every ratio is relative to. */
  readonly baseline: string;
  /** The rows, baseline included. */
  readonly rows: readonly ResultRow[];
}

/** A whole suite's results, as written to `bench/results/<suite>.json`. */
export interface SuiteResult {
  /** Always {@link suiteResultSchema}. */
  readonly schema: typeof suiteResultSchema;
  /** The suite's name (the file is `<suite>.bench.ts`). */
  readonly suite: string;
  /** A heading for the docs. */
  readonly title: string;
  /** What the suite answers, a sentence or two. */
  readonly description: string;
  /** ISO date of the run. */
  readonly date: string;
  /** Where it ran. */
  readonly machine: MachineInfo;
  /** Whether it ran with `--quick` (shorter time budget, smaller workloads). */
  readonly quick: boolean;
  /** Wall time of the whole suite in ms. */
  readonly durationMs: number;
  /** The workloads. */
  readonly groups: readonly ResultGroup[];
  /** Remarks worth printing with the tables (substitutions, caveats). */
  readonly notes: readonly string[];
}

/** What a suite says about its run; {@link suiteResult} adds what every suite records the same way. */
export type SuiteResultParts = Omit<SuiteResult, 'schema' | 'date' | 'machine' | 'durationMs'>;

/**
 * A suite's result: its own parts, and the schema tag, date, machine and wall time that every suite records alike.
 *
 * Every suite ends by building this; one constructor keeps the fields every result file must have (the runner's
 * {@link suiteResultProblems} checks them) and the way the wall time is taken the same across suites.
 * @param parts - the suite's name, title, description, `quick`, groups and notes.
 * @param startedMs - `performance.now()` when the suite started.
 * @returns the result, dated now, its `durationMs` the whole milliseconds since `startedMs`.
 */
export function suiteResult(parts: SuiteResultParts, startedMs: number): SuiteResult {
  return {
    schema: suiteResultSchema,
    suite: parts.suite,
    title: parts.title,
    description: parts.description,
    date: new Date().toISOString(),
    machine: machineInfo(),
    quick: parts.quick,
    durationMs: Math.round(performance.now() - startedMs),
    groups: parts.groups,
    notes: parts.notes,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Checks that a parsed JSON value is a well-formed {@link SuiteResult}.
 *
 * The runner reads result files other suites wrote, possibly by an older version; it renders
 * only what passes this check and lists the rest.
 *
 * @param value - a parsed JSON value.
 * @returns the problems found; empty when it is well-formed.
 */
export function suiteResultProblems(value: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(value)) return ['not an object'];
  if (value.schema !== suiteResultSchema) problems.push(`schema is not ${suiteResultSchema}`);
  for (const key of ['suite', 'title', 'description', 'date'] as const) {
    if (typeof value[key] !== 'string') problems.push(`${key} is not a string`);
  }
  if (!isObject(value.machine)) problems.push('machine is missing');
  if (!Array.isArray(value.groups)) return [...problems, 'groups is not an array'];
  value.groups.forEach((group: unknown, g) => {
    if (!isObject(group) || !Array.isArray(group.rows)) {
      problems.push(`groups[${g}] has no rows`);
      return;
    }
    if (!group.rows.some((r: unknown) => isObject(r) && r.name === group.baseline)) {
      problems.push(`groups[${g}] has no row named after its baseline ${String(group.baseline)}`);
    }
    group.rows.forEach((row: unknown, r) => {
      if (!isObject(row) || typeof row.name !== 'string') problems.push(`groups[${g}].rows[${r}] has no name`);
      else if (!isNum(row.opsPerSec) || !isNum(row.ratio) || !isObject(row.loopDelay) || !isNum(row.loopDelay.p99Ms)) {
        problems.push(`groups[${g}].rows[${r}] (${row.name}) lacks opsPerSec, ratio or loopDelay`);
      }
    });
  });
  return problems;
}
