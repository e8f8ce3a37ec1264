/**
 * Builds a {@link ResultGroup} from measured rows: picks the baseline and computes every ratio.
 *
 * Ratios are what the docs show, because absolute numbers move with the machine while "thread is
 * 1.8× inline on this workload" mostly does not. A row whose baseline has no throughput (it failed)
 * gets ratio 0 rather than Infinity, so JSON stays finite.
 *
 * @module
 */
import { emptyLoopDelay } from './loop-delay-recorder.js';
import type { ResultGroup, ResultRow } from './suite-result.js';

/** A measured row before ratios are known. */
export type MeasuredRow = Omit<ResultRow, 'ratio' | 'loopDelayRatio'>;

/**
 * The row of a variant that could not be measured: every figure 0 and `error` saying why.
 *
 * A path that throws is reported in its own row instead of ending the suite, so one broken variant does not cost
 * the whole run; every measuring helper writes that row this one way.
 * @param name - the variant's name.
 * @param batch - operations one sample would have run.
 * @param error - what it threw.
 * @returns the row, `error` as `name: message` for an `Error`, else the value as a string.
 */
export function failedRow(name: string, batch: number, error: unknown): MeasuredRow {
  return {
    name, opsPerSec: 0, medianMs: 0, p99Ms: 0, batch, loopDelay: emptyLoopDelay, samplesMs: [],
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  };
}

// Four significant digits: a 0.0002× overhead ratio must not round to 0.
const ratio = (a: number, b: number): number => (b > 0 && Number.isFinite(a / b) ? Number((a / b).toPrecision(4)) : 0);

/**
 * Computes ratios against the baseline row.
 * @param name - the workload's name.
 * @param description - one sentence on what it does.
 * @param baseline - the name of the baseline row; must be among `rows`.
 * @param rows - the measured rows, baseline included.
 * @returns the group.
 * @throws TypeError when no row is named `baseline`.
 */
export function resultGroup(name: string, description: string, baseline: string, rows: readonly MeasuredRow[]): ResultGroup {
  const base = rows.find((r) => r.name === baseline);
  if (base === undefined) {
    throw new TypeError(`Expected \`baseline\` to name one of the rows (${rows.map((r) => r.name).join(', ')}), got \`${baseline}\``);
  }
  return {
    name,
    description,
    baseline,
    rows: rows.map((row) => ({
      ...row,
      ratio: ratio(row.opsPerSec, base.opsPerSec),
      // Loop delay is compared on p99; a baseline that never stalled (p99 0) makes the ratio meaningless, so 0.
      loopDelayRatio: ratio(row.loopDelay.p99Ms, base.loopDelay.p99Ms),
    })),
  };
}
