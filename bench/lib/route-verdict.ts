/**
 * Judges `dispatch(auto)` on one workload against the best route a user could have picked by hand (issue 12).
 *
 * The best fixed route is the fastest of the fixed paths among those that keep the event loop responsive: loop-delay
 * p99 under `blockingThresholdMs`, or within 2× the all-threads path's. A route that wins by freezing the loop does
 * not count. `auto` meets the goal when its throughput is at least 0.9× that route's and its loop-delay p99 is at
 * most 1.5× that route's (or under `blockingThresholdMs`). That goal stays as the issue wrote it; beside it, when the
 * same route was also measured through `dispatch` with a fixed policy, `auto` is compared with that too: the bare
 * route returns a value, `dispatch` a Deferred, and the second ratio shows what `auto`'s learning itself costs.
 *
 * @module
 */
import type { ResultGroup, ResultRow } from './suite-result.js';

/** What the verdict compares; the row names of the workloads suite by default. */
export interface RouteVerdictOptions {
  /** The fixed routes, by row name. @defaultValue `['inline', 'deferToGreenlet', 'deferToThread']` */
  readonly fixed?: readonly string[];
  /** The all-threads row, whose loop delay sets the "within 2×" bar. @defaultValue `'deferToThread'` */
  readonly threads?: string;
  /** The row judged. @defaultValue `'dispatch(auto)'` */
  readonly auto?: string;
  /** A loop-delay p99 under this (ms) is responsive. @defaultValue 20 (the policy's default) */
  readonly blockingThresholdMs?: number;
  /**
   * Per fixed route row, the row of the same route taken through `dispatch` with a fixed policy (same API shape as
   * `auto`: a Deferred per call); when the best route has one, `auto` is judged against it too.
   * @defaultValue `{ inline: 'dispatch(inline)', deferToGreenlet: 'dispatch(green)', deferToThread: 'dispatch(thread)' }`
   */
  readonly viaDispatch?: Readonly<Record<string, string>>;
}

/** `auto` against the best route taken through `dispatch` with a fixed policy: what the learning costs. */
export interface SameShapeVerdict {
  /** The fixed-route dispatch row. */
  readonly row: ResultRow;
  /** `auto`'s throughput / that row's. */
  readonly throughputRatio: number;
  /** Whether `auto` reaches 0.9× of it. */
  readonly met: boolean;
}

/** The verdict on one workload. */
export interface RouteVerdict {
  /** The workload. */
  readonly workload: string;
  /** The fastest responsive fixed route; `undefined` when none kept the loop responsive (or rows are missing). */
  readonly best: ResultRow | undefined;
  /** `auto`'s throughput / the best route's. */
  readonly throughputRatio: number;
  /** `auto`'s loop-delay p99 / the best route's (0 when the best route's p99 is 0). */
  readonly loopDelayRatio: number;
  /** `auto`'s loop-delay p99 in ms. */
  readonly autoLoopP99Ms: number;
  /** Whether `auto` meets both goals. */
  readonly met: boolean;
  /** `auto` against the best route through a fixed-route `dispatch`, when that row was measured. */
  readonly viaDispatch?: SameShapeVerdict;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/**
 * Picks the best responsive fixed route of a workload and judges `auto` against it.
 * @param group - one workload's measured rows.
 * @param options - row names and the responsiveness threshold.
 * @returns the verdict; `best` is `undefined` (and `met` false) when a row is missing or no route was responsive.
 */
export function routeVerdict(group: ResultGroup, options: RouteVerdictOptions = {}): RouteVerdict {
  const fixed = options.fixed ?? ['inline', 'deferToGreenlet', 'deferToThread'];
  const thresholdMs = options.blockingThresholdMs ?? 20;
  const row = (name: string): ResultRow | undefined => group.rows.find((r) => r.name === name && r.error === undefined);
  const threads = row(options.threads ?? 'deferToThread');
  const auto = row(options.auto ?? 'dispatch(auto)');
  const responsive = (r: ResultRow): boolean =>
    r.loopDelay.p99Ms < thresholdMs || (threads !== undefined && r.loopDelay.p99Ms <= 2 * threads.loopDelay.p99Ms);
  let best: ResultRow | undefined;
  for (const name of fixed) {
    const r = row(name);
    if (r !== undefined && responsive(r) && (best === undefined || r.opsPerSec > best.opsPerSec)) best = r;
  }
  if (best === undefined || auto === undefined) {
    return { workload: group.name, best: undefined, throughputRatio: 0, loopDelayRatio: 0, autoLoopP99Ms: auto?.loopDelay.p99Ms ?? 0, met: false };
  }
  const throughputRatio = ratio(auto.opsPerSec, best.opsPerSec);
  const loopDelayRatio = ratio(auto.loopDelay.p99Ms, best.loopDelay.p99Ms);
  const loopOk = auto.loopDelay.p99Ms < thresholdMs || auto.loopDelay.p99Ms <= 1.5 * best.loopDelay.p99Ms;
  const verdict: RouteVerdict = { workload: group.name, best, throughputRatio, loopDelayRatio, autoLoopP99Ms: auto.loopDelay.p99Ms, met: throughputRatio >= 0.9 && loopOk };
  const viaName = (options.viaDispatch ?? defaultViaDispatch)[best.name];
  const via = viaName === undefined ? undefined : row(viaName);
  if (via === undefined) return verdict;
  const sameShape = ratio(auto.opsPerSec, via.opsPerSec);
  return { ...verdict, viaDispatch: { row: via, throughputRatio: sameShape, met: sameShape >= 0.9 } };
}

const defaultViaDispatch: Readonly<Record<string, string>> = { inline: 'dispatch(inline)', deferToGreenlet: 'dispatch(green)', deferToThread: 'dispatch(thread)' };

/**
 * One line for a suite's notes: the best responsive route, `auto`'s ratios to it, and whether the goal is met.
 * @param verdict - a verdict from {@link routeVerdict}.
 * @returns the line.
 */
export function formatRouteVerdict(verdict: RouteVerdict): string {
  if (verdict.best === undefined) return `${verdict.workload}: no fixed route kept the loop responsive (or a row failed); auto not judged`;
  const { best } = verdict;
  const two = (x: number): string => (x >= 0.1 ? x.toFixed(2) : x.toPrecision(2));
  return (
    `${verdict.workload}: best responsive route ${best.name} (loop p99 ${two(best.loopDelay.p99Ms)} ms); ` +
    `dispatch(auto) ${two(verdict.throughputRatio)}× its throughput, loop p99 ${two(verdict.autoLoopP99Ms)} ms ` +
    `(${two(verdict.loopDelayRatio)}× its) — ${verdict.met ? 'goal met' : 'goal NOT met'} (≥ 0.9× throughput, loop p99 ≤ 1.5× or < 20 ms)` +
    (verdict.viaDispatch === undefined
      ? ''
      : `; against the same route through dispatch (${verdict.viaDispatch.row.name}, a Deferred per call as auto returns): ` +
        `${two(verdict.viaDispatch.throughputRatio)}× — ${verdict.viaDispatch.met ? '≥ 0.9×' : 'below 0.9×'}`)
  );
}
