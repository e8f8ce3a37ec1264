import { describe, it, expect, beforeEach, jest } from '@jest/globals';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Deferred } from '../../src/deferred/deferred.js';
import { Failure } from '../../src/deferred/failure.js';
import { succeed } from '../../src/deferred/succeed.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError, QueueFullError, ReactorStoppedError, TimeoutError, WorkerCrashedError } from '../../src/errors.js';
import { defineTask, taskFrom, type Task } from '../../src/task/task.js';
import { Policy } from '../../src/policy/policy.js';
import type { PolicyConfig } from '../../src/policy/policy-schema.js';
import { PolicyDispatcher, type DispatchTargets } from '../../src/policy/policy-dispatcher.js';
import { decisionChannelName, type DecisionMessage } from '../../src/policy/decision-channel.js';
import { successResultOf, failureResultOf, assertNoResult } from '../helpers/deferred-results.js';

const double = defineTask(import.meta.url, 'double', (n: number) => n * 2);
const countUp = defineTask(import.meta.url, 'countUp', function* (n: number) {
  let total = 0;
  for (let i = 1; i <= n; i += 1) total += (yield i) as number;
  return total;
});
const boom = defineTask(import.meta.url, 'boom', (): never => {
  throw new RangeError('bad');
});

interface Call {
  path: 'thread' | 'green';
  task: unknown;
  args: unknown[];
  d: Deferred<unknown>;
}

function targets(clock: Clock, queue = 0): DispatchTargets & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    clock,
    load: { threadQueue: queue, loopDelayMs: 0 },
    threadPool: {
      run(task: Task, ...args: unknown[]) {
        const d = new Deferred<unknown>();
        calls.push({ path: 'thread', task, args, d });
        return d;
      },
    },
    spawnDeferred(task: unknown, args: unknown[]) {
      const d = new Deferred<unknown>();
      calls.push({ path: 'green', task, args, d });
      return d;
    },
  };
}

describe('PolicyDispatcher', () => {
  let clock: Clock;
  beforeEach(() => {
    clock = new Clock();
  });

  describe('.dispatch()', () => {
    it('sends a thread decision straight to the thread pool with the arguments', () => {
      const t = targets(clock);
      const d = new PolicyDispatcher(Policy.load({ default: 'thread' }), t).dispatch(double, [21]);
      expect(t.calls.map((c) => [c.path, c.task, c.args])).toEqual([['thread', double, [21]]]);
      t.calls[0]?.d.callback(42);
      expect(successResultOf(d)).toBe(42);
    });

    it('sends a green decision straight to the spawn helper', () => {
      const t = targets(clock);
      new PolicyDispatcher(Policy.load({ default: 'green' }), t).dispatch(double, [1]);
      expect(t.calls.map((c) => c.path)).toEqual(['green']);
    });

    it('sends a plain function to greenlets even when the rule says thread', () => {
      const t = targets(clock);
      new PolicyDispatcher(Policy.load({ default: 'thread' }), t).dispatch((x: number) => x, [1]);
      expect(t.calls.map((c) => c.path)).toEqual(['green']);
    });

    it('runs an inline decision now, synchronously, with the result already in the Deferred', () => {
      const t = targets(clock);
      const d = new PolicyDispatcher(Policy.load({ default: 'inline' }), t).dispatch(double, [4]);
      expect(successResultOf(d)).toBe(8);
      expect(t.calls).toEqual([]);
    });

    it('passes every argument to an inline function, whatever their number', () => {
      const dispatcher = new PolicyDispatcher(Policy.load({ default: 'inline' }), targets(clock));
      const all = (...xs: number[]): number[] => xs;
      for (const args of [[], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4, 5]]) {
        expect(successResultOf(dispatcher.dispatch(all, args))).toEqual(args);
      }
    });

    it('turns an inline throw into a failed Deferred', () => {
      const d = new PolicyDispatcher(Policy.load({ default: 'inline' }), targets(clock)).dispatch(boom, []);
      expect(failureResultOf(d, RangeError).value).toEqual(new RangeError('bad'));
    });

    it('drives an inline generator task to completion', () => {
      const d = new PolicyDispatcher(Policy.load({ default: 'inline' }), targets(clock)).dispatch(countUp, [3]);
      expect(successResultOf(d)).toBe(6);
    });

    it('follows an inline function that returns a Promise', async () => {
      const d = new PolicyDispatcher(Policy.load({ default: 'inline' }), targets(clock)).dispatch(async () => 'later', []);
      await expect(d.asPromise()).resolves.toBe('later');
    });

    it("returns an inline function's Deferred as it is, and fails with a Failure it returns (maybeDeferred's rules)", () => {
      const dispatcher = new PolicyDispatcher(Policy.load({ default: 'inline' }), targets(clock));
      const own = new Deferred<number>();
      expect(dispatcher.dispatch(() => own, [])).toBe(own);
      const failed = dispatcher.dispatch(() => new Failure(new RangeError('as a value')), []);
      expect(failureResultOf(failed, RangeError).getErrorMessage()).toBe('as a value');
      const fn = (): string => 'a function';
      expect(successResultOf(dispatcher.dispatch(() => fn, []))).toBe(fn);
      own.callback(1);
    });

    it('imports a taskFrom task before running it inline', async () => {
      const parse = taskFrom('node:path', 'basename');
      const d = new PolicyDispatcher(Policy.load({ default: 'inline' }), targets(clock)).dispatch(parse, ['/a/b.txt']);
      await expect(d.asPromise()).resolves.toBe('b.txt');
    });

    it("applies the matching rule's timeoutMs on the reactor's clock", () => {
      const t = targets(clock);
      const policy = Policy.load({ rules: [{ name: 'slow', match: {}, route: 'thread', timeoutMs: 100 }] });
      const d = new PolicyDispatcher(policy, t).dispatch(double, [1]);
      clock.advance(99);
      assertNoResult(d);
      clock.advance(1);
      expect(failureResultOf(d, TimeoutError).value).toHaveProperty('code', 'ERR_TIMEOUT');
    });

    it('errbacks with TypeError, never throws, for something that is not a task', () => {
      const d = new PolicyDispatcher(new Policy(), targets(clock)).dispatch(42, []);
      expect(failureResultOf(d, TypeError).getErrorMessage()).toContain('pass a Task (defineTask/taskFrom) or a function');
    });

    it('errbacks when a path throws', () => {
      const t = targets(clock);
      Object.assign(t, {
        threadPool: {
          run: () => {
            throw new Error('pool exploded');
          },
        },
      });
      const d = new PolicyDispatcher(Policy.load({ default: 'thread' }), t).dispatch(double, [1]);
      expect(failureResultOf(d).getErrorMessage()).toContain('pool exploded');
    });

    it('errbacks, never throws, when the green path throws', () => {
      const t = targets(clock);
      t.spawnDeferred = () => {
        throw new Error('hub exploded');
      };
      const d = new PolicyDispatcher(Policy.load({ default: 'green' }), t).dispatch(double, [1]);
      expect(failureResultOf(d).getErrorMessage()).toContain('hub exploded');
    });

    describe('the last task it dispatched (kept with its plan)', () => {
      it('follows a reload: the next call of the same task goes where the new config says', () => {
        const t = targets(clock);
        const policy = Policy.load({ default: 'inline' });
        const dispatcher = new PolicyDispatcher(policy, t);
        expect(successResultOf(dispatcher.dispatch(double, [1]))).toBe(2);
        policy.update({ rules: [{ name: 'dbl', match: { task: 'double' }, route: 'green' }], default: 'inline' });
        dispatcher.dispatch(double, [2]);
        expect(t.calls.map((c) => [c.path, c.args])).toEqual([['green', [2]]]);
        expect(dispatcher.stats().ruleHits).toEqual({ dbl: 1 });
      });

      it('keeps each task on its own route when two tasks alternate', () => {
        const t = targets(clock);
        const policy = Policy.load({ rules: [{ name: 'up', match: { task: 'countUp' }, route: 'green' }], default: 'inline' });
        const dispatcher = new PolicyDispatcher(policy, t);
        const results = [dispatcher.dispatch(double, [1]), dispatcher.dispatch(countUp, [2]), dispatcher.dispatch(double, [3]), dispatcher.dispatch(countUp, [4])];
        expect(t.calls.map((c) => [c.task, c.args])).toEqual([
          [countUp, [2]],
          [countUp, [4]],
        ]);
        expect(successResultOf(results[0]!)).toBe(2);
        expect(successResultOf(results[2]!)).toBe(6);
        expect(dispatcher.stats().routes).toEqual({ thread: 0, green: 2, inline: 2 });
      });

      it('decides again on every call when a rule depends on the load', () => {
        const t = targets(clock, 20);
        const policy = Policy.load({ rules: [{ name: 'spill', match: { threadQueue: { gte: 10 } }, route: 'green' }], default: 'inline' });
        const dispatcher = new PolicyDispatcher(policy, t);
        dispatcher.dispatch(double, [1]);
        (t.load as { threadQueue: number }).threadQueue = 0;
        const d = dispatcher.dispatch(double, [2]);
        (t.load as { threadQueue: number }).threadQueue = 30;
        dispatcher.dispatch(double, [3]);
        expect(t.calls.map((c) => c.args)).toEqual([[1], [3]]);
        expect(successResultOf(d)).toBe(4);
      });

      it("counts a green or thread rule's hits", () => {
        const policy = Policy.load({
          rules: [
            { name: 'up', match: { task: 'countUp' }, route: 'green' },
            { name: 'dbl', match: { task: 'double' }, route: 'thread' },
          ],
          default: 'inline',
        });
        const dispatcher = new PolicyDispatcher(policy, targets(clock));
        dispatcher.dispatch(countUp, [1]);
        dispatcher.dispatch(countUp, [1]);
        dispatcher.dispatch(double, [1]);
        expect(dispatcher.stats().ruleHits).toEqual({ up: 2, dbl: 1 });
        expect(dispatcher.stats().routes).toEqual({ thread: 1, green: 2, inline: 0 });
      });

      it('counts every inline run of the kept task, whether stats() is read between its runs or after another task', () => {
        const policy = Policy.load({ rules: [{ name: 'dbl', match: { task: 'double' }, route: 'inline' }], default: 'green' });
        const dispatcher = new PolicyDispatcher(policy, targets(clock));
        for (let i = 0; i < 3; i += 1) dispatcher.dispatch(double, [i]);
        expect(dispatcher.stats().routes).toEqual({ thread: 0, green: 0, inline: 3 });
        expect(dispatcher.stats().ruleHits).toEqual({ dbl: 3 });
        for (let i = 0; i < 2; i += 1) dispatcher.dispatch(double, [i]);
        dispatcher.dispatch(countUp, [1]);
        expect(dispatcher.stats().routes).toEqual({ thread: 0, green: 1, inline: 5 });
        expect(dispatcher.stats().ruleHits).toEqual({ dbl: 5 });
      });

      it("counts the kept task's runs under the rule that decided them when a reload moves it", () => {
        const policy = Policy.load({ rules: [{ name: 'dbl', match: { task: 'double' }, route: 'inline' }], default: 'green' });
        const dispatcher = new PolicyDispatcher(policy, targets(clock));
        dispatcher.dispatch(double, [1]);
        dispatcher.dispatch(double, [2]);
        policy.update({ rules: [{ name: 'dbl-green', match: { task: 'double' }, route: 'green' }], default: 'inline' });
        dispatcher.dispatch(double, [3]);
        expect(dispatcher.stats().routes).toEqual({ thread: 0, green: 1, inline: 2 });
        expect(dispatcher.stats().ruleHits).toEqual({ dbl: 2, 'dbl-green': 1 });
      });

      it("sends a thread call of a rule with coalesce: false alone (runAlone), every time", () => {
        const t = targets(clock);
        const alone: unknown[][] = [];
        t.threadPool.runAlone = (task: Task, args: readonly unknown[]) => {
          alone.push([task, [...args]]);
          return new Deferred<unknown>();
        };
        const policy = Policy.load({ rules: [{ name: 'solo', match: { task: 'double' }, route: 'thread', coalesce: false }] });
        const dispatcher = new PolicyDispatcher(policy, t);
        dispatcher.dispatch(double, [1]);
        dispatcher.dispatch(double, [2]);
        expect(alone).toEqual([
          [double, [1]],
          [double, [2]],
        ]);
        expect(t.calls).toEqual([]);
      });
    });

    it('reads the load only when a rule needs it, and routes on it', () => {
      const t = targets(clock, 20);
      const policy = Policy.load({ rules: [{ name: 'spill', match: { threadQueue: { gte: 10 } }, route: 'green' }], default: 'thread' });
      new PolicyDispatcher(policy, t).dispatch(double, [1]);
      expect(t.calls.map((c) => c.path)).toEqual(['green']);
    });

    it('publishes each decision on the debug channel when subscribed', () => {
      const seen: DecisionMessage[] = [];
      const listener = (message: unknown): void => {
        seen.push(message as DecisionMessage);
      };
      subscribe(decisionChannelName, listener);
      try {
        new PolicyDispatcher(Policy.load({ default: 'inline' }), targets(clock)).dispatch(double, [1]);
      } finally {
        unsubscribe(decisionChannelName, listener);
      }
      expect(seen).toEqual([{ task: 'double', id: double.id, decision: { route: 'inline', reason: "default route 'inline'" } }]);
    });

    describe('feeding auto', () => {
      it('feeds each thread run of a task auto sent to threads, and moves it once sampleSize runs are short', () => {
        const policy = Policy.load({ adaptive: { sampleSize: 2 } });
        const dispatcher = new PolicyDispatcher(policy, targets(clock));
        dispatcher.dispatch(double, [1]);
        dispatcher.threadRunTimed(double.id, 0.01, 0.1);
        expect(policy.decide(double).route).toBe('thread');
        dispatcher.threadRunTimed(double.id, 0.01, 0.1);
        expect(policy.decide(double)).toEqual({
          route: 'inline',
          reason: 'auto: median run 0.1 ms < minThreadRunMs 0.5 ms over 2 thread runs; synchronous: runs inline',
        });
      });

      it('judges the last sampleSize runs: a task that became cheap moves after sampleSize cheap runs', () => {
        const policy = Policy.load({ adaptive: { sampleSize: 4, minThreadRunMs: 1 } });
        const dispatcher = new PolicyDispatcher(policy, targets(clock));
        dispatcher.dispatch(double, [1]);
        for (let i = 0; i < 12; i += 1) dispatcher.threadRunTimed(double.id, 0.01, 5);
        expect(policy.decide(double).route).toBe('thread');
        dispatcher.threadRunTimed(double.id, 0.01, 0.1);
        expect(policy.decide(double).route).toBe('thread'); // one cheap run among the last four
        for (let i = 0; i < 3; i += 1) dispatcher.threadRunTimed(double.id, 0.01, 0.1);
        expect(policy.decide(double).route).toBe('inline');
        expect(policy.stats().auto.double).toMatchObject({ threadRuns: 16, medianThreadRunMs: 0.1 });
      });

      it('does not feed runs that a rule or the default (not auto) sent to threads', () => {
        const policy = Policy.load({ default: 'thread', adaptive: { sampleSize: 1 } });
        const dispatcher = new PolicyDispatcher(policy, targets(clock));
        dispatcher.dispatch(double, [1]);
        dispatcher.threadRunTimed(double.id, 0.01, 0.1);
        expect(policy.stats().auto).toEqual({});
      });

      it('feeds runs of a task that declares a kind too, with the wait as its hop', () => {
        const cpu = defineTask(import.meta.url, 'cpuWork', () => 1, { kind: 'cpu' });
        const policy = Policy.load({ adaptive: { sampleSize: 1 } });
        const dispatcher = new PolicyDispatcher(policy, targets(clock));
        dispatcher.dispatch(cpu, []);
        dispatcher.threadRunTimed(cpu.id, 3, 2);
        expect(policy.decide(cpu).reason).toBe('auto: median run 2 ms < hop 3 ms (the fastest of 1 thread runs); synchronous: runs inline');
      });
    });

    it('spawns a sampled auto green call as its timed twin, which reports a long call', () => {
      const t = targets(clock);
      let wall = 0;
      const policy = Policy.load({ adaptive: { blockingThresholdMs: 1 } });
      const slowDouble = defineTask(
        import.meta.url,
        'slowDouble',
        (n: number) => {
          wall += 3; // one long green step, on the fake wall clock
          return n * 2;
        },
        { kind: 'io' },
      );
      policy.recordAsync(slowDouble); // auto now sends it to greenlets
      new PolicyDispatcher(policy, t, { greenSampling: { rate: 1, random: () => 0 }, now: () => wall }).dispatch(slowDouble, [4]);
      const spawned = t.calls[0]?.task as typeof slowDouble;
      expect(spawned).not.toBe(slowDouble);
      expect(spawned.name).toBe('slowDouble');
      expect(spawned.fn?.(4)).toBe(8);
      expect(policy.decide(slowDouble)).toEqual({ route: 'thread', reason: 'auto: green step took 3 ms > 1 ms; on threads for good' });
    });

    describe('auto inline runs', () => {
      it('times every inline run while the in-process window fills, then one in inlineSampleEvery', () => {
        let wall = 0;
        const slow = defineTask(import.meta.url, 'slowSync', (ms: number) => {
          wall += ms;
          return ms;
        }, { kind: 'io' });
        const policy = Policy.load({ adaptive: { blockingThresholdMs: 20, sampleSize: 3 } });
        const dispatcher = new PolicyDispatcher(policy, targets(clock), { inlineSampleEvery: 2, now: () => wall });
        for (let i = 0; i < 3; i += 1) dispatcher.dispatch(slow, [0.01]); // each timed: the window fills
        expect(policy.stats().auto.slowSync).toMatchObject({ inProcessSamples: 3 });
        expect(successResultOf(dispatcher.dispatch(slow, [50]))).toBe(50); // not timed
        expect(policy.decide(slow).route).toBe('inline');
        expect(successResultOf(dispatcher.dispatch(slow, [50]))).toBe(50); // timed: 50 ms > 20 ms
        expect(policy.decide(slow)).toEqual({ route: 'thread', reason: 'auto: inline run took 50 ms > 20 ms; on threads for good' });
      });

      it('moves a task that turns blocking, called once a turn, at its first timed slow run: after at most 2 × inlineSampleEvery − 1 blocking calls', async () => {
        // The bound auto pays once per task for sampling inline runs (two clock reads a run cost more than a tiny
        // task): here its worst case, the longest random gap (random 0.99) drawn just before the task turns slow,
        // and a microtask checkpoint between calls, so no stall within one stretch of code shortens the gap.
        let wall = 0;
        let slow = false;
        let blockedRuns = 0;
        const turnsBlocking = defineTask(import.meta.url, 'turnsBlocking', () => {
          if (slow) {
            wall += 50;
            blockedRuns += 1;
          }
          return 1;
        }, { kind: 'io' });
        const policy = Policy.load({ adaptive: { sampleSize: 3 } });
        const dispatcher = new PolicyDispatcher(policy, targets(clock), { inlineSampleEvery: 16, now: () => wall, random: () => 0.99 });
        for (let i = 0; i < 3 + 16; i += 1) dispatcher.dispatch(turnsBlocking, []); // 3 fill the window; the 16th after is timed and draws a gap of 31
        slow = true;
        while (policy.decide(turnsBlocking).route === 'inline' && blockedRuns < 100) {
          dispatcher.dispatch(turnsBlocking, []);
          await Promise.resolve(); // a turn of its own
        }
        expect(policy.decide(turnsBlocking)).toEqual({ route: 'thread', reason: 'auto: inline run took 50 ms > 20 ms; on threads for good' });
        expect(blockedRuns).toBe(2 * 16 - 1);
      });

      it('times runs at random gaps, so a task that stalls on every n-th call cannot fall between them', () => {
        let wall = 0;
        let calls = 0;
        // With a window of one run (call 1, timed while probing), a fixed stride of 8 would time calls 9, 17, 25, …;
        // this task stalls on calls 10, 18, 26, …: exactly the ones that stride never times.
        const everyEighth = defineTask(import.meta.url, 'everyEighth', () => {
          calls += 1;
          if (calls % 8 === 2 && calls > 2) wall += 50;
          return calls;
        }, { kind: 'io' });
        let seed = 7;
        const random = (): number => ((seed = (seed * 48271) % 2147483647) / 2147483647); // seeded: the test is exact
        const policy = Policy.load({ adaptive: { sampleSize: 1 } });
        const dispatcher = new PolicyDispatcher(policy, targets(clock), { inlineSampleEvery: 8, now: () => wall, random });
        for (let i = 0; i < 800 && policy.decide(everyEighth).route === 'inline'; i += 1) dispatcher.dispatch(everyEighth, []);
        expect(policy.decide(everyEighth)).toEqual({ route: 'thread', reason: 'auto: inline run took 50 ms > 20 ms; on threads for good' });
      });

      describe('after a stall between two timed runs of one synchronous stretch', () => {
        // Two auto-inline tasks with full windows (sampleSize 1) and long random gaps (random 0.99 and inlineSampleEvery
        // 100: 198 runs to the next timed one). `stalls` holds the loop 50 ms on the calls it is told to.
        const setUp = (): {
          policy: Policy;
          dispatcher: PolicyDispatcher;
          tick: Task;
          stalls: Task;
          advance: (ms: number) => void;
          timedRuns: () => number;
        } => {
          let wall = 0;
          let reads = 0; // a timed run reads the clock twice, an untimed one never
          const tick = defineTask(import.meta.url, 'tickTask', () => 1, { kind: 'io' });
          const stalls = defineTask(import.meta.url, 'stallsWhenTold', (ms: number) => {
            wall += ms;
            return ms;
          }, { kind: 'io' });
          const policy = Policy.load({ adaptive: { sampleSize: 1 } });
          const now = (): number => {
            reads += 1;
            return wall;
          };
          const dispatcher = new PolicyDispatcher(policy, targets(clock), { inlineSampleEvery: 100, random: () => 0.99, now });
          dispatcher.dispatch(tick, []); // timed: its window fills
          dispatcher.dispatch(stalls, [0]); // timed: its window fills
          return { policy, dispatcher, tick, stalls, advance: (ms) => (wall += ms), timedRuns: () => reads / 2 };
        };
        const ticks = (dispatcher: PolicyDispatcher, tick: Task, n: number): void => {
          for (let i = 0; i < n; i += 1) dispatcher.dispatch(tick, []);
        };

        it('times every run for a while, so a task that blocks now and then is caught at its next blocking call', () => {
          const { policy, dispatcher, tick, stalls } = setUp();
          dispatcher.dispatch(stalls, [50]); // untimed (gap 100): holds the loop 50 ms unseen
          for (let i = 0; i < 200; i += 1) dispatcher.dispatch(tick, []); // reaches the next timed run: it sees the 50 ms
          expect(policy.decide(stalls).route).toBe('inline');
          dispatcher.dispatch(stalls, [50]); // timed (runs are now timed one by one): on threads for good
          expect(policy.decide(stalls)).toEqual({ route: 'thread', reason: 'auto: inline run took 50 ms > 20 ms; on threads for good' });
        });

        it('goes back to random gaps once 2 × sampleSize × inlineSampleEvery runs were timed one by one', () => {
          const { policy, dispatcher, tick, stalls } = setUp();
          dispatcher.dispatch(stalls, [50]); // untimed: holds the loop 50 ms unseen
          for (let i = 0; i < 99 + 200; i += 1) dispatcher.dispatch(tick, []); // the 99th sees the stall; 200 timed one by one
          dispatcher.dispatch(stalls, [50]); // untimed again: the gap was drawn at random after the 200
          expect(policy.decide(stalls).route).toBe('inline');
        });

        it('times the run that sees one stall and the next 2 × sampleSize × inlineSampleEvery, then samples again until the loop stalls again', () => {
          const { dispatcher, tick, stalls, timedRuns } = setUp();
          dispatcher.dispatch(stalls, [50]); // untimed: holds the loop 50 ms unseen
          const before = timedRuns();
          ticks(dispatcher, tick, 98);
          expect(timedRuns() - before).toBe(0); // still in the random gap
          ticks(dispatcher, tick, 201); // the 99th sees the stall, the 200 after it are timed one by one
          expect(timedRuns() - before).toBe(201);
          ticks(dispatcher, tick, 1000); // no stall since: random gaps of 198 (about 1000 / 198 timed runs), no window
          expect(timedRuns() - before).toBe(201 + 5);
        });

        it('starts the window again at a stall seen inside it, so one stall never costs more than the run that sees it and 2 × sampleSize × inlineSampleEvery', () => {
          const { dispatcher, tick, stalls, advance, timedRuns } = setUp();
          dispatcher.dispatch(stalls, [50]);
          ticks(dispatcher, tick, 99 + 50); // the 99th sees the stall; 50 of the window's 200 timed
          const before = timedRuns();
          advance(50); // the loop is held again between two timed runs (a deschedule, a GC pause)
          ticks(dispatcher, tick, 201); // the first sees it: it and the 200 after it are timed
          expect(timedRuns() - before).toBe(201);
          ticks(dispatcher, tick, 197); // then the random gap (the fast path and the bare inline path each count a call)
          expect(timedRuns() - before).toBe(201);
        });

        it('does not count time across a microtask checkpoint (the loop may have been idle) as a stall', async () => {
          const { policy, dispatcher, tick, stalls, advance } = setUp();
          await Promise.resolve();
          advance(50); // time passes between two stretches of code
          for (let i = 0; i < 200; i += 1) dispatcher.dispatch(tick, []); // reaches the next timed run
          dispatcher.dispatch(stalls, [50]); // untimed: the gap was drawn as usual
          expect(policy.decide(stalls).route).toBe('inline');
        });
      });

      describe('a pause of the process inside one timed run (a deschedule, a GC pause)', () => {
        // Wall time cannot tell the pause from the task: the run reads 50 ms. Every run is timed (inlineSampleEvery 1).
        const tiny = defineTask(import.meta.url, 'tinyPaused', (n: number) => n + 1, { kind: 'io' });
        const pausedOnce = (adaptive: PolicyConfig['adaptive']): Policy => {
          let wall = 0;
          let reads = 0;
          let pauseAtRead = -1;
          const policy = Policy.load({ adaptive });
          const now = (): number => {
            reads += 1;
            if (reads === pauseAtRead) wall += 50;
            return wall;
          };
          const dispatcher = new PolicyDispatcher(policy, targets(clock), { inlineSampleEvery: 1, random: () => 0, now });
          for (let i = 0; i < 4; i += 1) dispatcher.dispatch(tiny, [i]);
          pauseAtRead = reads + 2; // the next run's second clock read: the pause fell between its two
          dispatcher.dispatch(tiny, [0]);
          for (let i = 0; i < 4; i += 1) dispatcher.dispatch(tiny, [i]);
          return policy;
        };

        it('sends a tiny task to threads for good with the default blockingRunsToPin 1 (SPEC §7)', () => {
          const policy = pausedOnce({ sampleSize: 4 });
          expect(policy.decide(tiny)).toEqual({ route: 'thread', reason: 'auto: inline run took 50 ms > 20 ms; on threads for good' });
        });

        it('leaves it inline with blockingRunsToPin 2 (a second pause in its window would move it)', () => {
          const policy = pausedOnce({ sampleSize: 4, blockingRunsToPin: 2 });
          expect(policy.decide(tiny).route).toBe('inline');
        });
      });

      it('leaves a short inline run where it is', () => {
        let wall = 0;
        const quick = defineTask(import.meta.url, 'quickSync', () => {
          wall += 1;
          return 1;
        }, { kind: 'io' });
        const policy = Policy.load({});
        const dispatcher = new PolicyDispatcher(policy, targets(clock), { inlineSampleEvery: 1, now: () => wall });
        dispatcher.dispatch(quick, []);
        expect(policy.decide(quick).route).toBe('inline');
      });

      it('sends a synchronous task that returned a Deferred to a greenlet from then on', () => {
        const deferring = defineTask(import.meta.url, 'deferring', (n: number) => succeed(n + 1), { kind: 'io' });
        const t = targets(clock);
        const dispatcher = new PolicyDispatcher(Policy.load({}), t);
        expect(successResultOf(dispatcher.dispatch(deferring, [1]))).toBe(2);
        dispatcher.dispatch(deferring, [1]);
        expect(t.calls.map((c) => c.path)).toEqual(['green']);
      });

      it('sends a synchronous task that returned a thenable to a greenlet from then on', async () => {
        const promiser = defineTask(import.meta.url, 'promiser', (n: number) => Promise.resolve(n + 1), { kind: 'io' });
        const t = targets(clock);
        const dispatcher = new PolicyDispatcher(Policy.load({}), t);
        expect(await dispatcher.dispatch(promiser, [1])).toBe(2);
        expect(t.calls).toEqual([]);
        dispatcher.dispatch(promiser, [1]);
        expect(t.calls.map((c) => c.path)).toEqual(['green']);
      });

      it('sends a synchronous task that turns asynchronous between timed runs to a greenlet from then on', () => {
        let asyncNow = false;
        const turns = defineTask(import.meta.url, 'turnsAsync', (n: number) => (asyncNow ? succeed(n + 1) : n + 1), { kind: 'io' });
        const t = targets(clock);
        const policy = Policy.load({ adaptive: { sampleSize: 2 } });
        // The gap to the next timed run is 1 + floor(0.99 × 199) = 198 runs: the runs below are all untimed ones.
        const dispatcher = new PolicyDispatcher(policy, t, { inlineSampleEvery: 100, random: () => 0.99, now: () => 0 });
        for (let i = 0; i < 3; i += 1) dispatcher.dispatch(turns, [i]); // two timed (the window fills), one untimed
        expect(policy.stats().auto.turnsAsync).toMatchObject({ inProcessSamples: 2 });
        asyncNow = true;
        expect(successResultOf(dispatcher.dispatch(turns, [1]))).toBe(2);
        expect(policy.stats().auto.turnsAsync).toMatchObject({ inProcessSamples: 2 }); // that run was not timed
        dispatcher.dispatch(turns, [1]);
        expect(t.calls.map((c) => c.path)).toEqual(['green']);
      });

      it("keeps the call's value, never throws, and warns when a 'learn' listener throws during a timed inline run", () => {
        let wall = 0;
        const stalls = defineTask(import.meta.url, 'stallsOnce', () => {
          wall += 50;
          return 1;
        }, { kind: 'io' });
        const policy = Policy.load({ adaptive: { sampleSize: 1 } });
        policy.on('learn', () => {
          throw new RangeError('listener failed');
        });
        const warning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
        const dispatcher = new PolicyDispatcher(policy, targets(clock), { now: () => wall });
        let d: Deferred<unknown> | undefined;
        try {
          expect(() => (d = dispatcher.dispatch(stalls, []))).not.toThrow();
          expect(successResultOf(d!)).toBe(1);
          expect(warning).toHaveBeenCalledWith("A 'learn' listener of the policy threw: listener failed", { code: 'ERR_POLICY_LISTENER' });
        } finally {
          warning.mockRestore();
        }
        expect(policy.decide(stalls).route).toBe('thread');
      });

      it('does not time an inline run that a rule or the default chose', () => {
        let wall = 0;
        const slow = defineTask(import.meta.url, 'slowByRule', () => {
          wall += 100;
          return 1;
        });
        const policy = Policy.load({ default: 'inline' });
        new PolicyDispatcher(policy, targets(clock), { inlineSampleEvery: 1, now: () => wall }).dispatch(slow, []);
        expect(policy.stats().auto).toEqual({});
      });
    });

    it('spawns the task itself when the green decision is not auto', () => {
      const t = targets(clock);
      new PolicyDispatcher(Policy.load({ default: 'green' }), t, { greenSampling: { rate: 1, random: () => 0 } }).dispatch(double, [1]);
      expect(t.calls[0]?.task).toBe(double);
    });

    it('counts dispatches per route and per rule in stats()', () => {
      const policy = Policy.load({ rules: [{ name: 'dbl', match: { task: 'double' }, route: 'inline' }], default: 'green' });
      const dispatcher = new PolicyDispatcher(policy, targets(clock));
      dispatcher.dispatch(double, [1]);
      dispatcher.dispatch(double, [2]);
      dispatcher.dispatch(countUp, [1]);
      const stats = dispatcher.stats();
      expect(stats.routes).toEqual({ thread: 0, green: 1, inline: 2 });
      expect(stats.ruleHits).toEqual({ dbl: 2 });
      expect(stats.rules).toBe(1);
    });
  });

  describe('.handOff()', () => {
    const ioGen = defineTask(import.meta.url, 'ioGen', function* () {
      yield;
      return 1;
    }, { kind: 'io' });

    it.each<['thread' | 'green', PolicyConfig]>([
      ['thread', { default: 'thread' }],
      ['green', { default: 'green' }],
    ])("lets the caller start the next calls of the task it dispatched last on %s itself, and counts them", (route, config) => {
      const dispatcher = new PolicyDispatcher(Policy.load(config), targets(clock));
      dispatcher.dispatch(double, [1]);
      expect([dispatcher.handOff(double), dispatcher.handOff(double)]).toEqual([route, route]);
      expect(dispatcher.stats().routes).toEqual({ thread: 0, green: 0, inline: 0, [route]: 3 });
      expect(dispatcher.stats().ruleHits).toEqual({});
    });

    it.each<[string, PolicyConfig, Task]>([
      ['an inline plan', { default: 'inline' }, double],
      ["a rule's timeoutMs", { rules: [{ match: {}, route: 'thread', timeoutMs: 50 }] }, double],
      ["a rule's maxConcurrent", { rules: [{ match: {}, route: 'green', maxConcurrent: 2 }] }, double],
      ["a rule's named pool", { pools: { side: {} }, rules: [{ match: {}, route: 'thread', pool: 'side' }] }, double],
      ["a rule's coalesce: false", { rules: [{ match: {}, route: 'thread', coalesce: false }] }, double],
      ['a crash budget', { default: 'thread', adaptive: { crashBudget: { crashes: 2, windowMs: 1000, then: 'fail' } } }, double],
      ["auto's green plan (its green calls are sampled)", { default: 'auto' }, ioGen],
    ])('leaves the call to dispatch() with %s', (_what, config, task) => {
      const base = targets(clock);
      const dispatcher = new PolicyDispatcher(Policy.load(config), { ...base, pools: new Map([['side', base.threadPool]]) });
      dispatcher.dispatch(task, [1]);
      expect(dispatcher.handOff(task)).toBeUndefined();
    });

    it('leaves the call to dispatch() for another task than the last, after a reload, and while someone listens to decisions', () => {
      const policy = Policy.load({ default: 'thread' });
      const dispatcher = new PolicyDispatcher(policy, targets(clock));
      dispatcher.dispatch(double, [1]);
      expect(dispatcher.handOff(boom)).toBeUndefined();
      const listener = (): void => {};
      subscribe(decisionChannelName, listener);
      try {
        expect(dispatcher.handOff(double)).toBeUndefined();
      } finally {
        unsubscribe(decisionChannelName, listener);
      }
      expect(dispatcher.handOff(double)).toBe('thread');
      policy.update({ default: 'thread' });
      expect(dispatcher.handOff(double)).toBeUndefined();
    });
  });

  describe('crash budget', () => {
    const crash = (t: ReturnType<typeof targets>, i: number): void => {
      t.calls[i]?.d.errback(new WorkerCrashedError('worker died', { task: 'double' }));
    };
    const config = (then: 'green' | 'fail', extra: object = {}) => ({ default: 'thread' as const, adaptive: { crashBudget: { crashes: 2, windowMs: 1000, then } }, ...extra });

    it("errbacks WorkerCrashedError at once, without a worker, once a task crashed `crashes` times within windowMs ('fail')", () => {
      const t = targets(clock);
      const policy = Policy.load(config('fail'));
      const dispatcher = new PolicyDispatcher(policy, t);
      const first = dispatcher.dispatch(double, [1]);
      const second = dispatcher.dispatch(double, [2]);
      crash(t, 0);
      crash(t, 1);
      expect(failureResultOf(first).check(WorkerCrashedError)).toBe(WorkerCrashedError); // the crash still reaches its caller
      expect(failureResultOf(second).check(WorkerCrashedError)).toBe(WorkerCrashedError);
      const third = dispatcher.dispatch(double, [3]);
      expect(t.calls).toHaveLength(2);
      expect(failureResultOf(third).getErrorMessage()).toContain('crash budget spent: 2 worker crashes within 1000 ms');
      expect(dispatcher.explain(double, [3])).toEqual({
        route: 'thread',
        crashBudgetSpent: true,
        reason: "default route 'thread'; crash budget spent: 2 worker crashes within 1000 ms; it fails at once with WorkerCrashedError",
      });
    });

    it("runs the task in-process once its budget is spent ('green'), rules included", () => {
      const t = targets(clock);
      const policy = Policy.load({ adaptive: { crashBudget: { crashes: 1, windowMs: 1000, then: 'green' } }, rules: [{ name: 'heavy', match: { task: 'double' }, route: 'thread' }] });
      const dispatcher = new PolicyDispatcher(policy, t);
      const first = dispatcher.dispatch(double, [1]);
      crash(t, 0);
      failureResultOf(first, WorkerCrashedError);
      dispatcher.dispatch(double, [2]);
      expect(t.calls.map((c) => c.path)).toEqual(['thread', 'green']);
      expect(dispatcher.explain(double, [2]).reason).toBe(
        "rule 'heavy' matched task 'double'; crash budget spent: 1 worker crash within 1000 ms; it runs in-process on a greenlet",
      );
    });

    it('forgets crashes older than windowMs (reactor clock)', () => {
      const t = targets(clock);
      const dispatcher = new PolicyDispatcher(Policy.load(config('fail')), t);
      const calls = [dispatcher.dispatch(double, [1]), dispatcher.dispatch(double, [2])];
      crash(t, 0);
      clock.advance(1001);
      crash(t, 1);
      for (const d of calls) failureResultOf(d, WorkerCrashedError);
      dispatcher.dispatch(double, [3]);
      expect(t.calls).toHaveLength(3);
    });

    it("holds back calls beyond what the budget has left, and fails them without a worker once it is spent ('fail')", () => {
      const t = targets(clock);
      const dispatcher = new PolicyDispatcher(Policy.load(config('fail')), t);
      const calls = Array.from({ length: 10 }, (_, i) => dispatcher.dispatch(double, [i]));
      expect(t.calls).toHaveLength(2); // crashes: 2 — only two calls can reach a worker
      crash(t, 0);
      expect(t.calls).toHaveLength(2); // one crash left: still two in flight at most
      crash(t, 1);
      expect(t.calls).toHaveLength(2);
      for (const d of calls.slice(2)) {
        expect(failureResultOf(d, WorkerCrashedError).getErrorMessage()).toBe(
          "Task `double` was not sent to a worker: crash budget spent: 2 worker crashes within 1000 ms; it fails at once with WorkerCrashedError",
        );
      }
      for (const d of calls.slice(0, 2)) failureResultOf(d, WorkerCrashedError);
    });

    it("runs the calls it held back in-process once the budget is spent ('green')", () => {
      const t = targets(clock);
      const dispatcher = new PolicyDispatcher(Policy.load(config('green')), t);
      const calls = [1, 2, 3].map((n) => dispatcher.dispatch(double, [n]));
      crash(t, 0);
      expect(t.calls.map((c) => c.path)).toEqual(['thread', 'thread']); // the crash freed one place
      crash(t, 1);
      expect(t.calls.map((c) => [c.path, c.args])).toEqual([['thread', [1]], ['thread', [2]], ['green', [3]]]);
      t.calls[2]?.d.callback(6);
      expect(successResultOf(calls[2] as Deferred<unknown>)).toBe(6);
      for (const d of calls.slice(0, 2)) failureResultOf(d, WorkerCrashedError);
    });

    it('sends a task that proved itself (a thread run without a crash) to the pool unhindered until it crashes', () => {
      const t = targets(clock);
      const dispatcher = new PolicyDispatcher(Policy.load(config('fail')), t);
      const first = dispatcher.dispatch(double, [1]);
      t.calls[0]?.d.callback(2);
      successResultOf(first);
      const burst = Array.from({ length: 5 }, (_, i) => dispatcher.dispatch(double, [i]));
      expect(t.calls).toHaveLength(6);
      crash(t, 1); // one crash within windowMs: held back again, one call in the pool at most
      const later = dispatcher.dispatch(double, [9]);
      expect(t.calls).toHaveLength(6);
      later.cancel(); // a held-back call that is cancelled never reaches the pool
      failureResultOf(later, CancelledError);
      for (let i = 2; i < 6; i += 1) t.calls[i]?.d.callback(0);
      expect(t.calls).toHaveLength(6);
      failureResultOf(burst[0] as Deferred<unknown>, WorkerCrashedError);
    });

    it("times out a held-back call after the task's timeoutMs from dispatch, on the reactor clock", () => {
      const t = targets(clock);
      const bounded = defineTask(import.meta.url, 'bounded', (n: number) => n, { timeoutMs: 50 });
      const dispatcher = new PolicyDispatcher(Policy.load(config('fail')), t);
      dispatcher.dispatch(bounded, [1]);
      dispatcher.dispatch(bounded, [2]);
      const held = dispatcher.dispatch(bounded, [3]);
      clock.advance(50);
      expect(failureResultOf(held, TimeoutError).value).toBeInstanceOf(TimeoutError);
      for (const c of t.calls) c.d.callback(0);
      expect(t.calls).toHaveLength(2);
    });

    it('refuses the calls it holds back with ReactorStoppedError when the reactor stops (refuseWaiting)', () => {
      const t = targets(clock);
      const dispatcher = new PolicyDispatcher(Policy.load(config('fail')), t);
      const calls = [1, 2, 3].map((n) => dispatcher.dispatch(double, [n]));
      dispatcher.refuseWaiting();
      failureResultOf(calls[2] as Deferred<unknown>, ReactorStoppedError);
      for (const c of t.calls) c.d.callback(0);
      expect(t.calls).toHaveLength(2);
      expect(calls.slice(0, 2).map((d) => successResultOf(d))).toEqual([0, 0]);
    });

    it('counts nothing without a budget, and ordinary errors never', () => {
      const t = targets(clock);
      const dispatcher = new PolicyDispatcher(Policy.load(config('fail')), t);
      const d = dispatcher.dispatch(double, [1]);
      t.calls[0]?.d.errback(new RangeError('bad input'));
      failureResultOf(d);
      const second = dispatcher.dispatch(double, [2]);
      crash(t, 1);
      failureResultOf(second, WorkerCrashedError);
      dispatcher.dispatch(double, [3]);
      expect(t.calls).toHaveLength(3);
      const t2 = targets(clock);
      const noBudget = new PolicyDispatcher(Policy.load({ default: 'thread' }), t2);
      for (let i = 0; i < 3; i += 1) {
        const call = noBudget.dispatch(double, [i]);
        crash(t2, i);
        failureResultOf(call);
      }
      noBudget.dispatch(double, [3]);
      expect(t2.calls).toHaveLength(4);
    });
  });

  describe('bulkheads', () => {
    const bounded = (route: 'thread' | 'green', extra: object = {}) => ({ rules: [{ name: 'dbl', match: { task: 'double' }, route, maxConcurrent: 2, ...extra }] });

    it("runs at most maxConcurrent calls of a rule's tasks at once; the rest wait in order and start as places free", () => {
      const t = targets(clock);
      const dispatcher = new PolicyDispatcher(Policy.load(bounded('green')), t);
      const calls = [1, 2, 3, 4].map((n) => dispatcher.dispatch(double, [n]));
      expect(t.calls.map((c) => c.args)).toEqual([[1], [2]]);
      expect(dispatcher.stats().bulkheads).toEqual({ dbl: { maxConcurrent: 2, inFlight: 2, waiting: 2, route: 'green' } });
      t.calls[1]?.d.callback(4);
      expect(t.calls.map((c) => c.args)).toEqual([[1], [2], [3]]);
      t.calls[2]?.d.callback(6);
      t.calls[0]?.d.callback(2);
      t.calls[3]?.d.callback(8);
      expect(calls.map((d) => successResultOf(d))).toEqual([2, 4, 6, 8]);
      expect(dispatcher.stats().bulkheads.dbl).toMatchObject({ inFlight: 0, waiting: 0 });
    });

    it("times a waiting call out after its task's timeoutMs from dispatch, and it never starts", () => {
      const t = targets(clock);
      const slowDouble = defineTask(import.meta.url, 'double', (n: number) => n * 2, { timeoutMs: 10 });
      const dispatcher = new PolicyDispatcher(Policy.load(bounded('green')), t);
      const calls = [1, 2, 3].map((n) => dispatcher.dispatch(slowDouble, [n]));
      clock.advance(10); // the two running ones are the route's to time out (the fake route does not)
      failureResultOf(calls[2] as Deferred<unknown>, TimeoutError);
      t.calls[0]?.d.callback(2);
      expect(t.calls).toHaveLength(2);
      expect(successResultOf(calls[0] as Deferred<unknown>)).toBe(2);
      t.calls[1]?.d.callback(4);
    });

    it("counts waiting thread calls toward the pool's maxQueue and errbacks QueueFullError past it", () => {
      const t = targets(clock);
      const pool = Object.assign(t.threadPool, { queueDepth: 1, options: { maxQueue: 3 } });
      const dispatcher = new PolicyDispatcher(Policy.load(bounded('thread')), { ...t, threadPool: pool });
      const calls = [1, 2, 3, 4, 5].map((n) => dispatcher.dispatch(double, [n]));
      expect(t.calls).toHaveLength(2); // in flight
      assertNoResult(calls[2] as Deferred<unknown>); // waiting: 1 + the pool's 1 queued < 3
      assertNoResult(calls[3] as Deferred<unknown>); // waiting: 2 + 1 = 3 = maxQueue
      expect(failureResultOf(calls[4] as Deferred<unknown>, QueueFullError).getErrorMessage()).toBe(
        "Rule 'dbl' has 2 calls in flight (maxConcurrent) and the thread pool already has 3 calls waiting (maxQueue 3)",
      );
      for (let i = 0; i < 4; i += 1) t.calls[i]?.d.callback(0);
      expect(t.calls).toHaveLength(4);
    });

    it("sends a rule's thread calls to its named pool, and explain() names the pool", () => {
      const t = targets(clock);
      const images = targets(clock);
      const policy = Policy.load({ pools: { images: { maxThreads: 1 } }, rules: [{ name: 'img', match: { task: 'double' }, route: 'thread', pool: 'images' }] });
      const dispatcher = new PolicyDispatcher(policy, { ...t, pools: new Map([['images', images.threadPool]]) });
      dispatcher.dispatch(double, [1]);
      expect([t.calls.length, images.calls.length]).toEqual([0, 1]);
      expect(dispatcher.explain(double, [1])).toEqual({ route: 'thread', rule: 'img', pool: 'images', reason: "rule 'img' matched task 'double'; in pool 'images'" });
    });

    it('errbacks TypeError for a pool the reactor does not have (added by a reload)', () => {
      const t = targets(clock);
      const policy = Policy.load({ pools: { images: {} }, rules: [{ name: 'img', match: { task: 'double' }, route: 'thread', pool: 'images' }] });
      const d = new PolicyDispatcher(policy, t).dispatch(double, [1]);
      expect(failureResultOf(d, TypeError).getErrorMessage()).toContain("sends this call to pool 'images', which this reactor does not have");
    });
  });

  describe('.explain()', () => {
    it('returns the decision and runs nothing', () => {
      const t = targets(clock);
      const dispatcher = new PolicyDispatcher(Policy.load({ default: 'thread' }), t);
      expect(dispatcher.explain(double, [1])).toEqual({ route: 'thread', reason: "default route 'thread'" });
      expect(t.calls).toEqual([]);
      expect(dispatcher.stats().routes).toEqual({ thread: 0, green: 0, inline: 0 });
    });

    it("gives auto's figures as they are now, while dispatch keeps its cached decision", () => {
      const work = defineTask(import.meta.url, 'work', (n: number) => n, { kind: 'cpu' });
      const policy = Policy.load({ adaptive: { sampleSize: 4 } });
      const dispatcher = new PolicyDispatcher(policy, targets(clock));
      for (let i = 0; i < 4; i += 1) policy.recordThreadRun(work, 3, 0.1);
      const cached = dispatcher.decide(work, []);
      for (let i = 0; i < 4; i += 1) policy.recordThreadRun(work, 9, 0.2); // same route, new figures
      expect(dispatcher.decide(work, [])).toBe(cached);
      expect(dispatcher.explain(work, [])).toEqual({
        route: 'thread',
        reason: 'auto: median run 9 ms >= hop 0.2 ms and >= minThreadRunMs 0.5 ms over 4 thread runs; stays on threads',
      });
    });
  });
});
