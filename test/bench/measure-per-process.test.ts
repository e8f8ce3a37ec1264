/**
 * The one-process-per-variant rounds: their order and how rounds add up to ratios, on hand-made runs (no processes).
 */
import { describe, it, expect } from '@jest/globals';
import { median } from '../../bench/lib/sample-stats.js';
import { describeRatios, measurePerProcess, perProcessOrder, perProcessSquare, summarisePerProcess, threadCpuMs, type ProcessRun } from '../../bench/lib/measure-per-process.js';

// CPU time is half the wall time unless a test says otherwise.
const run = (...batchesMs: number[]): ProcessRun => ({ totalMs: batchesMs.reduce((s, b) => s + b, 0), batchesMs, cpuMs: batchesMs.reduce((s, b) => s + b, 0) / 2 });
const quiet = (): void => undefined;
// Runs of 10 ms whose CPU time (or main thread's CPU time) is each of `values`.
const runsWith = (key: 'cpuMs' | 'mainCpuMs', ...values: number[]): ProcessRun[] => values.map((v) => ({ ...run(10), [key]: v }));

describe('perProcessSquare()', () => {
  it.each([
    [2, 2],
    [3, 6],
    [4, 4],
    [5, 10],
  ])('takes %i variants through a square of %i rounds (2n when n is odd)', (n, rounds) => {
    expect(perProcessSquare(n)).toBe(rounds);
  });
});

describe('perProcessOrder()', () => {
  it.each([
    [0, ['a', 'b', 'c']],
    [1, ['b', 'c', 'a']],
    [2, ['c', 'a', 'b']],
    [3, ['c', 'b', 'a']],
    [4, ['a', 'c', 'b']],
    [5, ['b', 'a', 'c']],
    [6, ['a', 'b', 'c']],
  ])('runs round %i of three variants in the order %j (a Williams square, repeating after 6)', (round, expected) => {
    expect(perProcessOrder(['a', 'b', 'c'], round)).toEqual(expected);
  });

  it.each([2, 3, 4, 5, 6])('over one square of %i variants, runs each variant in each position, and right after each other variant, equally often', (n) => {
    const variants = Array.from({ length: n }, (_, i) => `v${i}`);
    const rounds = perProcessSquare(n);
    const positions = new Map<string, number>();
    const follows = new Map<string, number>();
    for (let r = 0; r < rounds; r++) {
      const order = perProcessOrder(variants, r);
      expect([...order].sort()).toEqual(variants);
      order.forEach((v, i) => positions.set(`${v}@${i}`, (positions.get(`${v}@${i}`) ?? 0) + 1));
      order.slice(1).forEach((v, i) => follows.set(`${order[i]!}>${v}`, (follows.get(`${order[i]!}>${v}`) ?? 0) + 1));
    }
    expect(positions.size).toBe(n * n);
    expect(new Set(positions.values())).toEqual(new Set([rounds / n]));
    expect(follows.size).toBe(n * (n - 1));
    expect(new Set(follows.values())).toEqual(new Set([rounds / n]));
  });
});

describe('median()', () => {
  it.each([
    [[], 0],
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
  ])('of %j is %d', (xs, m) => {
    expect(median(xs)).toBe(m);
  });
});

describe('summarisePerProcess()', () => {
  it('gives the median of the per-round ratios, so one slow round moves it by a rank, not by its cost', () => {
    // Per-round ratios 1, 1, 0.1 (a burst of load on b's third process): median 1; totals 30 vs 120 (0.25).
    const [base, b] = summarisePerProcess('a', new Map([['a', [run(10), run(10), run(10)]], ['b', [run(10), run(10), run(100)]]]));
    expect(base).toMatchObject({ name: 'a', totalMs: 30, ratio: 1, totalRatio: 1, roundRatioMin: 1, roundRatioMax: 1 });
    expect(b).toMatchObject({ name: 'b', totalMs: 120, ratio: 1, totalRatio: 0.25, roundRatioMin: 0.1, roundRatioMax: 1 });
  });

  it('pairs each round\'s variant with the baseline of the same round', () => {
    // Round by round b is twice as fast as a, while the rounds themselves differ tenfold.
    const [, b] = summarisePerProcess('a', new Map([['a', [run(10), run(100), run(40), run(20)]], ['b', [run(5), run(50), run(20), run(10)]]]));
    expect(b).toMatchObject({ ratio: 2, roundRatioMin: 2, roundRatioP25: 2, roundRatioP75: 2, roundRatioMax: 2 });
  });

  it('gives the per-round ratios\' quartiles (nearest rank)', () => {
    const base = [run(10), run(10), run(10), run(10)];
    const [, b] = summarisePerProcess('a', new Map([['a', base], ['b', [run(20), run(10), run(5), run(12.5)]]]));
    // Ratios sorted: 0.5, 0.8, 1, 2.
    expect(b).toMatchObject({ ratio: 0.9, roundRatioMin: 0.5, roundRatioP25: 0.8, roundRatioP75: 2, roundRatioMax: 2 });
  });

  it('compares CPU times round by round, apart from wall times', () => {
    const [, b] = summarisePerProcess('a', new Map([['a', runsWith('cpuMs', 4, 6, 6)], ['b', runsWith('cpuMs', 8, 12, 2)]]));
    expect(b).toMatchObject({ ratio: 1, cpuMs: 22, cpuRatio: 0.5, cpuRatioP25: 0.5, cpuRatioP75: 3 });
  });

  it('compares the main thread\'s CPU times round by round when every run has them', () => {
    const [, b] = summarisePerProcess('a', new Map([['a', runsWith('mainCpuMs', 3, 4, 6)], ['b', runsWith('mainCpuMs', 6, 2, 6)]]));
    // Per-round ratios 0.5, 2 and 1.
    expect(b!.mainCpuRatio).toBe(1);
  });

  it('leaves the main thread\'s ratio out when a run lacks its CPU time', () => {
    const [, b] = summarisePerProcess('a', new Map([['a', [...runsWith('mainCpuMs', 3), run(10)]], ['b', runsWith('mainCpuMs', 6, 2)]]));
    expect(b).not.toHaveProperty('mainCpuRatio');
    expect(describeRatios(b!)).not.toContain('main thread');
  });

  it('takes mean, median and p90 batch time over every round\'s batches', () => {
    const [a] = summarisePerProcess('a', new Map([['a', [run(1, 2, 3, 4, 5), run(6, 7, 8, 9, 100)]]]));
    expect(a).toMatchObject({ meanMs: 14.5, medianMs: 6, p90Ms: 100, batches: 10 });
  });

  it('throws a TypeError when no variant is named after the baseline', () => {
    expect(() => summarisePerProcess('x', new Map([['a', [run(1)]]]))).toThrow(/Expected `baseline` to name one of the variants \(a\), got `x`/);
  });

  it('throws a TypeError when the variants ran different numbers of rounds', () => {
    expect(() => summarisePerProcess('a', new Map([['a', [run(1), run(1)]], ['b', [run(1)]]]))).toThrow(/run 2 rounds, got 1 for `b`/);
  });
});

describe('measurePerProcess()', () => {
  it('starts one run per variant and round in the rounds\' order, and its ratio column is the median per-round ratio', async () => {
    const started: string[] = [];
    const times: Record<string, number[]> = { a: [10, 10, 10], b: [5, 10, 100] };
    const { group, summaries } = await measurePerProcess(
      't',
      { name: 'w', description: 'd.', baseline: 'a', variants: ['a', 'b'], batch: 8 },
      3,
      (variant) => {
        started.push(variant);
        const round = started.filter((v) => v === variant).length - 1;
        return Promise.resolve(run(times[variant]![round]!));
      },
      quiet,
    );
    expect(started).toEqual(['a', 'b', 'b', 'a', 'a', 'b']);
    for (const row of group.rows) expect(row.ratio).toBeCloseTo(row.opsPerSec / group.rows[0]!.opsPerSec, 3);
    expect(group.rows.map((r) => [r.name, r.ratio, r.batch, r.loopDelay.count])).toEqual([['a', 1, 8, 0], ['b', 1, 8, 0]]);
    // The baseline's throughput is measured (3 batches of 8 calls over 30 ms); b's is the baseline's × its median ratio.
    expect(group.rows[0]!.opsPerSec).toBeCloseTo((24 * 1000) / 30, 2);
    expect(group.rows[1]!.opsPerSec).toBeCloseTo((24 * 1000) / 30, 2);
    expect(summaries.map((s) => s.name)).toEqual(['a', 'b']);
    expect(group.description).toContain('b 1.000× (IQR 0.10-2.00, range 0.10-2.00), totals 0.261×');
  });

  it('runs the warm-up rounds first and drops their figures', async () => {
    const started: string[] = [];
    let calls = 0;
    const { summaries } = await measurePerProcess(
      't',
      { name: 'w', description: 'd.', baseline: 'a', variants: ['a', 'b'], batch: 1, warmupRounds: 1 },
      2,
      (variant) => {
        started.push(variant);
        // The warm-up round's processes are ten times slower.
        return Promise.resolve(run(calls++ < 2 ? 100 : 10));
      },
      quiet,
    );
    expect(started).toEqual(['a', 'b', 'a', 'b', 'b', 'a']);
    expect(summaries.map((s) => [s.name, s.totalMs, s.batches])).toEqual([['a', 20, 2], ['b', 20, 2]]);
  });
});

describe('threadCpuMs()', () => {
  // A task's stat line: pid, (name with spaces and a parenthesis), state, then fields 4-13, utime 250, stime 30 ticks.
  const stat = '4242 (node (main) x) S 1 4242 4242 0 -1 4194304 129 0 0 0 250 30 0 0 20 0 9 0 3016121 3133440 412';

  it('adds utime and stime, in ms at 100 ticks a second', () => {
    expect(threadCpuMs(stat)).toBe(2800);
  });

  it('counts the fields from the name\'s last parenthesis', () => {
    expect(threadCpuMs(stat.replace('(node (main) x)', '(n)'))).toBe(2800);
  });

  it('takes the ticks per second given', () => {
    expect(threadCpuMs(stat, 1000)).toBe(280);
  });

  it.each(['', 'not a stat line', '1 (x) S 1 2'])('gives undefined for %j', (text) => {
    expect(threadCpuMs(text)).toBeUndefined();
  });
});

describe('describeRatios()', () => {
  it('gives the median with its quartiles and range, the ratio of totals and the CPU median with its quartiles', () => {
    const [, b] = summarisePerProcess('a', new Map([['a', [run(10), run(10)]], ['b', [run(5), run(10)]]]));
    expect(describeRatios(b!)).toBe('1.500× (IQR 1.00-2.00, range 1.00-2.00), totals 1.333×, CPU 1.500× (IQR 1.00-2.00)');
  });

  it('adds the main thread\'s ratio when it is known', () => {
    const [, b] = summarisePerProcess('a', new Map([['a', runsWith('mainCpuMs', 4)], ['b', runsWith('mainCpuMs', 5)]]));
    expect(describeRatios(b!)).toContain(", main thread's CPU 0.800×");
  });
});
