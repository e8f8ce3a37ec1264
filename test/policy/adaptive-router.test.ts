import { describe, it, expect } from '@jest/globals';
import { defineTask, type Kind } from '../../src/task/task.js';
import { Policy, type PolicyLearned } from '../../src/policy/policy.js';
import { AdaptiveRouter, defaultAdaptiveOptions, formatMs } from '../../src/policy/adaptive-router.js';

const task = (name: string, kind?: Kind) => defineTask(import.meta.url, name, () => 1, kind === undefined ? {} : { kind });
const feed = (policy: Policy, name: string, ms: number, runs: number): void => {
  for (let i = 0; i < runs; i += 1) policy.recordThreadRun(name, ms);
};

describe('auto', () => {
  it('has documented defaults: 20 runs, 0.5 ms, 20 ms', () => {
    expect(defaultAdaptiveOptions).toEqual({ sampleSize: 20, minThreadRunMs: 0.5, blockingThresholdMs: 20 });
  });

  it.each<[Kind, string]>([
    ['cpu', 'thread'],
    ['blocking', 'thread'],
    ['io', 'green'],
    ['cooperative', 'green'],
  ])('routes kind %s straight to %s', (kind, route) => {
    expect(new Policy().decide(task('t', kind)).route).toBe(route);
  });

  it('starts a task without a kind on threads', () => {
    expect(new Policy().decide(task('mystery'))).toEqual({
      route: 'thread',
      reason: "auto: task 'mystery' declares no kind; it runs on threads until 20 runs are measured",
    });
  });

  it('stays on threads before sampleSize runs, however short', () => {
    const policy = new Policy();
    feed(policy, 'tiny', 0.01, 19);
    expect(policy.decide(task('tiny')).route).toBe('thread');
  });

  it('moves a task to greenlets once its median thread run is below minThreadRunMs', () => {
    const policy = new Policy();
    const tiny = task('tiny');
    expect(policy.decide(tiny).route).toBe('thread');
    feed(policy, 'tiny', 0.04, 20);
    expect(policy.decide(tiny)).toEqual({ route: 'green', reason: 'auto: median thread run 0.04 ms < 0.5 ms over 20 runs' });
  });

  it('judges by the median, not the mean', () => {
    const policy = new Policy();
    feed(policy, 'spiky', 0.1, 11);
    feed(policy, 'spiky', 100, 9);
    expect(policy.decide(task('spiky')).route).toBe('green');
  });

  it('keeps a task with long runs on threads and says why', () => {
    const policy = new Policy();
    feed(policy, 'fib', 3.2, 20);
    expect(policy.decide(task('fib'))).toEqual({ route: 'thread', reason: 'auto: median thread run 3.2 ms >= 0.5 ms over 20 runs' });
  });

  it('judges over a rolling window of the last sampleSize runs', () => {
    const policy = new Policy();
    feed(policy, 'drift', 5, 20);
    feed(policy, 'drift', 0.1, 11);
    expect(policy.decide(task('drift')).route).toBe('green');
  });

  it('sends a task back to threads for good after a green step longer than blockingThresholdMs', () => {
    const policy = new Policy();
    const t = task('sometimesSlow');
    feed(policy, 'sometimesSlow', 0.05, 20);
    expect(policy.decide(t).route).toBe('green');
    policy.recordBlockedStep('sometimesSlow', 37);
    expect(policy.decide(t)).toEqual({ route: 'thread', reason: 'auto: green step took 37 ms > 20 ms' });
    feed(policy, 'sometimesSlow', 0.01, 40);
    expect(policy.decide(t).route).toBe('thread');
  });

  it('ignores a green step at or below the threshold', () => {
    const policy = new Policy();
    feed(policy, 'ok', 0.05, 20);
    policy.recordBlockedStep('ok', 20);
    expect(policy.decide(task('ok')).route).toBe('green');
  });

  it('pins a task that blocks before it was ever judged', () => {
    const policy = new Policy();
    policy.recordBlockedStep('early', 50);
    feed(policy, 'early', 0.01, 20);
    expect(policy.decide(task('early')).reason).toBe('auto: green step took 50 ms > 20 ms');
  });

  it('does not move a task that declares a kind', () => {
    const policy = new Policy();
    policy.recordBlockedStep('reader', 500);
    expect(policy.decide(task('reader', 'io')).route).toBe('green');
  });

  it('keeps a plain function on greenlets even after it blocked', () => {
    const policy = new Policy();
    const plain = function blocker(): void {};
    policy.recordBlockedStep('blocker', 500);
    expect(policy.decide(plain).route).toBe('green');
  });

  it('uses the thresholds of the adaptive section', () => {
    const policy = Policy.load({ adaptive: { sampleSize: 3, minThreadRunMs: 2, blockingThresholdMs: 5 } });
    feed(policy, 'a', 1.5, 3);
    expect(policy.decide(task('a'))).toEqual({ route: 'green', reason: 'auto: median thread run 1.5 ms < 2 ms over 3 runs' });
    policy.recordBlockedStep('a', 6);
    expect(policy.decide(task('a')).reason).toBe('auto: green step took 6 ms > 5 ms');
  });

  it("emits 'learn' when it moves a task", () => {
    const policy = new Policy();
    const learned: PolicyLearned[] = [];
    policy.on('learn', (l) => learned.push(l));
    feed(policy, 'x', 0.01, 20);
    policy.recordBlockedStep('x', 30);
    expect(learned).toEqual([
      { task: 'x', route: 'green', reason: 'auto: median thread run 0.01 ms < 0.5 ms over 20 runs' },
      { task: 'x', route: 'thread', reason: 'auto: green step took 30 ms > 20 ms' },
    ]);
  });

  it('shows what it learned in stats()', () => {
    const policy = new Policy();
    feed(policy, 'x', 0.04, 20);
    policy.recordBlockedStep('x', 37);
    expect(policy.stats().auto).toEqual({
      x: {
        phase: 'pinned-to-threads',
        threadRuns: 20,
        medianThreadRunMs: 0.04,
        blockedSteps: 1,
        longestGreenStepMs: 37,
        reason: 'auto: green step took 37 ms > 20 ms',
      },
    });
  });

  it('keeps what it learned across a reload', () => {
    const policy = new Policy();
    feed(policy, 'x', 0.04, 20);
    policy.update({ rules: [] });
    expect(policy.decide(task('x')).route).toBe('green');
  });
});

describe('AdaptiveRouter', () => {
  it('bumps its version only when a verdict changes', () => {
    const router = new AdaptiveRouter({ sampleSize: 2 });
    const v0 = router.version;
    router.recordThreadRun('a', 5);
    expect(router.version).toBe(v0);
    router.recordThreadRun('a', 5);
    expect(router.version).toBe(v0 + 1);
    router.recordThreadRun('a', 5);
    expect(router.version).toBe(v0 + 1);
  });

  it('re-judges with new thresholds after configure()', () => {
    const router = new AdaptiveRouter({ sampleSize: 2 });
    router.recordThreadRun('a', 1);
    router.recordThreadRun('a', 1);
    expect(router.route('a', undefined, false).route).toBe('thread');
    router.configure({ sampleSize: 2, minThreadRunMs: 2 });
    expect(router.route('a', undefined, false).route).toBe('green');
  });
});

describe('formatMs()', () => {
  it.each<[number, string]>([
    [37.4, '37'],
    [3.21, '3.2'],
    [0.041, '0.04'],
    [0.5, '0.5'],
    [20, '20'],
  ])('formats %d as %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});
