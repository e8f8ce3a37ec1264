import { describe, it, expect } from '@jest/globals';
import { defineTask } from '../../src/task/task.js';
import { Policy } from '../../src/policy/policy.js';
import { GreenStepSampler } from '../../src/policy/green-step-sampler.js';

// Fake wall time: a "slow" call advances it, so the timing is exact and burns no CPU.
let wall = 0;
const now = (): number => wall;
const spin = (ms: number): void => {
  wall += ms;
};
const slow = defineTask(import.meta.url, 'slow', (ms: number) => {
  spin(ms);
  return ms;
}, { timeoutMs: 1000 });

describe('GreenStepSampler', () => {
  describe('.pick()', () => {
    it('returns the task itself for a call that is not sampled', () => {
      const sampler = new GreenStepSampler(new Policy(), { rate: 0.5, random: () => 0.9 });
      expect(sampler.pick(slow)).toBe(slow);
    });

    it('returns a timed twin with the same name, module and options for a sampled call', () => {
      const twin = new GreenStepSampler(new Policy(), { rate: 1, random: () => 0, now }).pick(slow);
      expect(twin).not.toBe(slow);
      expect([twin.name, twin.moduleUrl, twin.options]).toEqual([slow.name, slow.moduleUrl, slow.options]);
    });

    it('reuses one twin per task', () => {
      const sampler = new GreenStepSampler(new Policy(), { rate: 1, random: () => 0, now });
      expect(sampler.pick(slow)).toBe(sampler.pick(slow));
    });

    it('reports a call longer than blockingThresholdMs as a blocked step', () => {
      const policy = Policy.load({ adaptive: { blockingThresholdMs: 2 } });
      const twin = new GreenStepSampler(policy, { rate: 1, random: () => 0, now }).pick(slow);
      expect(twin.fn?.(5)).toBe(5);
      expect(policy.stats().auto.slow).toMatchObject({ phase: 'pinned-to-threads', blockedSteps: 1 });
    });

    it('feeds a short call to the in-process window without counting it as blocked', () => {
      const policy = Policy.load({ adaptive: { blockingThresholdMs: 50 } });
      const twin = new GreenStepSampler(policy, { rate: 1, random: () => 0, now }).pick(slow);
      twin.fn?.(3);
      expect(policy.stats().auto.slow).toMatchObject({ phase: 'start', blockedSteps: 0, inProcessSamples: 1, medianInProcessRunMs: 3 });
    });

    it('times a call it would not sample when told to time every call', () => {
      const sampler = new GreenStepSampler(new Policy(), { rate: 0, random: () => 0.5, now });
      expect(sampler.pick(slow)).toBe(slow);
      expect(sampler.pick(slow, true)).not.toBe(slow);
    });

    it('reports a call that throws after blocking too', () => {
      const policy = Policy.load({ adaptive: { blockingThresholdMs: 2 } });
      const failing = defineTask(import.meta.url, 'failing', () => {
        spin(5);
        throw new Error('late failure');
      });
      const twin = new GreenStepSampler(policy, { rate: 1, random: () => 0, now }).pick(failing);
      expect(() => twin.fn?.()).toThrow('late failure');
      expect(policy.stats().auto.failing?.phase).toBe('pinned-to-threads');
    });

    it.each([
      ['a generator function', defineTask(import.meta.url, 'gen', function* () {
        yield;
      })],
      ['an async function', defineTask(import.meta.url, 'later', async () => 1)],
    ])('leaves %s to the hub', (_what, task) => {
      expect(new GreenStepSampler(new Policy(), { rate: 1, random: () => 0, now }).pick(task)).toBe(task);
    });
  });
});
