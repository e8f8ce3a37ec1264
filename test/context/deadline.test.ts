import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { performance } from 'node:perf_hooks';
import { Clock } from '../../src/time/clock.js';
import { RealTimeScheduler } from '../../src/time/real-time-scheduler.js';
import { TimeoutError } from '../../src/errors.js';
import { deadline } from '../../src/worker/index.js';
import { defineTask } from '../../src/task/task.js';
import * as fx from '../fixtures/context-tasks.js';
import { built, changed, failureOf, gate, open, until } from '../threads/thread-test-kit.js';

const slowInline = defineTask(import.meta.url, 'slowInline', () => new Promise<string>(() => undefined), { route: 'inline' });
const inlineDeadline = defineTask(import.meta.url, 'inlineDeadline', () => deadline() ?? null, { route: 'inline' });
const timedGreen = defineTask(import.meta.url, 'timedGreen', () => deadline() ?? null, { timeoutMs: 40 });

describe('deadlines (SPEC §10)', () => {
  let reactor: Reactor;
  let clock: Clock;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  function make(): void {
    clock = new Clock();
    reactor = new Reactor({ clock, policy: { threads: { maxThreads: 1, cancelGraceMs: 0 } } });
  }

  describe('reactor.withDeadline()', () => {
    it('returns what fn returns', () => {
      make();
      expect(reactor.withDeadline(100, () => 42)).toBe(42);
    });

    it.each([[-1], [Number.NaN], ['10']])('throws TypeError for ms %p', (ms) => {
      make();
      expect(() => reactor.withDeadline(ms as number, () => 1)).toThrow(TypeError);
    });

    it('lets deadline() read the scope, and a nested scope never extends it', () => {
      make();
      const before = Date.now();
      const [outer, inner] = reactor.withDeadline(100, () => [deadline(), reactor.withDeadline(500, () => deadline())]);
      expect(outer).toBeGreaterThanOrEqual(before + 100);
      expect(inner).toBe(outer);
      expect(reactor.withDeadline(100, () => reactor.withDeadline(10, () => deadline()))).toBeLessThan(outer!);
      expect(deadline()).toBeUndefined();
    });
  });

  describe('on the thread route', () => {
    it('tells the task its deadline', async () => {
      make();
      const before = Date.now();
      const d = reactor.withDeadline(5000, () => reactor.deferToThread(built(fx.readDeadline)));
      const after = Date.now();
      const seen = (await d) as number;
      expect(seen).toBeGreaterThanOrEqual(before + 5000);
      expect(seen).toBeLessThanOrEqual(after + 5000);
    });

    it('tells a task without any limit that it has none', async () => {
      make();
      expect(await reactor.deferToThread(built(fx.readDeadline))).toBeNull();
    });

    it('ends a task still running when the deadline passes with TimeoutError, counted as a timeout', async () => {
      make();
      const cells = gate(2);
      // Long in real time (the worker checks it on Date.now() as it starts); passed on the reactor's clock below.
      const d = reactor.withDeadline(60_000, () => reactor.deferToThread(built(fx.hold), cells));
      await changed(cells, 0);
      clock.advance(60_000);
      const error = await failureOf(d);
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error.message).toMatch(/deadline of its withDeadline scope/);
      expect(reactor.threadPool.stats().timedOut).toBe(1);
      open(cells);
    });

    it('applies it to calls made in async continuations of fn', async () => {
      make();
      const d = reactor.withDeadline(60_000, async () => {
        await Promise.resolve();
        return reactor.deferToThread(built(fx.readDeadline));
      });
      const inner: unknown = await d;
      expect(typeof (await (inner as Promise<unknown>))).toBe('number');
    });

    it('never runs a task dispatched after the deadline passed', async () => {
      make();
      const cells = gate(1);
      const d = await reactor.withDeadline(20, async () => {
        clock.advance(20);
        await Promise.resolve();
        return { d: reactor.deferToThread(built(fx.countRun), cells) };
      });
      const error = await failureOf(d.d);
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error.message).toMatch(/was not started/);
      expect(reactor.threadPool.state).toBe('idle'); // no worker was ever started for it
      expect(Atomics.load(cells, 0)).toBe(0);
    });

    it("never runs a task whose deadline passed before its worker got it, even when the main thread's timer is late", async () => {
      // A real-time scheduler whose time the test can stop: its timers cannot fire (a main thread too busy to run
      // them), so only the worker's own check can keep the late task from running.
      let frozenAt: number | undefined;
      const stoppable = new RealTimeScheduler({ now: () => frozenAt ?? performance.now() });
      reactor = new Reactor({ clock: stoppable, policy: { threads: { maxThreads: 1, cancelGraceMs: 0 } } });
      const first = gate(2);
      const counted = gate(1);
      const held = reactor.deferToThread(built(fx.hold), first);
      await changed(first, 0);
      // Stopped first, so the reactor's clock still sees all 5 ms left at dispatch however slow the machine is.
      frozenAt = performance.now();
      const late = reactor.withDeadline(5, () => reactor.deferToThread(built(fx.countRun), counted));
      const wall = reactor.withDeadline(5, () => deadline()!);
      await until(() => Date.now() > wall);
      open(first);
      expect(await held).toBe('held');
      const error = await failureOf(late);
      frozenAt = undefined;
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error.message).toMatch(/deadline passed while it waited/);
      expect(Atomics.load(counted, 0)).toBe(0);
    });

    it("uses the task's own timeoutMs when it ends first", async () => {
      make();
      const quick = { ...built(fx.readDeadline), options: { timeoutMs: 1000 } };
      const before = Date.now();
      const seen = (await reactor.withDeadline(60_000, () => reactor.deferToThread(quick))) as number;
      expect(seen).toBeLessThan(before + 60_000);
      expect(seen).toBeGreaterThanOrEqual(before + 1000);
    });
  });

  describe('on the green route', () => {
    it('tells a greenlet its deadline and kills it with TimeoutError when it passes', async () => {
      make();
      let seen: number | undefined;
      const before = Date.now();
      const d = reactor.withDeadline(30, () =>
        reactor.deferToGreenlet(function* () {
          seen = deadline();
          yield reactor.hub.sleep(1000);
          return 'finished';
        }),
      );
      await until(() => seen !== undefined);
      clock.advance(30);
      const after = Date.now();
      const error = await failureOf(d);
      expect(error).toBeInstanceOf(TimeoutError);
      // Named as the thread and remote routes name it (deadlineMessage), not as the time left when it was dispatched.
      expect((error as Error).message).toMatch(/did not finish before the deadline of its withDeadline scope/);
      expect(seen).toBeGreaterThanOrEqual(before + 30);
      expect(seen).toBeLessThanOrEqual(after + 30);
    });

    it("gives a Task's timeoutMs as the greenlet's deadline", async () => {
      make();
      const before = Date.now();
      const seen = (await reactor.deferToGreenlet(timedGreen)) as number;
      expect(seen).toBeGreaterThanOrEqual(before + 40);
      expect(seen).toBeLessThanOrEqual(Date.now() + 40);
    });

    it('never starts a greenlet after the deadline passed', async () => {
      make();
      let ran = false;
      const d = reactor.withDeadline(10, () => {
        clock.advance(10);
        return reactor.deferToGreenlet(() => {
          ran = true;
        });
      });
      expect(await failureOf(d)).toBeInstanceOf(TimeoutError);
      expect(ran).toBe(false);
      expect(reactor.hub.stats().spawned).toBe(0);
    });
  });

  describe('on the inline route', () => {
    it('lets an inline call read the deadline', async () => {
      make();
      const before = Date.now();
      const seen = await reactor.withDeadline(70, () => reactor.dispatch(inlineDeadline));
      const after = Date.now();
      // The scope's wall-clock instant: 70 ms after it was entered (no bound on how long the await took here).
      expect(seen).toBeGreaterThanOrEqual(before + 70);
      expect(seen).toBeLessThanOrEqual(after + 70);
    });

    it('ends an asynchronous inline call with TimeoutError when the deadline passes', async () => {
      make();
      const d = reactor.withDeadline(25, () => reactor.dispatch(slowInline));
      clock.advance(25);
      expect(await failureOf(d)).toBeInstanceOf(TimeoutError);
    });

    it('never runs an inline call after the deadline passed', async () => {
      make();
      let ran = false;
      const late = defineTask(import.meta.url, 'late', () => (ran = true), { route: 'inline' });
      const d = reactor.withDeadline(5, () => {
        clock.advance(5);
        return reactor.dispatch(late);
      });
      expect(await failureOf(d)).toBeInstanceOf(TimeoutError);
      expect(ran).toBe(false);
    });
  });
});
