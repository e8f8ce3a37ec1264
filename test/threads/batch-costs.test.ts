import { describe, expect, it } from '@jest/globals';
import { BatchCosts } from '../../src/threads/batch-costs.js';
/** A plain function's task id: its name. */
const t = (name: string): string => name;

describe('BatchCosts', () => {
  describe('.open()', () => {
    it('sends a call of a task never timed alone when the pool has several places for messages', () => {
      expect(new BatchCosts(2, 2).open(t('untimed'))).toBe(-1);
    });

    it('lets a call of a task never timed start a batch when the pool has one place (no worker to balance against)', () => {
      expect(new BatchCosts(2, 1).open(t('untimed'))).toBe(2);
    });

    it('sends a call known to take half of flushMs or more alone', () => {
      const costs = new BatchCosts(2, 2);
      costs.learn(t('fib'), 1);
      expect(costs.open(t('fib'))).toBe(-1);
    });

    it('starts a batch with a quick call, leaving flushMs less its expected run for batch-mates', () => {
      const costs = new BatchCosts(2, 2);
      costs.learn(t('quick'), 0.25);
      expect(costs.open(t('quick'))).toBe(1.75);
    });

    it('still batches quick calls with flushMs 0 (a quarter of a ms counts as long, whatever flushMs is)', () => {
      const costs = new BatchCosts(0, 2);
      costs.learn(t('noop'), 0.01);
      costs.learn(t('slow'), 0.25);
      expect(costs.open(t('noop'))).toBeCloseTo(0.49);
      expect(costs.open(t('slow'))).toBe(-1);
    });
  });

  describe('.add()', () => {
    it('takes batch-mates while their expected total stays within the budget', () => {
      const costs = new BatchCosts(2, 2);
      costs.learn(t('half'), 0.5);
      let budget = costs.open(t('half'));
      const taken: number[] = [];
      for (let left = costs.add(t('half'), budget); left >= 0; left = costs.add(t('half'), budget)) {
        budget = left;
        taken.push(left);
      }
      expect(taken).toEqual([1, 0.5, 0]); // four calls of 0.5 ms: 2 ms in all
    });

    it('refuses a batch-mate known to run long, or never timed in a pool of several places', () => {
      const costs = new BatchCosts(2, 2);
      costs.learn(t('quick'), 0.01);
      costs.learn(t('long'), 50);
      const budget = costs.open(t('quick'));
      expect(costs.add(t('long'), budget)).toBe(-1);
      expect(costs.add(t('untimed'), budget)).toBe(-1);
      expect(new BatchCosts(2, 1).add(t('untimed'), budget)).toBe(budget);
    });
  });

  describe('.learn()', () => {
    it('forgets a slow run within a few quick runs of its task', () => {
      const costs = new BatchCosts(2, 2);
      costs.learn(t('mixed'), 0.01);
      costs.learn(t('mixed'), 64); // one slow call (or the first call in a worker, which imported the module)
      const alone: boolean[] = [];
      for (let i = 0; i < 5; i++) {
        alone.push(costs.open(t('mixed')) < 0);
        costs.learn(t('mixed'), 0.01);
      }
      // 64 → 8 → 1 → 0.125: alone while the estimate is at least half of flushMs.
      expect(alone).toEqual([true, true, true, false, false]);
      expect(costs.expected(t('mixed'))).toBeCloseTo(0.01);
    });
  });
  describe('per task id', () => {
    it('keeps apart the costs of two modules\' tasks of the same name', () => {
      // The ids ThreadTaskRun passes: `moduleUrl#exportName`.
      const slow = 'file:///app/dist/a.js#parse';
      const quick = 'file:///app/dist/b.js#parse';
      const costs = new BatchCosts(2, 2);
      costs.learn(quick, 0.25);
      costs.learn(slow, 50);
      expect(costs.expected(quick)).toBe(0.25);
      expect(costs.open(quick)).toBe(1.75);
      expect(costs.open(slow)).toBe(-1);
      expect(costs.add(quick, 1.75)).toBe(1.5);
    });
  });
});
