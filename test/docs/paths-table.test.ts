import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { controlRow, endMarker, expectedReadme, readmeFile, renderPathsTable, startMarker, spliceTable, type WorkloadsResult } from './paths-table.js';

function result(names: string[]): WorkloadsResult {
  const row = (name: string, opsPerSec: number, p99Ms: number) => ({ name, opsPerSec, loopDelay: { p99Ms } });
  return {
    date: '2026-01-02T00:00:00.000Z',
    machine: { cpus: 2, loadAverage: 1.5, node: 'v20.19.0' },
    groups: names.map((name) => ({
      name,
      baseline: 'inline',
      rows: [row('inline', 100, 20), row('deferToThread', 50, 2), row('deferToGreenlet', 80, 10), row('dispatch(auto)', 5, 40)],
    })),
  };
}

describe('README "which path for which work" table', () => {
  it('holds the ratios of the committed bench/results/workloads.json, exactly as the generator renders them', () => {
    expect(readFileSync(readmeFile, 'utf8')).toBe(expectedReadme());
  });

  it('computes each cell as throughput and loop-delay p99 ratios against the baseline row', () => {
    const table = renderPathsTable(result(['CPU: fib(30)']));
    expect(table).toContain('| 0.50× / 0.10× | 0.80× / 0.50× | 0.050× / 2.00× |');
    expect(table).toContain('2026-01-02, Node v20.19.0');
    expect(table).toContain('shared 2-core machine, load average 1.5');
  });

  it("states the A/A control's spread as the noise floor, and keeps the control out of the advice", () => {
    const withControl = result(['CPU: fib(30)', 'tiny tasks']);
    const groups = withControl.groups.map((g, i) => ({ ...g, rows: [...g.rows, { name: controlRow, opsPerSec: i === 0 ? 95 : 104, loopDelay: { p99Ms: 20 } }] }));
    const table = renderPathsTable({ ...withControl, groups });
    expect(table).toContain('inline measured twice; the second read 0.95×–1.04× of the first');
    expect(table).not.toContain(`${controlRow}:`);
    expect(renderPathsTable(result(['CPU: fib(30)']))).not.toContain('measured twice');
  });

  it('refuses a workload it has no advice for (a new workload cannot slip in unexplained)', () => {
    expect(() => renderPathsTable(result(['something new']))).toThrow('No advice for workload "something new"');
  });

  it("formats ratios as the bench tables do (bench/lib/format-table.ts formatRatio): one decimal from 10×", () => {
    const fast = result(['CPU: fib(30)']);
    fast.groups[0]!.rows[1]!.opsPerSec = 1240; // deferToThread 12.4× inline
    expect(renderPathsTable(fast)).toContain('| 12.4× / 0.10× |');
  });

  it('replaces only what is between the markers', () => {
    const readme = `intro\n${startMarker}\nold\n${endMarker}\noutro\n`;
    expect(spliceTable(readme, `${startMarker}\nnew\n${endMarker}`)).toBe(`intro\n${startMarker}\nnew\n${endMarker}\noutro\n`);
  });
});
