/**
 * Draws a suite's results as an SVG chart, by hand (no chart dependency).
 *
 * Two panels per workload row: on the left the throughput ratio against the baseline on a log
 * scale centred on 1× (bars right of the line are faster than the baseline, left are slower);
 * on the right the event-loop delay p99 in ms on a log(1 + ms) scale. Seeing both side by side is
 * the point: a path that wins throughput by freezing the loop shows a long right-hand bar.
 *
 * @module
 */
import type { SuiteResult } from './suite-result.js';
import { formatNumber, formatRatio } from './format-table.js';

const palette: Record<string, string> = {
  inline: '#8c8c8c',
  deferToThread: '#1f77b4',
  deferToGreenlet: '#2ca02c',
  dispatch: '#9467bd',
  'dispatch(auto)': '#9467bd',
};
const spare = ['#ff7f0e', '#d62728', '#17becf', '#bcbd22', '#e377c2', '#7f7f7f', '#8c564b'];

function colour(name: string): string {
  const known = palette[name];
  if (known !== undefined) return known;
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return spare[h % spare.length] ?? '#444';
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fx = (n: number): string => n.toFixed(1);

/**
 * Renders the chart.
 * @param result - a suite's result.
 * @returns a standalone SVG document.
 * @example
 * ```ts
 * await writeFile('docs/bench-workloads.svg', renderChartSvg(result));
 * ```
 */
export function renderChartSvg(result: SuiteResult): string {
  const labelW = 170;
  const panelW = 330;
  const gap = 40;
  const rowH = 16;
  const groupHeadH = 22;
  const top = 58;
  const width = labelW + panelW + gap + panelW + 20;
  const rows = result.groups.flatMap((g) => g.rows.filter((r) => r.error === undefined));
  const ratios = rows.map((r) => r.ratio).filter((r) => r > 0);
  const lo = Math.log10(Math.max(1e-3, Math.min(0.5, ...ratios)));
  const hi = Math.log10(Math.min(1e4, Math.max(2, ...ratios)));
  const xr = (r: number): number => labelW + ((Math.log10(Math.min(1e4, Math.max(1e-3, r))) - lo) / (hi - lo)) * panelW;
  const maxDelay = Math.max(10, ...rows.map((r) => r.loopDelay.p99Ms));
  const x0d = labelW + panelW + gap;
  const xd = (ms: number): number => x0d + (Math.log10(1 + Math.max(0, ms)) / Math.log10(1 + maxDelay)) * panelW;

  const parts: string[] = [];
  let y = top;
  for (const group of result.groups) {
    parts.push(`<text x="4" y="${fx(y + 15)}" font-weight="bold">${esc(group.name)}</text>`);
    y += groupHeadH;
    for (const row of group.rows) {
      const cy = y + rowH / 2;
      const label = row.name === group.baseline ? `${row.name} (baseline)` : row.name;
      parts.push(`<text x="12" y="${fx(cy + 4)}">${esc(label)}</text>`);
      if (row.error !== undefined) {
        parts.push(`<text x="${labelW + 4}" y="${fx(cy + 4)}" fill="#d62728">error</text>`);
      } else {
        const a = xr(1);
        const b = xr(row.ratio > 0 ? row.ratio : 1);
        const c = colour(row.name);
        parts.push(`<rect x="${fx(Math.min(a, b))}" y="${fx(y + 2)}" width="${fx(Math.max(1, Math.abs(b - a)))}" height="${rowH - 4}" fill="${c}"><title>${esc(`${label}: ${formatRatio(row.ratio)} ops/s vs baseline`)}</title></rect>`);
        const tx = b >= a ? b + 3 : b - 3;
        parts.push(`<text x="${fx(tx)}" y="${fx(cy + 4)}" font-size="10" text-anchor="${b >= a ? 'start' : 'end'}">${esc(formatRatio(row.ratio))}</text>`);
        const d = xd(row.loopDelay.p99Ms);
        parts.push(`<rect x="${fx(x0d)}" y="${fx(y + 2)}" width="${fx(Math.max(1, d - x0d))}" height="${rowH - 4}" fill="${c}" opacity="0.8"><title>${esc(`${label}: loop delay p99 ${formatNumber(row.loopDelay.p99Ms)} ms`)}</title></rect>`);
        parts.push(`<text x="${fx(d + 3)}" y="${fx(cy + 4)}" font-size="10">${esc(`${formatNumber(row.loopDelay.p99Ms)} ms`)}</text>`);
      }
      y += rowH;
    }
  }
  const bottom = y + 8;
  const axes: string[] = [];
  // Ratio axis: decades plus the 1× line.
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) {
    const x = xr(10 ** e);
    axes.push(`<line x1="${fx(x)}" y1="${top - 4}" x2="${fx(x)}" y2="${fx(bottom)}" stroke="${e === 0 ? '#000' : '#ddd'}" stroke-width="${e === 0 ? 1.5 : 1}"/>`);
    axes.push(`<text x="${fx(x)}" y="${top - 8}" font-size="10" text-anchor="middle">${esc(formatRatio(10 ** e))}</text>`);
  }
  for (const ms of [0, 1, 10, 100, 1000, 10000].filter((v) => v <= maxDelay * 1.01)) {
    const x = xd(ms);
    axes.push(`<line x1="${fx(x)}" y1="${top - 4}" x2="${fx(x)}" y2="${fx(bottom)}" stroke="${ms === 0 ? '#000' : '#ddd'}"/>`);
    axes.push(`<text x="${fx(x)}" y="${top - 8}" font-size="10" text-anchor="middle">${ms} ms</text>`);
  }
  const height = bottom + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${fx(height)}" viewBox="0 0 ${width} ${fx(height)}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(`${result.title}: throughput vs baseline and event-loop delay p99`)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="4" y="16" font-size="14" font-weight="bold">${esc(result.title)}</text>`,
    `<text x="${labelW}" y="34" font-weight="bold">throughput vs baseline (log scale, right = faster)</text>`,
    `<text x="${x0d}" y="34" font-weight="bold">event-loop delay p99 (lower = freer loop)</text>`,
    ...axes,
    ...parts,
    `<text x="4" y="${fx(height - 8)}" font-size="10" fill="#666">${esc(`${result.machine.node} · ${result.machine.cpus} × ${result.machine.cpuModel} · ${result.date.slice(0, 10)}${result.quick ? ' · quick run' : ''}`)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
