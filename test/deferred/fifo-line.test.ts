import { describe, expect, it } from '@jest/globals';
import { FifoLine } from '../../src/deferred/fifo-line.js';

/** Entries as distinct objects, as waiters' Deferreds are. */
const entries = (n: number): Array<{ n: number }> => Array.from({ length: n }, (_, n) => ({ n }));

/** Take everything left, in order. */
function drain<T>(line: FifoLine<T>): T[] {
  const out: T[] = [];
  for (let e = line.shift(); e !== undefined; e = line.shift()) out.push(e);
  return out;
}

describe('FifoLine', () => {
  describe('.shift()', () => {
    it('takes entries in the order they were pushed, then undefined', () => {
      const line = new FifoLine<number>();
      for (const n of [3, 1, 2]) line.push(n);
      expect(drain(line)).toEqual([3, 1, 2]);
      expect(line.size).toBe(0);
    });

    it('keeps the order across rebuilds while pushes and shifts interleave', () => {
      const line = new FifoLine<number>();
      const taken: number[] = [];
      for (let i = 0; i < 10_000; i++) {
        line.push(i);
        if (i % 3 !== 0) taken.push(line.shift()!);
      }
      taken.push(...drain(line));
      expect(taken).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    });
  });

  describe('.size', () => {
    it('counts the entries through a long run where the line never empties', () => {
      const line = new FifoLine<{ n: number }>();
      const es = entries(50_000);
      const taken: Array<{ n: number } | undefined> = [];
      line.push(es[0]!);
      for (let i = 1; i < es.length; i++) {
        line.push(es[i]!);
        taken.push(line.shift());
      }
      expect(taken).toEqual(es.slice(0, -1));
      expect(line.size).toBe(1);
      expect(line.remove(es[es.length - 1]!)).toBe(true);
      expect(line.shift()).toBeUndefined();
    });
  });

  describe('.remove()', () => {
    it('takes an entry out of the middle, and shift() skips it', () => {
      const line = new FifoLine<{ n: number }>();
      const es = entries(5);
      for (const e of es) line.push(e);
      expect(line.remove(es[2]!)).toBe(true);
      expect(line.size).toBe(4);
      expect(drain(line).map((e) => e.n)).toEqual([0, 1, 3, 4]);
    });

    it('returns false for an entry that is not in the line, changing nothing', () => {
      const line = new FifoLine<{ n: number }>();
      const [a, b] = entries(2);
      line.push(a!);
      expect(line.remove(b!)).toBe(false);
      line.shift();
      expect(line.remove(a!)).toBe(false);
      expect(line.size).toBe(0);
    });

    it('finds entries after the line was rebuilt around many removed ones', () => {
      const line = new FifoLine<{ n: number }>();
      const es = entries(20_000);
      for (const e of es) line.push(e);
      for (const e of es) if (e.n % 4 !== 0) line.remove(e); // 15,000 holes: rebuilt on the way
      expect(line.size).toBe(5_000);
      for (const e of es) if (e.n % 8 === 0) expect(line.remove(e)).toBe(true);
      expect(drain(line).map((e) => e.n)).toEqual(es.filter((e) => e.n % 8 === 4).map((e) => e.n));
    });
  });
});

describe('FifoLine (give-backs and pruning)', () => {
  describe('.unshift()', () => {
    it.each([
      ['an empty line', 0, 0],
      ['a line whose front was taken', 3, 1],
      ['a line never shifted', 3, 0],
      ['a long line with a map of positions', 100, 1],
    ])('puts the entry first in %s, and remove() still finds every entry', (_, n, shifts) => {
      const line = new FifoLine<{ n: number }>();
      const es = entries(n);
      for (const e of es) line.push(e);
      if (n > 32) line.remove(es[n - 1]!); // past searchUpTo: the line keeps a map from here on
      for (let i = 0; i < shifts; i++) line.shift();
      const back = { n: -1 };
      line.unshift(back);
      const left = es.slice(shifts, n > 32 ? n - 1 : n);
      expect(line.size).toBe(left.length + 1);
      if (left.length > 0) expect(line.remove(left[left.length - 1]!)).toBe(true);
      expect(line.remove(back)).toBe(true);
      line.unshift(back);
      expect(drain(line)).toEqual([back, ...left.slice(0, -1)]);
    });
  });

  describe('.retain()', () => {
    it('drops the entries not kept, keeps the order and the size, and remove() still works', () => {
      const line = new FifoLine<{ n: number }>();
      const es = entries(100);
      for (const e of es) line.push(e);
      line.remove(es[0]!); // a map of positions from here on
      line.retain((e) => e.n % 3 !== 0);
      const kept = es.filter((e) => e.n % 3 !== 0);
      expect(line.size).toBe(kept.length);
      expect(line.remove(es[3]!)).toBe(false);
      expect(line.remove(kept[5]!)).toBe(true);
      expect(drain(line)).toEqual(kept.filter((_, i) => i !== 5));
    });
  });
});
