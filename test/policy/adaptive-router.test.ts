import { describe, it, expect } from '@jest/globals';
import { defineTask, type Kind } from '../../src/task/task.js';
import { Policy, type PolicyLearned } from '../../src/policy/policy.js';
import { AdaptiveRouter, defaultAdaptiveOptions, formatMs } from '../../src/policy/adaptive-router.js';

const task = (name: string, kind?: Kind) => defineTask(import.meta.url, name, () => 1, kind === undefined ? {} : { kind });
const genTask = (name: string, kind?: Kind) =>
  defineTask(
    import.meta.url,
    name,
    function* () {
      yield;
      return 1;
    },
    kind === undefined ? {} : { kind },
  );
// A task as the router keys it (a plain function's identity is its name).
const ref = (name: string) => ({ id: name, name });
const feed = (policy: Policy, name: string, ms: number, runs: number, hopMs = 0): void => {
  for (let i = 0; i < runs; i += 1) policy.recordThreadRun(task(name), ms, hopMs);
};

describe('auto', () => {
  it('has documented defaults: 20 runs, 0.5 ms, 20 ms, one blocked run pins (SPEC §7)', () => {
    expect(defaultAdaptiveOptions).toEqual({ sampleSize: 20, minThreadRunMs: 0.5, blockingThresholdMs: 20, blockingRunsToPin: 1 });
  });

  describe('where a task starts', () => {
    it.each<[Kind, string]>([
      ['cpu', 'thread'],
      ['blocking', 'thread'],
      ['io', 'inline'],
      ['cooperative', 'inline'],
    ])('starts a synchronous task of kind %s on %s', (kind, route) => {
      expect(new Policy().decide(task('t', kind)).route).toBe(route);
    });

    it.each<Kind>(['io', 'cooperative'])('starts a generator task of kind %s on a greenlet', (kind) => {
      expect(new Policy().decide(genTask('g', kind))).toEqual({
        route: 'green',
        reason: `auto: kind '${kind}' starts in-process; generator/async: runs on a greenlet`,
      });
    });

    it('starts a task without a kind on threads', () => {
      expect(new Policy().decide(task('mystery'))).toEqual({
        route: 'thread',
        reason: "auto: task 'mystery' declares no kind; it starts on threads (judged after 20 thread runs)",
      });
    });
  });

  describe('judging thread runs', () => {
    it('stays on threads before sampleSize runs, however short', () => {
      const policy = new Policy();
      feed(policy, 'tiny', 0.01, 19);
      expect(policy.decide(task('tiny')).route).toBe('thread');
    });

    it('moves a synchronous task inline once its median run is below minThreadRunMs, with the figures', () => {
      const policy = new Policy();
      const tiny = task('tiny');
      feed(policy, 'tiny', 0.04, 20);
      expect(policy.decide(tiny)).toEqual({
        route: 'inline',
        reason: 'auto: median run 0.04 ms < minThreadRunMs 0.5 ms over 20 thread runs; synchronous: runs inline',
      });
    });

    it('moves a task in-process once its median run is below its hop', () => {
      const policy = new Policy();
      feed(policy, 'bigArg', 2, 20, 5);
      expect(policy.decide(task('bigArg'))).toEqual({
        route: 'inline',
        reason: 'auto: median run 2 ms < hop 5 ms (the fastest of 20 thread runs); synchronous: runs inline',
      });
    });

    it('judges the hop without queue wait: work that queued behind a busy pool stays on threads', () => {
      const policy = new Policy();
      // 4 calls at a time on 2 workers: half start at once (0.1 ms hop), half wait for a worker (8 ms).
      for (let i = 0; i < 10; i += 1) {
        policy.recordThreadRun(task('fib'), 2, 0.1);
        policy.recordThreadRun(task('fib'), 2, 8);
      }
      expect(policy.decide(task('fib', 'cpu'))).toEqual({
        route: 'thread',
        reason: 'auto: median run 2 ms >= hop 0.1 ms and >= minThreadRunMs 0.5 ms over 20 thread runs; stays on threads',
      });
    });

    it('moves a generator task to a greenlet, not inline', () => {
      const policy = new Policy();
      feed(policy, 'gen', 0.002, 20, 0.05);
      expect(policy.decide(genTask('gen'))).toEqual({
        route: 'green',
        reason: 'auto: median run 0.002 ms < hop 0.05 ms (the fastest of 20 thread runs); generator/async: runs on a greenlet',
      });
    });

    it('moves a task whose kind said threads, once it measures cheap: the kind is only where it starts', () => {
      const policy = new Policy();
      feed(policy, 'cheapCpu', 0.01, 20);
      expect(policy.decide(task('cheapCpu', 'cpu')).route).toBe('inline');
    });

    it('judges by the median, not the mean', () => {
      const policy = new Policy();
      feed(policy, 'spiky', 0.1, 11);
      feed(policy, 'spiky', 15, 9); // mean 6.8 ms, median 0.1 ms
      expect(policy.decide(task('spiky')).route).toBe('inline');
    });

    it('holds a task on threads while a thread run longer than blockingThresholdMs is in its window, whatever the median', () => {
      const policy = new Policy();
      const t = task('mostlyTiny');
      // One call in ten takes 50 ms: in-process it would hold the loop that long. A window of 20 always holds one.
      for (let i = 0; i < 60; i += 1) policy.recordThreadRun(task('mostlyTiny'), i % 10 === 9 ? 50 : 0.01);
      expect(policy.decide(t)).toEqual({
        route: 'thread',
        reason: 'auto: a thread run of 50 ms > 20 ms among the last 20 (in-process it would hold the loop that long); stays on threads',
      });
    });

    it("moves a task in-process once a long thread run (a worker's cold start, a stretched run) has left the window", () => {
      const policy = new Policy();
      const t = task('coldStart');
      feed(policy, 'coldStart', 0.01, 30);
      expect(policy.decide(t).route).toBe('inline');
      feed(policy, 'coldStart', 240, 1); // a call still on a thread, stretched: it holds the task on threads, not for good
      feed(policy, 'coldStart', 0.01, 19);
      expect(policy.decide(t)).toEqual({
        route: 'thread',
        reason: 'auto: a thread run of 240 ms > 20 ms among the last 20 (in-process it would hold the loop that long); stays on threads',
      });
      feed(policy, 'coldStart', 0.01, 1);
      expect(policy.decide(t).route).toBe('inline');
    });

    it('ignores a thread run at or below blockingThresholdMs', () => {
      const policy = new Policy();
      feed(policy, 'warmsUp', 20, 1);
      feed(policy, 'warmsUp', 0.01, 19);
      expect(policy.decide(task('warmsUp')).route).toBe('inline');
    });

    it('keeps a task with long runs on threads and shows the figures', () => {
      const policy = new Policy();
      feed(policy, 'fib', 3.2, 20, 0.05);
      expect(policy.decide(task('fib'))).toEqual({
        route: 'thread',
        reason: 'auto: median run 3.2 ms >= hop 0.05 ms and >= minThreadRunMs 0.5 ms over 20 thread runs; stays on threads',
      });
    });

    it("explain() shows the window's figures now; decide() keeps the cached decision until the route changes", () => {
      const policy = Policy.load({ adaptive: { sampleSize: 4 } });
      const t = task('work', 'cpu');
      feed(policy, 'work', 3, 4, 0.1);
      expect(policy.decide(t).reason).toBe('auto: median run 3 ms >= hop 0.1 ms and >= minThreadRunMs 0.5 ms over 4 thread runs; stays on threads');
      feed(policy, 'work', 9, 4, 0.2);
      expect(policy.decide(t).reason).toContain('median run 3 ms');
      expect(policy.explain(t)).toEqual({
        route: 'thread',
        reason: 'auto: median run 9 ms >= hop 0.2 ms and >= minThreadRunMs 0.5 ms over 4 thread runs; stays on threads',
      });
      expect(() => policy.explain(42)).toThrow(TypeError);
    });

    it('judges over a sliding window of the last sampleSize runs', () => {
      const policy = new Policy();
      feed(policy, 'drift', 5, 20);
      feed(policy, 'drift', 0.1, 11);
      expect(policy.decide(task('drift')).route).toBe('inline');
    });
  });

  describe('blocking in-process', () => {
    it('sends a task to threads for good after a green step longer than blockingThresholdMs', () => {
      const policy = new Policy();
      const t = task('sometimesSlow');
      feed(policy, 'sometimesSlow', 0.05, 20);
      expect(policy.decide(t).route).toBe('inline');
      policy.recordBlockedStep(task('sometimesSlow'), 37);
      expect(policy.decide(t)).toEqual({ route: 'thread', reason: 'auto: green step took 37 ms > 20 ms; on threads for good' });
      feed(policy, 'sometimesSlow', 0.01, 40);
      expect(policy.decide(t).route).toBe('thread');
    });

    it('says when it was an inline run that blocked', () => {
      const policy = new Policy();
      policy.recordBlockedStep(task('slowInline'), 25, 'inline run');
      expect(policy.decide(task('slowInline', 'io')).reason).toBe('auto: inline run took 25 ms > 20 ms; on threads for good');
    });

    it('moves a task of kind io that blocks to threads', () => {
      const policy = new Policy();
      policy.recordBlockedStep(task('reader'), 500);
      expect(policy.decide(task('reader', 'io')).route).toBe('thread');
    });

    it('ignores a step at or below the threshold', () => {
      const policy = new Policy();
      feed(policy, 'ok', 0.05, 20);
      policy.recordBlockedStep(task('ok'), 20);
      expect(policy.decide(task('ok')).route).toBe('inline');
    });

    it('keeps a plain function in-process even after it blocked', () => {
      const policy = new Policy();
      const plain = function blocker(): void {};
      policy.recordBlockedStep(task('blocker'), 500);
      expect(policy.decide(plain).route).toBe('inline');
    });
  });

  describe('judging in-process runs (its own sliding window)', () => {
    const feedLocal = (policy: Policy, name: string, ms: number, runs: number): void => {
      for (let i = 0; i < runs; i += 1) policy.recordInProcessRun(task(name), ms);
    };

    it('sends a synchronous task back to threads, not for good, once its in-process median reaches minThreadRunMs', () => {
      const policy = new Policy();
      const t = task('turnsCostly');
      feed(policy, 'turnsCostly', 0.01, 20, 0.05);
      expect(policy.decide(t).route).toBe('inline');
      feedLocal(policy, 'turnsCostly', 3, 19);
      expect(policy.decide(t).route).toBe('inline'); // 19 < sampleSize: not judged yet
      feedLocal(policy, 'turnsCostly', 3, 1);
      expect(policy.decide(t)).toEqual({
        route: 'thread',
        reason: 'auto: median in-process run 3 ms >= minThreadRunMs 0.5 ms and >= hop 0.05 ms over the last 20 timed in-process runs; back on threads',
      });
      // Its thread window starts afresh: 19 cheap thread runs do not move it, the 20th does.
      feed(policy, 'turnsCostly', 0.01, 19, 0.05);
      expect(policy.decide(t).route).toBe('thread');
      feed(policy, 'turnsCostly', 0.01, 1, 0.05);
      expect(policy.decide(t).route).toBe('inline');
    });

    it('keeps a task in-process while its in-process median is below its hop (work cheaper than shipping its argument)', () => {
      const policy = new Policy();
      const t = task('bigArgWork');
      feed(policy, 'bigArgWork', 1, 20, 5); // 1 ms of work, 5 ms to clone its argument
      feedLocal(policy, 'bigArgWork', 1, 40);
      expect(policy.decide(t).route).toBe('inline');
    });

    it('does not judge a generator task by its in-process median (its wall time includes its waits)', () => {
      const policy = new Policy();
      const g = genTask('waits', 'io');
      policy.recordAsync(task('waits'));
      feedLocal(policy, 'waits', 5, 40);
      expect(policy.decide(g).route).toBe('green');
    });

    it('with blockingRunsToPin 2, one stretched run does not pin a task; two in its window do', () => {
      const policy = Policy.load({ adaptive: { blockingRunsToPin: 2 } });
      const t = task('stretched', 'io');
      policy.recordInProcessRun(task('stretched'), 35); // the scheduler stretched one run of a tiny task
      feedLocal(policy, 'stretched', 0.01, 19);
      expect(policy.decide(t).route).toBe('inline');
      feedLocal(policy, 'stretched', 0.01, 1); // the long run leaves the window of 20
      policy.recordInProcessRun(task('stretched'), 40);
      expect(policy.decide(t).route).toBe('inline');
      policy.recordInProcessRun(task('stretched'), 30, 'green step');
      expect(policy.decide(t)).toEqual({
        route: 'thread',
        reason: 'auto: 2 of the last 20 timed in-process runs took over 20 ms (this green step: 30 ms; blockingRunsToPin 2); on threads for good',
      });
      feedLocal(policy, 'stretched', 0.01, 40);
      expect(policy.decide(t).route).toBe('thread');
    });

    it('counts blocked steps reported by the hub toward blockingRunsToPin', () => {
      const policy = Policy.load({ adaptive: { blockingRunsToPin: 2 } });
      const g = genTask('stalls', 'io');
      policy.recordBlockedStep(task('stalls'), 30);
      expect(policy.decide(g).route).toBe('green');
      policy.recordBlockedStep(task('stalls'), 31);
      expect(policy.decide(g).route).toBe('thread');
    });

    it('marks an in-process verdict as probing until its window holds sampleSize timed runs', () => {
      const router = new AdaptiveRouter({ sampleSize: 3 });
      expect(router.route(ref('p'), 'io', false).probe).toBe(true);
      const v0 = router.version;
      router.recordInProcessRun(ref('p'), 0.01);
      router.recordInProcessRun(ref('p'), 0.01);
      expect(router.route(ref('p'), 'io', false).probe).toBe(true);
      expect(router.version).toBe(v0);
      router.recordInProcessRun(ref('p'), 0.01);
      expect(router.route(ref('p'), 'io', false).probe).toBe(false);
      expect(router.version).toBe(v0 + 1); // cached decisions are made again, without probe
      router.recordInProcessRun(ref('p'), 0.01);
      expect(router.version).toBe(v0 + 1);
    });

    it('never probes a generator task (the hub times its steps)', () => {
      expect(new AdaptiveRouter().route(ref('g'), 'io', false, 'async').probe).toBe(false);
    });
  });

  it('runs a synchronous task that returned a thenable on a greenlet from then on', () => {
    const policy = new Policy();
    const t = task('promiser', 'io');
    expect(policy.decide(t).route).toBe('inline');
    policy.recordAsync(task('promiser'));
    expect(policy.decide(t)).toEqual({ route: 'green', reason: "auto: kind 'io' starts in-process; generator/async: runs on a greenlet" });
  });

  it('uses the thresholds of the adaptive section', () => {
    const policy = Policy.load({ adaptive: { sampleSize: 3, minThreadRunMs: 2, blockingThresholdMs: 5 } });
    feed(policy, 'a', 1.5, 3);
    expect(policy.decide(task('a')).reason).toBe('auto: median run 1.5 ms < minThreadRunMs 2 ms over 3 thread runs; synchronous: runs inline');
    policy.recordBlockedStep(task('a'), 6);
    expect(policy.decide(task('a')).reason).toBe('auto: green step took 6 ms > 5 ms; on threads for good');
  });

  it("emits 'learn' when it moves a task", () => {
    const policy = new Policy();
    const learned: PolicyLearned[] = [];
    policy.on('learn', (l) => learned.push(l));
    feed(policy, 'x', 0.01, 20);
    policy.recordBlockedStep(task('x'), 30);
    expect(learned).toEqual([
      { task: 'x', id: task('x').id, route: 'inline', reason: 'auto: median run 0.01 ms < minThreadRunMs 0.5 ms over 20 thread runs; synchronous: runs inline' },
      { task: 'x', id: task('x').id, route: 'thread', reason: 'auto: green step took 30 ms > 20 ms; on threads for good' },
    ]);
  });

  it('shows what it learned in stats()', () => {
    const policy = new Policy();
    feed(policy, 'x', 0.04, 20, 0.1);
    policy.recordBlockedStep(task('x'), 37);
    expect(policy.stats().auto).toEqual({
      x: {
        phase: 'pinned-to-threads',
        threadRuns: 20,
        medianThreadRunMs: 0.04,
        medianHopMs: 0.1,
        hopMs: 0.1,
        longestThreadRunMs: 0.04,
        blockedSteps: 1,
        longestGreenStepMs: 37,
        inProcessSamples: 1,
        medianInProcessRunMs: 37,
        async: false,
        reason: 'auto: green step took 37 ms > 20 ms; on threads for good',
      },
    });
  });

  it('keeps what it learned across a reload', () => {
    const policy = new Policy();
    feed(policy, 'x', 0.04, 20);
    policy.update({ rules: [] });
    expect(policy.decide(task('x')).route).toBe('inline');
  });
});

describe('AdaptiveRouter', () => {
  it('bumps its version when a phase changes, not for every run', () => {
    const router = new AdaptiveRouter({ sampleSize: 2 });
    const v0 = router.version;
    router.recordThreadRun(ref('a'), 5);
    expect(router.version).toBe(v0);
    router.recordThreadRun(ref('a'), 5);
    expect(router.version).toBe(v0 + 1); // judged: start → threads, with its figures
    router.recordThreadRun(ref('a'), 5);
    expect(router.version).toBe(v0 + 1);
  });

  it('re-judges with new thresholds after configure()', () => {
    const router = new AdaptiveRouter({ sampleSize: 2 });
    router.recordThreadRun(ref('a'), 1);
    router.recordThreadRun(ref('a'), 1);
    expect(router.route(ref('a'), undefined, false).route).toBe('thread');
    router.configure({ sampleSize: 2, minThreadRunMs: 2 });
    expect(router.route(ref('a'), undefined, false).route).toBe('inline');
  });
});

describe('formatMs()', () => {
  it.each<[number, string]>([
    [37.4, '37'],
    [3.21, '3.2'],
    [0.041, '0.04'],
    [0.0021, '0.002'],
    [0.5, '0.5'],
    [20, '20'],
    [0, '0'],
  ])('formats %d as %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});
