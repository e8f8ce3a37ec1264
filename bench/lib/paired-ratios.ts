/**
 * Paired ratios: a variant's time against the baseline's taken in the same pass or round (baseline time ÷ variant
 * time: > 1, faster), summarised by their median and spread.
 *
 * Why pair: on two shared cores the machine drifts over a run (load from other processes, the collector's and the
 * allocator's state, CPU frequency); two times taken back to back see the same drift, so it cancels in their ratio,
 * where the ratio of two medians, each over the whole run, keeps it. The median over the passes drops the ones a
 * burst hit, and the spread says how far a rerun's median may land. `measure-alternating.ts` pairs sample by sample,
 * `measure-interleaved.ts` (with `pairedRatios`) round by round; `route-verdict.ts` pairs two rows' rounds.
 *
 * @module
 */
import { formatRatio } from './format-table.js';
import { percentile } from './sample-stats.js';

/** The per-pass ratios of one variant to the baseline, summarised (unrounded). */
export interface PairedRatios {
  /** Median of the per-pass ratios (nearest rank). */
  readonly median: number;
  /** Their 10th and 90th percentiles: the spread a rerun's median may land in. */
  readonly p10: number;
  readonly p90: number;
}

/**
 * The ratios `baseTimes[i] ÷ times[i]` of the passes both measured (a pass missing on either side, or whose ratio is
 * not finite, is left out), summarised.
 * @param baseTimes - the baseline's time in each pass.
 * @param times - the variant's time in the same passes, in the same order.
 * @returns the median and 10th/90th percentiles; all 0 when no pass was measured by both.
 */
export function pairedRatios(baseTimes: readonly number[], times: readonly number[]): PairedRatios {
  const ratios = times
    .map((t, i) => (baseTimes[i] ?? Number.NaN) / t)
    .filter((r) => Number.isFinite(r))
    .sort((a, b) => a - b);
  return { median: percentile(ratios, 50), p10: percentile(ratios, 10), p90: percentile(ratios, 90) };
}

/**
 * A paired ratio with its spread, as the suites' notes and progress lines write it: `1.02× (p10–p90 0.95×–1.08×)`.
 * @param p - the summary.
 * @returns the text.
 */
export function formatPairedRatios(p: PairedRatios): string {
  return `${formatRatio(p.median)} (p10–p90 ${formatRatio(p.p10)}–${formatRatio(p.p90)})`;
}
