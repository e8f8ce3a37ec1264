import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { gatherResults } from '../../src/deferred/gather-results.js';
import { succeed } from '../../src/deferred/succeed.js';
import { assertNoResult, successResultOf } from '../helpers/deferred-results.js';

describe('Deferred', () => {
  describe('nested chains', () => {
    it("runs a middle Deferred's remaining handlers when its inner one fires, before the outer gets the result", () => {
      const results: unknown[] = [];
      const inner = new Deferred<string>();
      const outer = succeed('outer');
      outer.addCallback((r) => {
        results.push(['start', r]);
        const middle = succeed('middle');
        middle.addCallback(() => inner).addCallback((x: string) => {
          results.push(['second', x]);
          return x + x;
        });
        return middle;
      });
      outer.addCallback((r) => results.push(r));
      expect(results).toEqual([['start', 'outer']]);
      inner.callback('orange');
      expect(results).toEqual([['start', 'outer'], ['second', 'orange'], 'orangeorange']);
    });

    it('runs a handler added after a chained one only after the inner handlers ran', () => {
      const results: unknown[] = [];
      const a = new Deferred<string>();
      const outer = new Deferred<string>();
      outer.addCallback(() => {
        const d = new Deferred<void>();
        d.addCallback(() => gatherResults([a])).addCallback((r: string[]) => results.push(['second', r]));
        d.callback(undefined);
        return d;
      });
      outer.addCallback(() => results.push('final'));
      outer.callback('go');
      expect(results).toEqual([]);
      a.callback('withers');
      expect(results).toEqual([['second', ['withers']], 'final']);
    });

    it('is transitive: C returned on B, B returned on A; firing C fires A', () => {
      const first = new Deferred<string>();
      const second = new Deferred<unknown>();
      const third = new Deferred<unknown>();
      second.addCallback(() => first);
      third.addCallback(() => second);
      second.callback(undefined);
      third.callback(undefined);
      assertNoResult(third);
      first.callback('result');
      expect(successResultOf(third)).toBe('result');
    });

    it('lets the inner Deferred go on with its handlers when the waiting one is paused by the user', () => {
      const first = new Deferred<unknown>();
      const second = new Deferred<string>();
      first.addCallback(() => second);
      first.callback(undefined);
      first.pause();
      second.callback('handed');
      const seen: unknown[] = [];
      second.addCallback((r) => seen.push(r));
      expect(seen).toEqual([undefined]);
      assertNoResult(first);
      first.unpause();
      expect(successResultOf(first)).toBe('handed');
    });

    it('calls handlers added to a middle Deferred after the chain fired (Twisted #411 regression)', () => {
      const first = new Deferred<unknown>();
      const second = new Deferred<unknown>();
      const third = new Deferred<unknown>();
      first.addCallback(() => second);
      second.addCallback(() => third);
      second.callback(undefined);
      first.callback(undefined);
      third.callback(undefined);
      const seen: unknown[] = [];
      second.addCallback((r) => seen.push(r));
      expect(seen).toEqual([undefined]);
    });

    it('runs the last handler at the same stack depth however many Deferreds are chained', () => {
      const previousLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = Infinity;
      try {
        const depthFor = (howMany: number): number => {
          const depths: number[] = [];
          const top = new Deferred<unknown>();
          const inners = Array.from({ length: howMany }, () => new Deferred<unknown>());
          const last = new Deferred<unknown>();
          top.addCallback(() => inners[0]);
          top.addCallback(() => depths.push(new Error().stack!.split('\n').length));
          inners.forEach((inner, i) => {
            inner.addCallback(() => inners[i + 1] ?? last);
          });
          top.callback(undefined);
          for (const inner of inners) inner.callback(undefined);
          expect(depths).toEqual([]);
          last.callback(undefined);
          return depths[0]!;
        };
        expect(depthFor(1)).toBe(depthFor(2));
        expect(depthFor(1)).toBe(depthFor(500));
      } finally {
        Error.stackTraceLimit = previousLimit;
      }
    });
  });
});
