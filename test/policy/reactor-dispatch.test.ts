import { describe, it, expect, afterEach, jest } from '@jest/globals';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { defineTask } from '../../src/task/task.js';
import { Policy, type PolicyLearned } from '../../src/policy/policy.js';
import { ReactorStoppedError, WorkerCrashedError } from '../../src/errors.js';
import { Deferred } from '../../src/deferred/deferred.js';
import { decisionChannelName, type DecisionMessage } from '../../src/policy/decision-channel.js';
import * as fx from '../fixtures/thread-tasks.js';
import * as px from '../fixtures/policy-tasks.js';
import { built, changed, failureOf, gate, open, settled } from '../threads/thread-test-kit.js';

/** What explain() adds to a thread decision of a task that can be coalesced (default pool options). */
const coalesced = '; coalesced with other waiting calls while every worker is busy (up to 64 a message, each with its own limits and context; a stream, and a call of a task known to run long, travel alone)';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

// Tasks the green and inline paths run in-process (workers get the built fixtures via `built`).
const triple = defineTask(import.meta.url, 'triple', function* (n: number) {
  yield; // a switch point: this runs as a greenlet step by step
  return n * 3;
});
// Fake wall time for the reactor (`new Reactor({ now })`): a "blocking" call advances it, so the step the hub
// measures is exact and no CPU is burnt (a spin would be flaky on a loaded machine).
let wall = 0;
const now = (): number => wall;
const stall = defineTask(import.meta.url, 'stall', (ms: number): number => {
  wall += ms; // holds the event loop for `ms` of the reactor's wall time: one long green step
  return ms;
});

describe('Reactor with a policy', () => {
  let reactor: Reactor | undefined;
  afterEach(async () => {
    await reactor?.stop({ graceMs: 0 });
    reactor = undefined;
  });

  describe('.dispatch()', () => {
    it('runs a thread decision in a worker', async () => {
      reactor = new Reactor({ policy: { threads: { maxThreads: 1 }, rules: [{ name: 'sum', match: { task: 'add' }, route: 'thread' }] } });
      expect(await reactor.dispatch(built(fx.add), 40, 2)).toBe(42);
      expect(reactor.stats().threads.completed).toBe(1);
      expect(reactor.stats().green.spawned).toBe(0);
    });

    it('runs a green decision as a greenlet', async () => {
      reactor = new Reactor({ policy: { default: 'green' } });
      expect(await reactor.dispatch(triple, 5)).toBe(15);
      expect(reactor.stats().green.spawned).toBe(1);
      expect(reactor.stats().threads.completed).toBe(0);
    });

    it('runs an inline decision synchronously, inside dispatch', () => {
      reactor = new Reactor({ policy: { default: 'inline' } });
      expect(successResultOf(reactor.dispatch(triple, 2))).toBe(6);
      expect(reactor.stats().green.spawned).toBe(0);
    });

    it("errbacks inline with the error of a returned object's throwing `then` getter, without throwing", () => {
      reactor = new Reactor({ policy: { default: 'inline' } });
      const bad = new Error('then getter');
      const hostile = (): object =>
        Object.defineProperty({}, 'then', {
          get() {
            throw bad;
          },
        });
      let d: Deferred<unknown> | undefined;
      expect(() => {
        d = reactor!.dispatch(hostile);
      }).not.toThrow();
      expect(failureResultOf(d!).value).toBe(bad);
    });

    it('runs a plain function on a greenlet when the policy says thread', async () => {
      reactor = new Reactor({ policy: { default: 'thread' } });
      expect(await reactor.dispatch((a: number, b: number) => a - b, 5, 3)).toBe(2);
      expect(reactor.stats().green.spawned).toBe(1);
    });

    it("ends a thread task with TimeoutError after its rule's timeoutMs", async () => {
      const clock = new Clock();
      reactor = new Reactor({ clock, policy: { threads: { maxThreads: 1 }, rules: [{ name: 'bounded', match: {}, route: 'thread', timeoutMs: 100 }] } });
      const g = gate();
      const d = reactor.dispatch(built(fx.waitForGate), g, 'late');
      await changed(g, 0); // the worker is running it
      clock.advance(100);
      const error = await failureOf(d);
      expect(error.code).toBe('ERR_TIMEOUT');
      open(g);
    });

    it('errbacks with TypeError for something that is not a task, without throwing', async () => {
      reactor = new Reactor();
      const error = await failureOf(reactor.dispatch(42 as unknown as () => unknown));
      expect(error).toBeInstanceOf(TypeError);
    });

    it('errbacks with ReactorStoppedError once stop() has begun', async () => {
      reactor = new Reactor({ policy: { default: 'inline' } });
      void reactor.stop();
      expect((await failureOf(reactor.dispatch(triple, 1))).code).toBe('ERR_REACTOR_STOPPED');
    });

    it('takes one call per route: straight to the pool or the hub, not back through the facade', async () => {
      reactor = new Reactor({ policy: { threads: { maxThreads: 1 }, rules: [{ match: { task: 'add' }, route: 'thread' }], default: 'green' } });
      const viaThread = jest.spyOn(reactor, 'deferToThread');
      const viaGreen = jest.spyOn(reactor, 'deferToGreenlet');
      const run = jest.spyOn(reactor.threadPool, 'run');
      const spawned = reactor.hub.stats().spawned; // the hub is reached without `hub.spawn` (the arguments go as they are)
      expect(await reactor.dispatch(built(fx.add), 1, 2)).toBe(3);
      expect(await reactor.dispatch(triple, 2)).toBe(6);
      expect([run.mock.calls.length, reactor.hub.stats().spawned - spawned]).toEqual([1, 1]);
      expect([viaThread.mock.calls.length, viaGreen.mock.calls.length]).toEqual([0, 0]);
    });

    it('publishes each decision on the debug channel', async () => {
      reactor = new Reactor({ policy: { default: 'inline' } });
      const seen: DecisionMessage[] = [];
      const listener = (m: unknown): void => {
        seen.push(m as DecisionMessage);
      };
      subscribe(decisionChannelName, listener);
      try {
        await reactor.dispatch(triple, 1);
      } finally {
        unsubscribe(decisionChannelName, listener);
      }
      expect(seen).toEqual([{ task: 'triple', id: triple.id, decision: { route: 'inline', reason: "default route 'inline'" } }]);
    });

    it('counts dispatches per route in stats().policy', async () => {
      reactor = new Reactor({ policy: { rules: [{ name: 'now', match: { task: 'triple' }, route: 'inline' }], default: 'green' } });
      await reactor.dispatch(triple, 1);
      await reactor.dispatch(() => 1);
      const { policy } = reactor.stats();
      expect(policy.routes).toEqual({ thread: 0, green: 1, inline: 1 });
      expect(policy.ruleHits).toEqual({ now: 1 });
    });
  });

  describe('.dispatch() of one task again and again (its plan cached)', () => {
    it('counts every call per route and per rule, in a worker and on greenlets', async () => {
      reactor = new Reactor({ policy: { threads: { maxThreads: 1 }, rules: [{ name: 'sum', match: { task: 'add' }, route: 'thread' }], default: 'green' } });
      const add = built(fx.add);
      for (let i = 0; i < 3; i += 1) expect(await reactor.dispatch(add, i, 1)).toBe(i + 1);
      for (let i = 0; i < 3; i += 1) expect(await reactor.dispatch(triple, i)).toBe(3 * i);
      const { policy, threads, green } = reactor.stats();
      expect(policy.routes).toEqual({ thread: 3, green: 3, inline: 0 });
      expect(policy.ruleHits).toEqual({ sum: 3 });
      expect([threads.completed, green.spawned]).toEqual([3, 3]);
    });

    it('publishes every call\'s decision on the debug channel while someone listens', async () => {
      reactor = new Reactor({ policy: { threads: { maxThreads: 1 }, rules: [{ match: { task: 'add' }, route: 'thread' }], default: 'green' } });
      const add = built(fx.add);
      await reactor.dispatch(add, 0, 0); // the plan is cached before anyone listens
      const seen: DecisionMessage[] = [];
      const listener = (m: unknown): void => {
        seen.push(m as DecisionMessage);
      };
      subscribe(decisionChannelName, listener);
      try {
        for (let i = 0; i < 3; i += 1) await reactor.dispatch(add, i, 1);
        for (let i = 0; i < 2; i += 1) await reactor.dispatch(triple, i);
      } finally {
        unsubscribe(decisionChannelName, listener);
      }
      expect(seen.map((m) => `${m.task} ${m.decision.route}`)).toEqual(['add thread', 'add thread', 'add thread', 'triple green', 'triple green']);
    });
  });

  describe('auto, fed by the reactor', () => {
    it('moves a synchronous task without a kind inline once its thread runs are short', async () => {
      // blockingThresholdMs far above any run: the worker's first run imports the module (a cold start that, over
      // the threshold, would hold the task on threads while in the window), and a loaded machine stretches runs.
      reactor = new Reactor({ policy: { threads: { maxThreads: 1 }, adaptive: { sampleSize: 3, minThreadRunMs: 1000, blockingThresholdMs: 60_000 } } });
      const add = built(fx.add);
      expect(reactor.explain(add, 1, 1).route).toBe('thread');
      for (let i = 0; i < 3; i += 1) await reactor.dispatch(add, i, 1);
      const decision = reactor.explain(add, 1, 1);
      expect(decision.route).toBe('inline');
      expect(decision.reason).toMatch(/^auto: median run [\d.]+ ms < (hop [\d.]+ ms \(the fastest of 3 thread runs\)|minThreadRunMs 1000 ms over 3 thread runs); synchronous: runs inline$/);
    });

    it('feeds auto each thread run of the task on its own (the window is judged in PolicyDispatcher/auto tests)', async () => {
      reactor = new Reactor({ policy: { threads: { maxThreads: 1 }, adaptive: { sampleSize: 50 } } });
      const fed = jest.spyOn(reactor.policy, 'recordThreadRun');
      const pause = built(px.pause);
      await reactor.dispatch(pause, 0);
      await reactor.dispatch(pause, 0);
      await reactor.dispatch(pause, 25); // Atomics.wait: at least 25 ms of run time, whatever the load
      expect(fed.mock.calls.map(([t]) => (typeof t === 'string' ? t : t.id))).toEqual([pause.id, pause.id, pause.id]);
      // The third run is fed as itself (>= 25 ms), not as a figure over all runs since start (median ~0 ms).
      expect(fed.mock.calls[2]?.[1]).toBeGreaterThanOrEqual(25);
      expect(reactor.policy.stats().auto.pause?.threadRuns).toBe(3);
    });

    it("sends a task back to threads for good after the hub reports a blocked step", async () => {
      reactor = new Reactor({ now, policy: { default: 'green', green: { blockingThresholdMs: 5 }, adaptive: { blockingThresholdMs: 5 } } });
      const learned: PolicyLearned[] = [];
      reactor.policy.on('learn', (l) => learned.push(l));
      await reactor.dispatch(stall, 30);
      expect(reactor.policy.stats().auto.stall?.phase).toBe('pinned-to-threads');
      reactor.policy.update({ default: 'auto', adaptive: { blockingThresholdMs: 5 } });
      expect(reactor.explain(stall, 30)).toEqual({
        route: 'thread',
        reason: `auto: green step took 30 ms > 5 ms; on threads for good${coalesced}`,
      });
      expect(learned.map((l) => [l.task, l.route])).toEqual([['stall', 'thread']]);
    });
  });

  describe('bulkheads', () => {
    it("runs a rule's thread calls in its named pool, and stats() and explain() name the pool", async () => {
      reactor = new Reactor({ policy: { pools: { images: { maxThreads: 1 } }, rules: [{ name: 'img', match: { task: 'add' }, route: 'thread', pool: 'images' }] } });
      expect(await reactor.dispatch(built(fx.add), 1, 2)).toBe(3);
      const stats = reactor.stats();
      expect([stats.pools?.images?.completed, stats.threads.completed]).toEqual([1, 0]);
      expect(reactor.explain(built(fx.add), 1, 2)).toEqual({ route: 'thread', rule: 'img', pool: 'images', reason: `rule 'img' matched task 'add'; in pool 'images'${coalesced}` });
    });

    it('holds a call back while its rule has maxConcurrent calls in flight, though a worker is free', async () => {
      reactor = new Reactor({ policy: { threads: { maxThreads: 2 }, rules: [{ name: 'one', match: { task: '{waitForGate,markRan}' }, route: 'thread', maxConcurrent: 1 }] } });
      const g = gate();
      const marks = gate(1);
      const first = reactor.dispatch(built(fx.waitForGate), g, 'first');
      const second = reactor.dispatch(built(fx.markRan), marks, 0);
      await changed(g, 0); // the first call is running in a worker
      expect(reactor.stats().policy.bulkheads.one).toEqual({ maxConcurrent: 1, inFlight: 1, waiting: 1, route: 'thread' });
      expect(reactor.stats().threads.inFlight).toBe(1); // the second never reached the pool
      open(g);
      expect(await first).toBe('first');
      expect(await second).toBe(0);
      expect(Atomics.load(marks, 0)).toBe(1);
    });
  });

  describe('.stop()', () => {
    it('refuses a call of a task whose inline plan it had cached, once stopping and once stopped', async () => {
      const r = new Reactor({ policy: { default: 'inline' } });
      reactor = r;
      const double = defineTask(import.meta.url, 'double', (n: number) => n * 2);
      expect(successResultOf(r.dispatch(double, 2))).toBe(4);
      expect(successResultOf(r.dispatch(double, 3))).toBe(6); // the cached plan's fast path
      const stopping = r.stop({ graceMs: 0 });
      expect(failureResultOf(r.dispatch(double, 4), ReactorStoppedError).getErrorMessage()).toBe('reactor.dispatch() refused: the reactor is stopping');
      await stopping;
      expect(failureResultOf(r.dispatch(double, 5), ReactorStoppedError).getErrorMessage()).toBe('reactor.dispatch() refused: the reactor is stopped');
      expect(r.stats().policy.routes.inline).toBe(2);
    });

    it('errbacks ReactorStoppedError for calls still waiting in a bulkhead; they never run', async () => {
      reactor = new Reactor({ policy: { rules: [{ name: 'one', match: {}, route: 'inline', maxConcurrent: 1 }] } });
      const pending = new Deferred<string>();
      const ran: number[] = [];
      const first = reactor.dispatch(() => pending);
      const waiting = reactor.dispatch((n: number) => ran.push(n), 2);
      expect(reactor.stats().policy.bulkheads.one?.waiting).toBe(1);
      await reactor.stop({ graceMs: 0 });
      const error = await failureOf(waiting);
      expect(error).toBeInstanceOf(ReactorStoppedError);
      expect(error.message).toMatch(/was waiting for its bulkhead or crash budget when the reactor stopped; it never ran$/);
      pending.callback('done'); // an inline call is its function's own: the stop leaves it be
      expect(await first).toBe('done');
      expect(ran).toEqual([]);
    });
  });

  describe('crash budget', () => {
    it('starts at most `crashes` workers for a storm of 1,000 calls of a task that always crashes', async () => {
      reactor = new Reactor({
        policy: { threads: { maxThreads: 4 }, rules: [{ match: { task: 'crashCounted' }, route: 'thread' }], adaptive: { crashBudget: { crashes: 3, windowMs: 60_000, then: 'fail' } } },
      });
      const runs = new Int32Array(new SharedArrayBuffer(4));
      const crashCounted = built(px.crashCounted);
      const calls = Array.from({ length: 1000 }, () => reactor!.dispatch(crashCounted, runs));
      const errors = await Promise.all(calls.map((d) => failureOf(d)));
      expect(errors.every((e) => e instanceof WorkerCrashedError)).toBe(true);
      expect(Atomics.load(runs, 0)).toBe(3); // three calls reached a worker (each crashed it); 997 never did
      expect(errors.filter((e) => e.message.includes('was not sent to a worker: crash budget spent'))).toHaveLength(997);
      expect(reactor.stats().threads.crashed).toBe(3);
      expect(reactor.explain(crashCounted, runs).reason).toBe(
        "rule 'rules[0]' matched task 'crashCounted'; crash budget spent: 3 worker crashes within 60000 ms; it fails at once with WorkerCrashedError",
      );
    });

    it("runs the calls it held back in-process once the budget is spent ('green'): all 200 finish, 2 workers crashed", async () => {
      reactor = new Reactor({
        policy: { threads: { maxThreads: 2 }, rules: [{ match: { task: 'crashOnThreads' }, route: 'thread' }], adaptive: { crashBudget: { crashes: 2, windowMs: 60_000, then: 'green' } } },
      });
      const runs = new Int32Array(new SharedArrayBuffer(4));
      const task = built(px.crashOnThreads);
      const calls = Array.from({ length: 200 }, () => reactor!.dispatch(task, runs));
      const outcomes = await Promise.all(calls.map((d) => settled(d)));
      expect(outcomes.filter((o) => !o.ok).map((o) => (o.ok ? undefined : o.error.constructor.name))).toEqual(['WorkerCrashedError', 'WorkerCrashedError']);
      expect(outcomes.filter((o) => o.ok && o.value === 'in-process')).toHaveLength(198);
      expect(Atomics.load(runs, 0)).toBe(2);
      expect(reactor.explain(task, runs).route).toBe('green');
    });
  });

  describe('.explain()', () => {
    it('returns the decision and runs nothing', () => {
      reactor = new Reactor({ policy: { rules: [{ name: 'images', match: { task: 'resize*' }, route: 'thread', timeoutMs: 5 }] } });
      const resize = defineTask(import.meta.url, 'resizeJpeg', () => 1);
      expect(reactor.explain(resize)).toEqual({ route: 'thread', rule: 'images', timeoutMs: 5, reason: `rule 'images' matched task 'resizeJpeg'${coalesced}` });
      expect(reactor.stats().policy.routes).toEqual({ thread: 0, green: 0, inline: 0 });
    });

    it('sees the thread queue and the loop delay through rules', () => {
      reactor = new Reactor({ policy: { rules: [{ name: 'calm', match: { threadQueue: { lte: 0 }, loopDelayMs: { gte: 0 } }, route: 'inline' }] } });
      expect(reactor.explain(triple, 1).rule).toBe('calm');
    });
  });

  describe('configuration', () => {
    it('takes a Policy as it is, typed as ReactorOptions says', () => {
      const policy = Policy.load({ default: 'inline' });
      reactor = new Reactor({ policy });
      expect(reactor.policy).toBe(policy);
    });

    it("feeds the policy's threads and green sections to the pool and the hub", () => {
      reactor = new Reactor({ policy: { threads: { maxThreads: 1, cancelGraceMs: 250 }, green: { sliceMs: 7, maxGreenlets: 10 } } });
      expect(reactor.threadPool.options.maxThreads).toBe(1);
      expect(reactor.threadPool.options.cancelGraceMs).toBe(250);
      expect(reactor.hub.options.sliceMs).toBe(7);
      expect(reactor.hub.options.maxGreenlets).toBe(10);
    });

    it('reads a policy file, including its threads section', () => {
      const dir = mkdtempSync(join(tmpdir(), 'greenreactor-reactor-policy-'));
      try {
        const file = join(dir, 'policy.json');
        writeFileSync(file, JSON.stringify({ default: 'inline', threads: { maxThreads: 1 } }));
        reactor = new Reactor({ policy: file });
        expect(reactor.policy.source).toBe(file);
        expect(reactor.threadPool.options.maxThreads).toBe(1);
        expect(reactor.explain(triple, 1).route).toBe('inline');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('throws PolicyConfigError with every issue for an invalid policy', () => {
      expect(() => new Reactor({ policy: { threads: { maxThreads: 0 }, extra: 1 } as never })).toThrow(
        expect.objectContaining({ code: 'ERR_POLICY_CONFIG', issues: [expect.objectContaining({ path: '/threads/maxThreads' }), expect.objectContaining({ path: '/extra' })] }),
      );
    });

    it('gives the default reactor the policy named by GREENREACTOR_POLICY', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'greenreactor-env-policy-'));
      try {
        const file = join(dir, 'policy.json');
        writeFileSync(file, JSON.stringify({ default: 'inline' }));
        const index = new URL('../../dist/src/index.js', import.meta.url).href;
        const script = `const { reactor } = await import(${JSON.stringify(index)}); console.log(reactor.policy.source, reactor.policy.config.default);`;
        const stdout = await new Promise<string>((resolve, reject) => {
          execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, GREENREACTOR_POLICY: file }, encoding: 'utf8' }, (error, out) =>
            error === null ? resolve(out) : reject(error),
          );
        });
        expect(stdout.trim()).toBe(`${file} inline`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('Reactor.explain() and coalescing', () => {
  const quick = defineTask(import.meta.url, 'quick', (n: number) => n, { route: 'thread' });
  const limited = defineTask(import.meta.url, 'limited', (n: number) => n, { route: 'thread', timeoutMs: 100 });

  it('says a thread call coalesces, or why it travels alone, or that coalescing is off', async () => {
    const on = new Reactor();
    const off = new Reactor({ policy: { threads: { coalesce: false } } });
    try {
      expect(on.explain(quick, 1).reason).toMatch(/coalesced with other waiting calls .*up to 64 a message/);
      // A call's own time limit travels with it inside a batch.
      expect(on.explain(limited, 1).reason).toMatch(/coalesced with other waiting calls .*each with its own limits/);
      expect(on.explain(quick, 'x'.repeat(5000) as never).reason).toMatch(/its arguments exceed 4096 bytes/);
      expect(off.explain(quick, 1).reason).toMatch(/coalescing is off/);
    } finally {
      await Promise.all([on.stop(), off.stop()]);
    }
  });
});
