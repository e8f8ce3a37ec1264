/**
 * Judges `dispatch(auto)` on one workload against the best route a user could have picked by hand (issue 12).
 *
 * A route picked by hand is a route of the library fixed in a policy: the inline route is `dispatch` on a reactor
 * whose policy routes everything inline (the `dispatch(inline)` row: a Deferred per call, as `auto` returns), the
 * green and thread routes `deferToGreenlet` and `deferToThread` (Deferred-returning too; `dispatch` adds next to
 * nothing to them). The best fixed route is the fastest of those among the ones that keep the event loop responsive:
 * loop-delay p99 under `blockingThresholdMs`, or within 2× the all-threads path's. A route that wins by freezing the
 * loop does not count. `auto` meets the goal when its throughput is at least 0.9× that route's and its loop-delay p99
 * is at most 1.5× that route's (or under `blockingThresholdMs`).
 *
 * Rows measured in the same interleaved rounds are compared round by round (`paired-ratios.ts`): the verdict then
 * gives the median per-round ratio and its spread, and a rerun's verdict moves only as far as that spread says.
 *
 * Beside it, `auto` against the bare call (the baseline row: the function called directly, a plain value and no
 * Deferred): on tiny work no Deferred-returning path can reach it, and the ratio says how far that floor is.
 *
 * @module
 */
import { formatPairedRatios, pairedRatios, type PairedRatios } from './paired-ratios.js';
import type { ResultGroup, ResultRow } from './suite-result.js';

/** What the verdict compares; the row names of the workloads suite by default. */
export interface RouteVerdictOptions {
  /** The fixed routes, by row name. @defaultValue `['dispatch(inline)', 'deferToGreenlet', 'deferToThread']` */
  readonly fixed?: readonly string[];
  /** The all-threads row, whose loop delay sets the "within 2×" bar. @defaultValue `'deferToThread'` */
  readonly threads?: string;
  /** The row judged. @defaultValue `'dispatch(auto)'` */
  readonly auto?: string;
  /** The bare call's row (no Deferred), which `auto` is compared with too. @defaultValue `'inline'` */
  readonly bare?: string;
  /** A loop-delay p99 under this (ms) is responsive. @defaultValue 20 (the policy's default) */
  readonly blockingThresholdMs?: number;
}

/** The verdict on one workload. */
export interface RouteVerdict {
  /** The workload. */
  readonly workload: string;
  /** The fastest responsive fixed route; `undefined` when none kept the loop responsive (or rows are missing). */
  readonly best: ResultRow | undefined;
  /**
   * `auto`'s throughput / the best route's: when both rows were measured in the same interleaved rounds
   * (`roundMedianMs`), the median of the per-round ratios, else the ratio of their `opsPerSec`.
   */
  readonly throughputRatio: number;
  /** The per-round ratios' median and spread, when both rows carry their rounds. */
  readonly perRound?: PairedRatios;
  /** `auto`'s loop-delay p99 / the best route's (0 when the best route's p99 is 0). */
  readonly loopDelayRatio: number;
  /** `auto`'s loop-delay p99 in ms. */
  readonly autoLoopP99Ms: number;
  /** Whether `auto` meets both goals. */
  readonly met: boolean;
  /** The bare call's row, when measured. */
  readonly bare?: ResultRow;
  /** `auto`'s throughput / the bare call's (0 when either row is missing). */
  readonly bareRatio: number;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/**
 * Picks the best responsive fixed route of a workload and judges `auto` against it, and against the bare call.
 * @param group - one workload's measured rows.
 * @param options - row names and the responsiveness threshold.
 * @returns the verdict; `best` is `undefined` (and `met` false) when a row is missing or no route was responsive.
 */
export function routeVerdict(group: ResultGroup, options: RouteVerdictOptions = {}): RouteVerdict {
  const fixed = options.fixed ?? ['dispatch(inline)', 'deferToGreenlet', 'deferToThread'];
  const thresholdMs = options.blockingThresholdMs ?? 20;
  const row = (name: string): ResultRow | undefined => group.rows.find((r) => r.name === name && r.error === undefined);
  const threads = row(options.threads ?? 'deferToThread');
  const auto = row(options.auto ?? 'dispatch(auto)');
  const bare = row(options.bare ?? 'inline');
  const bareRatio = auto === undefined || bare === undefined ? 0 : ratio(auto.opsPerSec, bare.opsPerSec);
  const responsive = (r: ResultRow): boolean =>
    r.loopDelay.p99Ms < thresholdMs || (threads !== undefined && r.loopDelay.p99Ms <= 2 * threads.loopDelay.p99Ms);
  let best: ResultRow | undefined;
  for (const name of fixed) {
    const r = row(name);
    if (r !== undefined && responsive(r) && (best === undefined || r.opsPerSec > best.opsPerSec)) best = r;
  }
  const common = { workload: group.name, autoLoopP99Ms: auto?.loopDelay.p99Ms ?? 0, bareRatio, ...(bare === undefined ? {} : { bare }) };
  if (best === undefined || auto === undefined) return { ...common, best: undefined, throughputRatio: 0, loopDelayRatio: 0, met: false };
  const perRound = best.roundMedianMs === undefined || auto.roundMedianMs === undefined ? undefined : pairedRatios(best.roundMedianMs, auto.roundMedianMs);
  const throughputRatio = perRound?.median ?? ratio(auto.opsPerSec, best.opsPerSec);
  const loopOk = auto.loopDelay.p99Ms < thresholdMs || auto.loopDelay.p99Ms <= 1.5 * best.loopDelay.p99Ms;
  return {
    ...common, best, throughputRatio, ...(perRound === undefined ? {} : { perRound }),
    loopDelayRatio: ratio(auto.loopDelay.p99Ms, best.loopDelay.p99Ms), met: throughputRatio >= 0.9 && loopOk,
  };
}

/**
 * One line for a suite's notes: the best responsive fixed route, `auto`'s ratios to it and whether the goal is met,
 * then `auto`'s throughput against the bare call.
 * @param verdict - a verdict from {@link routeVerdict}.
 * @returns the line.
 */
export function formatRouteVerdict(verdict: RouteVerdict): string {
  const two = (x: number): string => (x >= 0.1 ? x.toFixed(2) : x.toPrecision(2));
  const bare =
    verdict.bare === undefined || verdict.bareRatio === 0
      ? ''
      : `; against the bare call (${verdict.bare.name}: a plain value, no Deferred) dispatch(auto) ${two(verdict.bareRatio)}× its throughput`;
  if (verdict.best === undefined) return `${verdict.workload}: no fixed route kept the loop responsive (or a row failed); auto not judged${bare}`;
  const { best } = verdict;
  const spread = verdict.perRound === undefined ? '' : ` (per round: ${formatPairedRatios(verdict.perRound)})`;
  return (
    `${verdict.workload}: best responsive fixed route ${best.name} (loop p99 ${two(best.loopDelay.p99Ms)} ms); ` +
    `dispatch(auto) ${two(verdict.throughputRatio)}× its throughput${spread}, loop p99 ${two(verdict.autoLoopP99Ms)} ms ` +
    `(${two(verdict.loopDelayRatio)}× its) — ${verdict.met ? 'goal met' : 'goal NOT met'} (≥ 0.9× throughput, loop p99 ≤ 1.5× or < 20 ms)` +
    bare
  );
}
