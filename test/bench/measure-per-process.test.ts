/**
 * The one-process-per-variant rounds: their order and how rounds add up to ratios, on hand-made runs (no processes).
 */
import { describe, it, expect } from '@jest/globals';
import { measurePerProcess, perProcessOrder, summarisePerProcess, type ProcessRun } from '../../bench/lib/measure-per-process.js';

// CPU time is half the wall time unless a test says otherwise.
const run = (...batchesMs: number[]): ProcessRun => ({ totalMs: batchesMs.reduce((s, b) => s + b, 0), batchesMs, cpuMs: batchesMs.reduce((s, b) => s + b, 0) / 2 });
const quiet = (): void => undefined;

describe('perProcessOrder()', () => {
  it.each([
    [0, ['a', 'b', 'c']],
    [1, ['c', 'b', 'a']],
    [2, ['a', 'b', 'c']],
    [3, ['c', 'b', 'a']],
  ])('runs round %i in the order %j (reversed every other round)', (round, expected) => {
    expect(perProcessOrder(['a', 'b', 'c'], round)).toEqual(expected);
  });
});

describe('summarisePerProcess()', () => {
  it('gives the ratio of summed totals over all rounds, not the mean of the per-round ratios', () => {
    // Per-round ratios 2 and 0.5 (mean 1.25); totals 30 vs 60: the slow round weighs by the time it cost.
    const [base, b] = summarisePerProcess('a', new Map([['a', [run(10), run(20)]], ['b', [run(5), run(40)]]]));
    expect(base).toMatchObject({ name: 'a', totalMs: 30, ratio: 1, roundRatioMin: 1, roundRatioMax: 1 });
    expect(b).toMatchObject({ name: 'b', totalMs: 45, ratio: 0.6667, roundRatioMin: 0.5, roundRatioMax: 2 });
  });

  it('compares summed CPU times apart from wall times', () => {
    const [, b] = summarisePerProcess('a', new Map([['a', [{ ...run(10), cpuMs: 4 }, { ...run(10), cpuMs: 6 }]], ['b', [{ ...run(10), cpuMs: 12 }, { ...run(10), cpuMs: 8 }]]]));
    expect(b).toMatchObject({ ratio: 1, cpuMs: 20, cpuRatio: 0.5 });
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
  it('starts one run per variant and round in the rounds\' order, and its ratio column is the ratio of totals', async () => {
    const started: string[] = [];
    const times: Record<string, number[]> = { a: [10, 20], b: [5, 40] };
    const { group, summaries } = await measurePerProcess(
      't',
      { name: 'w', description: 'd.', baseline: 'a', variants: ['a', 'b'], batch: 8 },
      2,
      (variant) => {
        started.push(variant);
        const round = started.filter((v) => v === variant).length - 1;
        return Promise.resolve(run(times[variant]![round]!));
      },
      quiet,
    );
    expect(started).toEqual(['a', 'b', 'b', 'a']);
    expect(group.rows.map((r) => [r.name, r.ratio, r.batch, r.loopDelay.count])).toEqual([['a', 1, 8, 0], ['b', 0.6667, 8, 0]]);
    // 2 batches of 8 calls over 45 ms.
    expect(group.rows[1]!.opsPerSec).toBeCloseTo((16 * 1000) / 45, 2);
    expect(summaries.map((s) => s.name)).toEqual(['a', 'b']);
    expect(group.description).toContain('b 0.667× (rounds 0.50-2.00)');
  });
});
