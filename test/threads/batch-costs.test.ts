import { describe, expect, it } from '@jest/globals';
import { BatchCosts } from '../../src/threads/batch-costs.js';

describe('BatchCosts', () => {
  describe('.open()', () => {
    it('sends a call of a task never timed alone when the pool has several places for messages', () => {
      expect(new BatchCosts(2, 2).open('untimed')).toBe(-1);
    });

    it('lets a call of a task never timed start a batch when the pool has one place (no worker to balance against)', () => {
      expect(new BatchCosts(2, 1).open('untimed')).toBe(2);
    });

    it('sends a call known to take half of flushMs or more alone', () => {
      const costs = new BatchCosts(2, 2);
      costs.learn('fib', 1);
      expect(costs.open('fib')).toBe(-1);
    });

    it('starts a batch with a quick call, leaving flushMs less its expected run for batch-mates', () => {
      const costs = new BatchCosts(2, 2);
      costs.learn('quick', 0.25);
      expect(costs.open('quick')).toBe(1.75);
    });

    it('still batches quick calls with flushMs 0 (a quarter of a ms counts as long, whatever flushMs is)', () => {
      const costs = new BatchCosts(0, 2);
      costs.learn('noop', 0.01);
      costs.learn('slow', 0.25);
      expect(costs.open('noop')).toBeCloseTo(0.49);
      expect(costs.open('slow')).toBe(-1);
    });
  });

  describe('.add()', () => {
    it('takes batch-mates while their expected total stays within the budget', () => {
      const costs = new BatchCosts(2, 2);
      costs.learn('half', 0.5);
      let budget = costs.open('half');
      const taken: number[] = [];
      for (let left = costs.add('half', budget); left >= 0; left = costs.add('half', budget)) {
        budget = left;
        taken.push(left);
      }
      expect(taken).toEqual([1, 0.5, 0]); // four calls of 0.5 ms: 2 ms in all
    });

    it('refuses a batch-mate known to run long, or never timed in a pool of several places', () => {
      const costs = new BatchCosts(2, 2);
      costs.learn('quick', 0.01);
      costs.learn('long', 50);
      const budget = costs.open('quick');
      expect(costs.add('long', budget)).toBe(-1);
      expect(costs.add('untimed', budget)).toBe(-1);
      expect(new BatchCosts(2, 1).add('untimed', budget)).toBe(budget);
    });
  });

  describe('.learn()', () => {
    it('forgets a slow run within a few quick runs of its task', () => {
      const costs = new BatchCosts(2, 2);
      costs.learn('mixed', 0.01);
      costs.learn('mixed', 64); // one slow call (or the first call in a worker, which imported the module)
      const alone: boolean[] = [];
      for (let i = 0; i < 5; i++) {
        alone.push(costs.open('mixed') < 0);
        costs.learn('mixed', 0.01);
      }
      // 64 → 8 → 1 → 0.125: alone while the estimate is at least half of flushMs.
      expect(alone).toEqual([true, true, true, false, false]);
      expect(costs.expected('mixed')).toBeCloseTo(0.01);
    });
  });
});
