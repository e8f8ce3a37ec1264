/**
 * The benchmark runner end to end: one small suite with a tiny time budget, on the built code,
 * writing into a temporary directory; then the JSON and the regenerated Markdown and chart are
 * checked for shape (not for numbers, which depend on the machine).
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suiteResultProblems, type SuiteResult } from '../../bench/lib/suite-result.js';

const runner = join(process.cwd(), 'dist', 'bench', 'run.js');
let dir: string;
let output: string;
let result: SuiteResult;
let markdown: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bench-runner-test-'));
  output = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [runner, 'peers', '--quick', '--time', '20', '--results-dir', join(dir, 'results'), '--docs-dir', join(dir, 'docs')],
      // A bound for a hung runner, not a synchronisation: a quick peers run takes over 50 s on a loaded 2-core machine.
      { timeout: 240_000 },
      (error, out, err) => (error !== null ? reject(new Error(`runner failed: ${error.message}\n${out}\n${err}`)) : resolve(out)),
    );
  });
  result = JSON.parse(readFileSync(join(dir, 'results', 'peers.json'), 'utf8')) as SuiteResult;
  markdown = readFileSync(join(dir, 'docs', 'benchmarks.md'), 'utf8');
}, 250_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('bench/run.js peers --quick --time 20', () => {
  it('prints progress for every measured variant and a table per workload', () => {
    // Rows measured in rounds print `[peers i/n]`, rows measured alternating (the payload rows) `[peers]`.
    const progress = output.split('\n').filter((l) => /^\s+\[peers( \d+\/\d+)?\] .+ › /.test(l));
    const total = result.groups.reduce((n, g) => n + g.rows.length, 0);
    expect(progress).toHaveLength(total);
    for (const g of result.groups) expect(output).toContain(`${g.name}: ${g.description}`);
  });

  it('writes a result file in the shared format', () => {
    expect(suiteResultProblems(result)).toEqual([]);
    expect(result.suite).toBe('peers');
    expect(result.quick).toBe(true);
    expect(result.machine.node).toBe(process.version);
    expect(Number.isNaN(Date.parse(result.date))).toBe(false);
  });

  it('measures every row, with raw samples, a median and loop delay', () => {
    for (const g of result.groups) {
      for (const row of g.rows) {
        expect(row.error).toBeUndefined();
        expect(row.samplesMs.length).toBeGreaterThan(0);
        expect(row.medianMs).toBeGreaterThan(0);
        expect(row.opsPerSec).toBeGreaterThan(0);
        expect(row.loopDelay.p99Ms).toBeGreaterThanOrEqual(row.loopDelay.p50Ms);
        expect(row.loopDelay.maxMs).toBeGreaterThanOrEqual(row.loopDelay.p99Ms);
      }
    }
  });

  it('reports each row as a ratio against the baseline of the same run', () => {
    for (const g of result.groups) {
      const base = g.rows.find((r) => r.name === g.baseline)!;
      expect(base.ratio).toBe(1);
      for (const row of g.rows) expect(row.ratio).toBeCloseTo(row.opsPerSec / base.opsPerSec, 2);
    }
  });

  it('regenerates benchmarks.md with a well-formed table per workload and the chart', () => {
    expect(markdown.startsWith('# Benchmarks\n')).toBe(true);
    expect(markdown).toContain('(`peers`)');
    expect(markdown).toContain('![');
    expect(markdown).toContain('(bench-peers.svg)');
    for (const g of result.groups) expect(markdown).toContain(`### ${g.name}`);
    // Every table line has as many cells as its header.
    const lines = markdown.split('\n');
    lines.forEach((line, i) => {
      if (!line.startsWith('| path |')) return;
      const cells = (l: string): number => l.replace(/\\\|/g, '').split('|').length;
      let j = i + 1;
      while (lines[j]?.startsWith('|') === true) {
        expect(cells(lines[j]!)).toBe(cells(line));
        j += 1;
      }
      expect(j - i - 2).toBeGreaterThan(0);
    });
  });

  it('writes the chart as a standalone SVG with one bar pair per row', () => {
    const file = join(dir, 'docs', 'bench-peers.svg');
    expect(existsSync(file)).toBe(true);
    const svg = readFileSync(file, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    const rows = result.groups.reduce((n, g) => n + g.rows.length, 0);
    expect(svg.match(/<rect /g)?.length).toBe(2 * rows + 1); // + the background
  });
});
