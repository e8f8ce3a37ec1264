/**
 * Statistics over measured samples, as every measuring helper and suite computes them.
 *
 * One definition each, so that a "p99" or a "median" means the same in every row of every suite: `percentile` is
 * the nearest rank (no interpolation: the figure is a sample that was measured), `median` interpolates the middle
 * two of an even count (used for per-round ratios, where a count of two is common), and stored durations and
 * ratios keep four decimals.
 *
 * @module
 */

/**
 * Rounds to four decimals, as the bench results keep durations and ratios.
 * @param x - a number.
 * @returns `x` rounded.
 */
export const round4 = (x: number): number => Math.round(x * 10000) / 10000;

/**
 * The `p`th percentile of sorted samples (nearest rank, no interpolation); 0 for no samples.
 * @param sorted - samples in ascending order.
 * @param p - 0-100.
 * @returns the sample at that rank.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * The median of some numbers (the mean of the middle two for an even count); 0 for none.
 * @param xs - the numbers, in any order.
 * @returns their median.
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
