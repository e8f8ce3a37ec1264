/**
 * Plain-text and Markdown tables for benchmark output.
 *
 * The console table and the docs table come from the same cells, so what a user sees after
 * `npm run bench` is what `docs/benchmarks.md` says.
 *
 * @module
 */
import type { ResultGroup } from './suite-result.js';

/** Column alignment: text left, numbers right. */
export type Align = 'left' | 'right';

/**
 * Formats a ratio the way every table shows it: `1.00×`, `0.031×`, `12.4×`.
 * @param r - the ratio.
 * @returns the text; `n/a` for 0 (no baseline).
 */
export function formatRatio(r: number): string {
  if (r === 0) return 'n/a';
  if (r >= 10) return `${r.toFixed(1)}×`;
  if (r >= 0.1) return `${r.toFixed(2)}×`;
  return `${r.toPrecision(2)}×`;
}

/**
 * Formats a number with about three significant digits and thousands separators.
 * @param n - the number.
 * @returns the text.
 */
export function formatNumber(n: number): string {
  if (n === 0) return '0';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 1) return n.toFixed(Math.abs(n) >= 10 ? 1 : 2);
  return n.toPrecision(2);
}

/** The header of the standard comparison table. */
export const groupTableHeaders: readonly string[] = ['path', 'ops/s', 'vs baseline', 'median ms', 'loop p50 ms', 'loop p99 ms', 'loop max ms', 'loop p99 vs baseline'];

/** Alignment of {@link groupTableHeaders}. */
export const groupTableAlign: readonly Align[] = ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'];

/**
 * The cells of the standard comparison table for one workload.
 * @param group - a result group.
 * @returns one row of cells per measured path, baseline marked with `(baseline)`.
 */
export function groupTableCells(group: ResultGroup): string[][] {
  return group.rows.map((row) => {
    const name = row.name === group.baseline ? `${row.name} (baseline)` : row.name;
    if (row.error !== undefined) return [name, 'error', '', '', '', '', '', row.error.slice(0, 60)];
    return [
      name,
      formatNumber(row.opsPerSec),
      formatRatio(row.ratio),
      formatNumber(row.medianMs),
      formatNumber(row.loopDelay.p50Ms),
      formatNumber(row.loopDelay.p99Ms),
      formatNumber(row.loopDelay.maxMs),
      formatRatio(row.loopDelayRatio),
    ];
  });
}

/**
 * A plain-text table with padded columns, for the console.
 * @param headers - column titles.
 * @param rows - cells.
 * @param align - per-column alignment; default left.
 * @returns the table, lines joined by `\n`.
 */
export function formatTextTable(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (align[i] === 'right' ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * A GitHub-flavoured Markdown table.
 * @param headers - column titles.
 * @param rows - cells (pipes are escaped).
 * @param align - per-column alignment; default left.
 * @returns the table, lines joined by `\n`.
 */
export function formatMarkdownTable(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  const line = (cells: readonly string[]): string => `| ${cells.map(esc).join(' | ')} |`;
  const rule = `|${headers.map((_, i) => (align[i] === 'right' ? ' ---: ' : ' --- ')).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}
