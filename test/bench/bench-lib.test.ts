/**
 * The shared bench helpers: ratios, formatting, argument parsing, result validation and the
 * Markdown page, on hand-made results (no measuring).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, it, expect, jest } from '@jest/globals';
import { failedRow, resultGroup, type MeasuredRow } from '../../bench/lib/result-group.js';
import { formatMarkdownTable, formatRatio, formatTextTable } from '../../bench/lib/format-table.js';
import { suiteResult, suiteResultProblems, suiteResultSchema, type SuiteResult } from '../../bench/lib/suite-result.js';
import { renderBenchmarksMarkdown } from '../../bench/lib/render-benchmarks-markdown.js';
import { renderChartSvg } from '../../bench/lib/render-chart-svg.js';
import { parseRunnerArgs } from '../../bench/run.js';
import { LoopDelayRecorder, emptyLoopDelay, summariseLoopDelay } from '../../bench/lib/loop-delay-recorder.js';
import { formatRouteVerdict, routeVerdict } from '../../bench/lib/route-verdict.js';
import { measureInterleaved } from '../../bench/lib/measure-interleaved.js';
import { formatPairedRatios, pairedRatios } from '../../bench/lib/paired-ratios.js';
import type { Variant } from '../../bench/lib/workload.js';
import { measureAlternating, measureAlternatingPaired } from '../../bench/lib/measure-alternating.js';
import { runChildBench } from '../../bench/lib/run-child-bench.js';

describe('runChildBench()', () => {
  // A stand-in for a bench file run as a child: progress lines, then its result as the last line.
  const child = `
    console.log('progress 1');
    console.log('progress 2');
    const last = process.argv.includes('--broken') ? 'not json' : JSON.stringify({ argv: process.argv.slice(2), env: process.env.BENCH_CHILD_VAR ?? null, gc: typeof globalThis.gc });
    console.log(last);
    process.exitCode = process.argv.includes('--fail') ? 3 : 0;
  `;
  let dir = '';
  let file = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'run-child-bench-'));
    file = join(dir, 'child.mjs');
    writeFileSync(file, child);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses the last line of the child\'s stdout, started with its node flags, file flags and added variables', async () => {
    const logged = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const value = await runChildBench<{ argv: string[]; env: string | null; gc: string }>(file, { nodeArgs: ['--expose-gc'], args: ['--row', 'x'], env: { BENCH_CHILD_VAR: 'set' } });
      expect(value).toEqual({ argv: ['--row', 'x'], env: 'set', gc: 'function' });
      expect(logged).not.toHaveBeenCalled();
    } finally {
      logged.mockRestore();
    }
  });

  it('relays the lines before the last one only when asked', async () => {
    const logged = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await runChildBench(file, { relayProgress: true });
      expect(logged.mock.calls).toEqual([['progress 1\nprogress 2']]);
    } finally {
      logged.mockRestore();
    }
  });

  it('rejects with a SyntaxError naming the file when the last line is not JSON, and with the exit error when the child fails', async () => {
    await expect(runChildBench(file, { args: ['--broken'] })).rejects.toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --broken: its last line is not JSON: "not json"$`));
    await expect(runChildBench(file, { args: ['--fail'] })).rejects.toMatchObject({ code: 3 });
  });
});

const measured = (name: string, opsPerSec: number, p99Ms: number): MeasuredRow => ({
  name, opsPerSec, medianMs: 1000 / opsPerSec, p99Ms: 1, batch: 1, samplesMs: [1, 2],
  loopDelay: { p50Ms: p99Ms / 2, p99Ms, maxMs: p99Ms, meanMs: p99Ms / 2, count: 10 },
});

const suite = (rows: MeasuredRow[]): SuiteResult => ({
  schema: suiteResultSchema, suite: 'demo', title: 'Demo', description: 'A demo suite.', date: '2026-01-01T00:00:00.000Z',
  machine: { node: 'v20.19.0', os: 'linux', arch: 'x64', cpuModel: 'cpu', cpus: 2, memoryGiB: 8 }, quick: false, durationMs: 1000,
  groups: [resultGroup('work', 'Some work.', 'inline', rows)], notes: ['a note'],
});

describe('resultGroup()', () => {
  it('computes throughput and loop-delay ratios against the baseline row', () => {
    const g = resultGroup('w', 'd', 'inline', [measured('inline', 100, 40), measured('thread', 250, 2)]);
    expect(g.rows.map((r) => [r.name, r.ratio, r.loopDelayRatio])).toEqual([['inline', 1, 1], ['thread', 2.5, 0.05]]);
  });

  it('keeps tiny ratios instead of rounding them to 0', () => {
    const g = resultGroup('w', 'd', 'inline', [measured('inline', 5_000_000, 1), measured('thread', 1_000, 1)]);
    expect(g.rows[1]!.ratio).toBe(0.0002);
  });

  it('throws TypeError when no row is the baseline', () => {
    expect(() => resultGroup('w', 'd', 'nope', [measured('inline', 1, 1)])).toThrow(TypeError);
  });
});

describe('routeVerdict()', () => {
  const group = (...rows: MeasuredRow[]) => resultGroup('work', 'Some work.', 'inline', rows);

  it('does not count a route that wins by freezing the loop: the best is the fastest responsive one', () => {
    // The inline route is fastest but stalls the loop 60 ms (over 20 ms and over 2× the threads' 4 ms).
    const v = routeVerdict(
      group(measured('inline', 1000, 60), measured('dispatch(inline)', 950, 60), measured('deferToGreenlet', 900, 55), measured('deferToThread', 400, 4), measured('dispatch(auto)', 380, 5)),
    );
    expect(v.best?.name).toBe('deferToThread');
    expect(v.throughputRatio).toBeCloseTo(0.95);
    expect(v.met).toBe(true);
  });

  it("counts a route within 2× the threads' loop delay as responsive even over blockingThresholdMs", () => {
    const v = routeVerdict(
      group(measured('inline', 1100, 50), measured('dispatch(inline)', 1000, 50), measured('deferToGreenlet', 10, 1), measured('deferToThread', 400, 30), measured('dispatch(auto)', 950, 45)),
    );
    expect(v.best?.name).toBe('dispatch(inline)');
    expect(v.met).toBe(true);
  });

  it('fails auto below 0.9× the throughput, or with a loop p99 over 1.5× the route and over the threshold', () => {
    const rows = (autoOps: number, autoP99: number, inlineP99: number) =>
      group(measured('inline', 2000, 2), measured('dispatch(inline)', 1000, inlineP99), measured('deferToGreenlet', 10, 1), measured('deferToThread', 10, 1), measured('dispatch(auto)', autoOps, autoP99));
    expect(routeVerdict(rows(890, 2, 2)).met).toBe(false);
    expect(routeVerdict(rows(1000, 25, 15)).met).toBe(false);
    expect(routeVerdict(rows(1000, 19, 2)).met).toBe(true);
  });

  it('judges nothing when no fixed route kept the loop responsive, and says so', () => {
    const v = routeVerdict(group(measured('inline', 1000, 60), measured('dispatch(inline)', 900, 60), measured('deferToGreenlet', 900, 70), measured('dispatch(auto)', 950, 5)));
    expect(v).toMatchObject({ best: undefined, met: false });
    expect(formatRouteVerdict(v)).toBe(
      'work: no fixed route kept the loop responsive (or a row failed); auto not judged; against the bare call (inline: a plain value, no Deferred) dispatch(auto) 0.95× its throughput',
    );
  });

  it('takes the inline route as dispatch returns it (a Deferred), never the bare call, and gives auto against the bare call beside it', () => {
    const v = routeVerdict(
      group(
        measured('inline', 1000, 2),
        measured('maybeDeferred', 600, 2),
        measured('dispatch(inline)', 500, 2),
        measured('deferToGreenlet', 10, 1),
        measured('deferToThread', 10, 1),
        measured('dispatch(auto)', 460, 3),
      ),
    );
    expect(v.best?.name).toBe('dispatch(inline)');
    expect(v.throughputRatio).toBeCloseTo(0.92);
    expect(v.met).toBe(true);
    expect(v.bare?.name).toBe('inline');
    expect(v.bareRatio).toBeCloseTo(0.46);
    expect(formatRouteVerdict(v)).toBe(
      'work: best responsive fixed route dispatch(inline) (loop p99 2.00 ms); dispatch(auto) 0.92× its throughput, loop p99 3.00 ms (1.50× its) — goal met (≥ 0.9× throughput, loop p99 ≤ 1.5× or < 20 ms); against the bare call (inline: a plain value, no Deferred) dispatch(auto) 0.46× its throughput',
    );
  });

  it('compares auto with the best route round by round when both rows carry their rounds, and writes the spread', () => {
    // Over the whole run auto's median sample is 1.25× the threads' (a load burst in two of its rounds), but in six
    // rounds of eight it ran as fast as the threads in the same round.
    const rounds = (name: string, ops: number, ms: number[]): MeasuredRow => ({ ...measured(name, ops, 2), roundMedianMs: ms });
    const v = routeVerdict(
      group(
        rounds('inline', 100, [40, 40, 40, 40, 40, 40, 40, 40]),
        rounds('deferToGreenlet', 100, [40, 40, 40, 40, 40, 40, 40, 40]),
        rounds('deferToThread', 200, [20, 22, 18, 20, 21, 19, 20, 20]),
        rounds('dispatch(auto)', 160, [20, 22, 18, 40, 21, 19, 40, 20]),
      ),
    );
    expect(v.best?.name).toBe('deferToThread');
    expect(v.perRound).toEqual({ median: 1, p10: 0.5, p90: 1 });
    expect(v.throughputRatio).toBe(1);
    expect(v.met).toBe(true);
    expect(formatRouteVerdict(v)).toContain('dispatch(auto) 1.00× its throughput (per round: 1.00× (p10–p90 0.50×–1.00×)), loop p99');
  });

  it('writes one line with the route, the ratios and the outcome', () => {
    const line = formatRouteVerdict(
      routeVerdict(group(measured('inline', 1000, 2), measured('deferToGreenlet', 10, 1), measured('deferToThread', 625, 2), measured('dispatch(auto)', 500, 3))),
    );
    expect(line).toBe(
      'work: best responsive fixed route deferToThread (loop p99 2.00 ms); dispatch(auto) 0.80× its throughput, loop p99 3.00 ms (1.50× its) — goal NOT met (≥ 0.9× throughput, loop p99 ≤ 1.5× or < 20 ms); against the bare call (inline: a plain value, no Deferred) dispatch(auto) 0.50× its throughput',
    );
  });
});

describe('formatRatio()', () => {
  it.each([[1, '1.00×'], [12.345, '12.3×'], [0.25, '0.25×'], [0.0123, '0.012×'], [0, 'n/a']])('formats %p as %p', (r, text) => {
    expect(formatRatio(r)).toBe(text);
  });
});

describe('formatTextTable() / formatMarkdownTable()', () => {
  it('pads columns and right-aligns numbers', () => {
    expect(formatTextTable(['a', 'n'], [['xx', '1'], ['y', '100']], ['left', 'right']).split('\n')).toEqual(['a     n', '--  ---', 'xx    1', 'y   100']);
  });

  it('escapes pipes in Markdown cells', () => {
    expect(formatMarkdownTable(['a'], [['x|y']])).toBe('| a |\n| --- |\n| x\\|y |');
  });
});

describe('parseRunnerArgs()', () => {
  it('reads suites and flags', () => {
    expect(parseRunnerArgs(['peers', '--quick', '--time', '50', 'server', '--no-docs'])).toEqual({
      suites: ['peers', 'server'], quick: true, timeMs: 50, resultsDir: undefined, docsDir: undefined, docs: false, list: false, docsOnly: false,
    });
  });

  it.each([[['--bogus']], [['--time', '0']], [['--time']]])('rejects %p with TypeError', (argv) => {
    expect(() => parseRunnerArgs(argv)).toThrow(TypeError);
  });
});

describe('suiteResultProblems()', () => {
  it('accepts a well-formed result', () => {
    expect(suiteResultProblems(suite([measured('inline', 10, 1)]))).toEqual([]);
  });

  it('accepts what suiteResult() builds, dated, on this machine, timed from its start', () => {
    // Started a day ago: the wall time is that day and whatever this call takes (a generous bound).
    const day = 86_400_000;
    const result = suiteResult({ suite: 'demo', title: 'Demo', description: 'd', quick: true, groups: [resultGroup('w', 'd', 'inline', [measured('inline', 10, 1)])], notes: [] }, performance.now() - day);
    expect(suiteResultProblems(result)).toEqual([]);
    expect(result.schema).toBe(suiteResultSchema);
    expect(result.durationMs).toBeGreaterThanOrEqual(day);
    expect(result.durationMs).toBeLessThan(day + 600_000);
    expect(result.machine.cpus).toBeGreaterThan(0);
  });

  it('names what is missing', () => {
    expect(suiteResultProblems({ schema: 'x', groups: [{ baseline: 'b', rows: [{ name: 'a' }] }] })).toEqual(expect.arrayContaining([
      `schema is not ${suiteResultSchema}`, 'suite is not a string', 'machine is missing',
      'groups[0] has no row named after its baseline b', 'groups[0].rows[0] (a) lacks opsPerSec, ratio or loopDelay',
    ]));
  });
});

describe('renderBenchmarksMarkdown()', () => {
  it('lists skipped files and renders each suite with its chart and notes', () => {
    const md = renderBenchmarksMarkdown([suite([measured('inline', 10, 1), measured('thread', 20, 1)])], [{ file: 'old.json', problem: 'bad' }]);
    expect(md).toContain('## Demo (`demo`)');
    expect(md).toContain('![Demo: throughput ratio and loop delay](bench-demo.svg)');
    expect(md).toContain('| inline (baseline) | 10.0 | 1.00× |');
    expect(md).toContain('| thread | 20.0 | 2.00× |');
    expect(md).toContain('- a note');
    expect(md).toContain('- `old.json`: bad');
  });
});

describe('renderChartSvg()', () => {
  it('draws an error row as text instead of bars', () => {
    const failed: MeasuredRow = { ...measured('thread', 1, 1), opsPerSec: 0, error: 'boom' };
    const svg = renderChartSvg(suite([measured('inline', 10, 1), failed]));
    expect(svg).toContain('>error</text>');
    expect(svg.match(/<rect /g)?.length).toBe(3);
  });
});

describe('LoopDelayRecorder', () => {
  it('returns the empty summary when stopped without starting', () => {
    expect(new LoopDelayRecorder().stop()).toEqual(emptyLoopDelay);
  });

  it('rejects a resolution below 1 ms', () => {
    expect(() => new LoopDelayRecorder(0)).toThrow(TypeError);
  });
});

describe('summariseLoopDelay()', () => {
  it('gives each wake-up interval less the timer period, in ms', () => {
    const h = createHistogram();
    for (const ms of [2, 2, 2, 7]) h.record(ms * 1e6);
    const summary = summariseLoopDelay(h, 2);
    // The histogram keeps three significant digits: compare to the µs.
    expect(summary.count).toBe(4);
    expect(summary.p50Ms).toBeCloseTo(0, 2);
    expect(summary.p99Ms).toBeCloseTo(5, 2);
    expect(summary.maxMs).toBeCloseTo(5, 2);
    expect(summary.meanMs).toBeCloseTo(1.25, 2);
  });

  it('returns the empty summary for a histogram that recorded nothing', () => {
    expect(summariseLoopDelay(createHistogram(), 2)).toEqual(emptyLoopDelay);
  });
});

describe('failedRow()', () => {
  it.each([
    ['an Error as name: message', new RangeError('broke'), 'RangeError: broke'],
    ['any other value as a string', 42, '42'],
  ])('describes %s, every figure 0', (_, error, text) => {
    expect(failedRow('thread', 8, error)).toEqual({ name: 'thread', opsPerSec: 0, medianMs: 0, p99Ms: 0, batch: 8, loopDelay: emptyLoopDelay, samplesMs: [], error: text });
  });
});

describe('measureInterleaved()', () => {
  const budget = { rounds: 2, timeMs: 1, iterations: 1 };
  const quiet = (): void => undefined;
  const recording = (names: string[], seen: string[], fail?: string): Variant[] =>
    names.map((name) => ({
      name,
      setup: () => void seen.push(`setup ${name}`),
      run: () => {
        if (name === fail) throw new RangeError(`${name} broke`);
        if (seen.at(-1) !== name) seen.push(name);
      },
      teardown: () => void seen.push(`teardown ${name}`),
    }));
  const workload = (variants: Variant[], warmupRuns?: number) => ({
    name: 'w', description: 'd', batch: 1, baseline: 'a', variants, ...(warmupRuns === undefined ? {} : { warmupRuns }),
  });

  it('sets every variant up first, runs each once per round (reversed every other round with alternate), then tears down', async () => {
    const seen: string[] = [];
    await measureInterleaved('t', workload(recording(['a', 'b'], seen)), budget, quiet, { alternate: true });
    // Round 1 runs a then b, round 2 b then a (consecutive runs of one variant are recorded once).
    expect(seen).toEqual(['setup a', 'setup b', 'a', 'b', 'a', 'teardown a', 'teardown b']);
  });

  it('runs warmupRuns untimed batches of each variant after its setup', async () => {
    let runs = 0;
    const counted: Variant = { name: 'a', run: () => void (runs += 1) };
    await measureInterleaved('t', workload([counted], 5), { rounds: 0, timeMs: 1, iterations: 1 }, quiet);
    expect(runs).toBe(5);
  });

  it('turns a throwing variant into an error row with errorRows, and measures the others', async () => {
    const seen: string[] = [];
    const group = await measureInterleaved('t', workload(recording(['a', 'b'], seen, 'b')), budget, quiet, { errorRows: true });
    expect(group.rows.map((r) => [r.name, r.error])).toEqual([['a', undefined], ['b', 'RangeError: b broke']]);
    expect(group.rows[0]!.opsPerSec).toBeGreaterThan(0);
    expect(seen.filter((x) => x.startsWith('teardown'))).toEqual(['teardown a', 'teardown b']);
  });

  it("with pairedRatios keeps each row's median sample per round, and makes its ratio the median per-round ratio", async () => {
    const noop = (name: string): Variant => ({ name, run: () => undefined });
    const plain = await measureInterleaved('t', workload([noop('a'), noop('b')]), { rounds: 3, timeMs: 1, iterations: 5 }, quiet);
    expect(plain.rows.map((r) => r.roundMedianMs)).toEqual([undefined, undefined]);
    const group = await measureInterleaved('t', workload([noop('a'), noop('b')]), { rounds: 3, timeMs: 1, iterations: 5 }, quiet, { pairedRatios: true });
    const [a, b] = group.rows;
    expect([a!.roundMedianMs!.length, b!.roundMedianMs!.length]).toEqual([3, 3]);
    expect(a!.ratio).toBe(1);
    expect(b!.ratio).toBe(Number(pairedRatios(a!.roundMedianMs!, b!.roundMedianMs!).median.toPrecision(4)));
    expect(b!.opsPerSec).toBeCloseTo(a!.opsPerSec * b!.ratio, 2);
  });

  it('rejects with the error of a throwing variant without errorRows, after tearing every variant down', async () => {
    const seen: string[] = [];
    await expect(measureInterleaved('t', workload(recording(['a', 'b'], seen, 'b')), budget, quiet)).rejects.toThrow('b broke');
    expect(seen.filter((x) => x.startsWith('teardown'))).toEqual(['teardown a', 'teardown b']);
  });
});

describe('pairedRatios()', () => {
  it("takes the baseline's time ÷ the variant's pass by pass: their median and 10th/90th percentiles", () => {
    // Nine passes at 2 ÷ 1, one pass (a burst of load on the variant) at 2 ÷ 8.
    const p = pairedRatios(Array<number>(10).fill(2), [1, 1, 1, 1, 8, 1, 1, 1, 1, 1]);
    expect(p).toEqual({ median: 2, p10: 2, p90: 2 });
    expect(pairedRatios([2, 2, 2, 2], [1, 8, 8, 1])).toEqual({ median: 2, p10: 0.25, p90: 2 });
  });

  it('leaves out a pass the baseline has no time for, and gives 0 when no pass pairs', () => {
    expect(pairedRatios([4], [1, 2])).toEqual({ median: 4, p10: 4, p90: 4 });
    expect(pairedRatios([], [1])).toEqual({ median: 0, p10: 0, p90: 0 });
  });

  it('writes the median with its spread as the tables write ratios', () => {
    expect(formatPairedRatios({ median: 1.0234, p10: 0.95, p90: 0.0456 })).toBe('1.02× (p10–p90 0.95×–0.046×)');
  });
});

describe('measureAlternating()', () => {
  const quiet = (): void => undefined;
  const recording = (names: string[], seen: string[]) => names.map((name) => ({ name, run: () => void seen.push(name) }));

  it('runs every variant once per pass, warm-up passes first, and keeps one sample per timed call', async () => {
    const seen: string[] = [];
    const group = await measureAlternating('t', { name: 'w', description: 'd', baseline: 'a', variants: recording(['a', 'b', 'c'], seen) }, { warmup: 2, samples: 40 }, quiet);
    expect(seen).toHaveLength(3 * 42);
    for (let pass = 0; pass < 42; pass++) expect([...seen.slice(3 * pass, 3 * pass + 3)].sort()).toEqual(['a', 'b', 'c']);
    expect(group.rows.map((r) => [r.name, r.batch, r.loopDelay.count])).toEqual([['a', 1, 0], ['b', 1, 0], ['c', 1, 0]]);
    expect(group.baseline).toBe('a');
  });

  it('shuffles the order of the timed passes, so no variant always runs right after the same one', async () => {
    const seen: string[] = [];
    await measureAlternating('t', { name: 'w', description: 'd', baseline: 'a', variants: recording(['a', 'b', 'c'], seen) }, { warmup: 0, samples: 60 }, quiet);
    const passes = new Set<string>();
    for (let pass = 0; pass < 60; pass++) passes.add(seen.slice(3 * pass, 3 * pass + 3).join(''));
    // All six orders of three variants turn up in 60 shuffled passes; a rotation would give only three.
    expect(passes.size).toBe(6);
  });

  it('counts a batched sample as its batch of calls: ops/s is batch ÷ the median sample', async () => {
    let t = 0;
    const clock = (): number => (t += 1); // every sample reads the clock twice: 1 ms each
    const workload = { name: 'w', description: 'd', baseline: 'a', batch: 8, variants: recording(['a', 'b'], []) };
    const group = await measureAlternating('t', workload, { warmup: 0, samples: 20 }, quiet, clock);
    expect(group.rows.map((r) => [r.name, r.batch, r.medianMs, r.opsPerSec])).toEqual([['a', 8, 1, 8000], ['b', 8, 1, 8000]]);
  });

  it("pairs each variant's sample with the baseline's of the same pass: baseline time ÷ variant time, median and p10-p90", async () => {
    let t = 0;
    let pass = 0;
    // The baseline takes 2 ms a call; `b` takes 1 ms in three passes of four and 4 ms in the fourth (a burst of load).
    const variants = [
      { name: 'a', run: () => void (t += 2) },
      { name: 'b', run: () => void (t += pass++ % 4 === 3 ? 4 : 1) },
    ];
    const { group, paired } = await measureAlternatingPaired('t', { name: 'w', description: 'd', baseline: 'a', variants }, { warmup: 0, samples: 20 }, quiet, () => t);
    expect(paired.get('a')).toEqual({ median: 1, p10: 1, p90: 1 });
    expect(paired.get('b')).toEqual({ median: 2, p10: 0.5, p90: 2 }); // 15 passes 2 ÷ 1, 5 passes 2 ÷ 4
    expect(group.rows.map((r) => r.name)).toEqual(['a', 'b']);
  });
});
