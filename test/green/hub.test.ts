import { createHook } from 'node:async_hooks';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Hub, spawnWithArgs } from '../../src/green/hub.js';
import { defaultHubOptions } from '../../src/green/hub-options.js';
import type { BlockedCallbacksEvent, BlockedEvent } from '../../src/green/hub.js';
import { greenletDeferred } from '../../src/green/greenlet-deferred.js';
import { gatherResults } from '../../src/deferred/gather-results.js';
import { defineTask } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { makeVirtualHub, type VirtualHub } from '../helpers/virtual-hub.js';
import type { HubOptions } from '../../src/green/hub-options.js';
import { nextTurn } from '../helpers/next-turn.js';

const makeHub = (options: Omit<HubOptions, 'clock'> = {}): VirtualHub => makeVirtualHub(options);

afterEach(async () => {
  await nextTurn(); // let any pass already scheduled by a test run, so no immediate outlives it
});

describe('Hub', () => {
  describe('options', () => {
    it('defaults to 4 ms slices and a 20 ms blocking threshold', () => {
      expect(defaultHubOptions.sliceMs).toBe(4);
      expect(defaultHubOptions.blockingThresholdMs).toBe(20);
      const hub = new Hub();
      expect(hub.options.sliceMs).toBe(4);
      expect(hub.options.maxGreenlets).toBe(Infinity);
    });

    it('reads wall time from performance.now() and passes with setImmediate by default', () => {
      const before = performance.now();
      const read = defaultHubOptions.now();
      expect(read).toBeGreaterThanOrEqual(before);
      expect(read).toBeLessThanOrEqual(performance.now());
      expect(new Hub().options.nextTurn).toBe(defaultHubOptions.nextTurn);
    });

    it.each([
      ['sliceMs', -1],
      ['blockingThresholdMs', Number.NaN],
      ['maxGreenlets', 1.5],
      ['now', 5],
      ['nextTurn', 'soon'],
    ])('rejects a bad `%s` with an error naming it', (key, value) => {
      expect(() => new Hub({ [key]: value })).toThrow(new RegExp(`Expected \`${key}\``));
    });
  });

  describe('.spawn()', () => {
    it('does not run the greenlet before the spawning code yields', () => {
      const { hub } = makeHub();
      const seen: string[] = [];
      hub.spawn(() => seen.push('ran'));
      seen.push('after spawn');
      hub.flush();
      expect(seen).toEqual(['after spawn', 'ran']);
    });

    it('starts greenlets spawned together in spawn order', () => {
      const { hub } = makeHub();
      const seen: number[] = [];
      for (let i = 0; i < 5; i++) hub.spawn((n: number) => seen.push(n), i);
      hub.flush();
      expect(seen).toEqual([0, 1, 2, 3, 4]);
    });

    it('passes the arguments to the function', async () => {
      const { hub } = makeHub();
      const g = hub.spawn((a: number, b: string) => `${a}${b}`, 1, 'x');
      hub.flush();
      expect(g.value).toBe('1x');
      await expect(g).resolves.toBe('1x');
    });

    it('passes exactly the arguments given: none, an explicit undefined, several', () => {
      const { hub } = makeHub();
      const all = function (...a: unknown[]): unknown[] {
        return a;
      };
      const none = hub.spawn(all);
      const undef = hub.spawn(all, undefined);
      const several = hub.spawn(all, 1, undefined, 'c', null, 5);
      const gen = hub.spawn(function* (a: number, b: number) {
        yield;
        return a + b;
      }, 2, 3);
      hub.flush();
      expect(none.value).toEqual([]);
      expect(undef.value).toHaveLength(1);
      expect(several.value).toEqual([1, undefined, 'c', null, 5]);
      expect(gen.value).toBe(5);
    });

    it("reads a function's name once when it spawns it, and not again for the same function spawned next", () => {
      const { hub } = makeHub();
      let reads = 0;
      const fn = (): number => 1;
      Object.defineProperty(fn, 'name', {
        get: () => {
          reads++;
          return 'counted';
        },
      });
      const a = hub.spawn(fn);
      const b = hub.spawn(fn);
      hub.flush();
      expect(reads).toBe(1);
      expect([a.name, b.name]).toEqual(['counted', 'counted']);
      expect(hub.stats().tasks.counted?.steps).toBe(2);
    });

    it('runs a Task function in-process under the task name', () => {
      const { hub } = makeHub();
      const double = defineTask(import.meta.url, 'double', (n: number) => n * 2);
      const g = hub.spawn(double, 21);
      hub.flush();
      expect(g.value).toBe(42);
      expect(g.name).toBe('double');
    });

    it('throws a TypeError for something that is neither a function nor a Task', () => {
      const { hub } = makeHub();
      expect(() => hub.spawn(42 as never)).toThrow(TypeError);
    });

    it('starts a pass on the event loop by itself when nobody flushes', async () => {
      const { hub } = makeHub();
      const g = hub.spawn(function* () {
        yield;
        return 'done';
      });
      await expect(g).resolves.toBe('done');
    });
  });

  describe('switching', () => {
    it('alternates strictly between two greenlets that yield', () => {
      const { hub } = makeHub();
      const seen: string[] = [];
      const body = function* (name: string) {
        for (let i = 0; i < 3; i++) {
          seen.push(`${name}${i}`);
          yield;
        }
      };
      hub.spawn(body, 'a');
      hub.spawn(body, 'b');
      hub.flush();
      expect(seen).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
    });

    it('treats `yield hub.cooperate()` like a bare yield', () => {
      const { hub } = makeHub();
      const seen: string[] = [];
      hub.spawn(function* () {
        seen.push('a0');
        yield hub.cooperate();
        seen.push('a1');
      });
      hub.spawn(function* () {
        seen.push('b0');
        yield;
        seen.push('b1');
      });
      hub.flush();
      expect(seen).toEqual(['a0', 'b0', 'a1', 'b1']);
    });

    it('counts one switch per step', () => {
      const { hub } = makeHub();
      hub.spawn(function* () {
        yield;
        yield;
      });
      hub.flush();
      expect(hub.stats().switches).toBe(3);
    });
  });

  describe('.cooperate()', () => {
    it('outside a greenlet fires on the next pass', () => {
      const { hub } = makeHub();
      const d = hub.cooperate();
      assertNoResult(d);
      hub.flush();
      expect(successResultOf(d)).toBeUndefined();
    });
  });

  describe('.sleep()', () => {
    it('parks the greenlet until the clock reaches the time', () => {
      const { hub, clock } = makeHub();
      const seen: string[] = [];
      hub.spawn(function* () {
        yield hub.sleep(10);
        seen.push('woke');
      });
      hub.flush();
      clock.advance(9);
      hub.flush();
      expect(seen).toEqual([]);
      clock.advance(1);
      hub.flush();
      expect(seen).toEqual(['woke']);
    });

    it('is a cancellable Deferred outside greenlets', () => {
      const { hub, clock } = makeHub();
      const d = hub.sleep(5);
      d.cancel();
      expect(failureResultOf(d).value).toMatchObject({ name: 'CancelledError' });
      expect(clock.getDelayedCalls()).toHaveLength(0);
    });

    it('with ms <= 0 is a cooperate()', () => {
      const { hub } = makeHub();
      const d = hub.sleep(0);
      hub.flush();
      expect(successResultOf(d)).toBeUndefined();
    });

    it('errbacks with TypeError for a non-number', () => {
      const { hub } = makeHub();
      expect(failureResultOf(hub.sleep('1' as never)).value).toBeInstanceOf(TypeError);
    });
  });

  describe('.spawnLater()', () => {
    it('starts the greenlet when the clock reaches the delay', () => {
      const { hub, clock } = makeHub();
      const g = hub.spawnLater(10, () => 'late');
      expect(g.started).toBe(false);
      clock.advance(10);
      expect(g.started).toBe(true);
      hub.flush();
      expect(g.value).toBe('late');
    });

    it('never runs a greenlet killed before its timer', () => {
      const { hub, clock } = makeHub();
      let ran = false;
      const g = hub.spawnLater(10, () => {
        ran = true;
      });
      g.kill();
      clock.advance(10);
      hub.flush();
      expect(ran).toBe(false);
      expect(g.dead).toBe(true);
    });
  });

  describe('.getCurrent()', () => {
    it('is the greenlet whose step runs, and null outside', () => {
      const { hub } = makeHub();
      let inside: unknown = 'unset';
      const g = hub.spawn(function* () {
        yield;
        inside = hub.getCurrent();
      });
      hub.flush();
      expect(inside).toBe(g);
      expect(hub.getCurrent()).toBeNull();
    });
  });

  describe('.flush()', () => {
    it('does not re-enter itself from inside a step', () => {
      const { hub } = makeHub();
      let nested = -1;
      const seen: string[] = [];
      hub.spawn(() => {
        nested = hub.flush();
        seen.push('a');
      });
      hub.spawn(() => seen.push('b'));
      hub.flush();
      expect(nested).toBe(0);
      expect(seen).toEqual(['a', 'b']);
    });

    it('stops after maxSteps for a greenlet that switches forever', () => {
      const { hub } = makeHub();
      const g = hub.spawn(function* () {
        for (;;) yield;
      });
      expect(hub.flush(10)).toBe(10);
      g.kill();
      hub.flush();
      expect(g.dead).toBe(true);
    });
  });

  describe('slices', () => {
    it('runs steps until sliceMs of `now` is used, then passes on with `nextTurn`', () => {
      let wall = 0;
      const passes: Array<() => void> = [];
      const { hub } = makeHub({ sliceMs: 10, now: () => wall, nextTurn: (fn) => passes.push(fn) });
      let steps = 0;
      const g = hub.spawn(function* () {
        for (let i = 0; i < 10; i++) {
          wall += 3; // each step takes 3 ms of wall time
          steps++;
          yield;
        }
      });
      expect([passes.length, steps]).toEqual([1, 0]); // spawn asked for a pass and ran nothing
      const perPass: number[] = [];
      while (passes.length > 0) {
        const before = steps;
        passes.shift()!();
        perPass.push(steps - before);
      }
      expect(perPass).toEqual([4, 4, 2]); // 3, 6, 9, 12 >= 10: the slice ends after the 4th step
      expect(g.dead).toBe(true);
      expect(hub.stats().slices).toBe(3);
    });

    it('reads the clock twice per resume of an async greenlet at a hub wait: where its step ends and where the hub goes on', async () => {
      let reads = 0;
      const { hub } = makeHub({
        now: () => {
          reads++;
          return 0; // no time passes: one slice
        },
      });
      const g = hub.spawn(async () => {
        for (let i = 0; i < 50; i++) await hub.cooperate();
      });
      await g;
      expect(hub.stats().switches).toBe(51);
      // Per resume: one read where the step ends (its time, and the start of what follows) and one where the
      // suspended pass goes on (its budget and start); a generator step costs one. The rest: the first pass.
      expect(reads).toBeLessThanOrEqual(2 * 50 + 4);
    });

    it("queues no microtask for a hub wait made in a resumed async step: the hub's hop moves the epoch on", async () => {
      const { hub } = makeHub();
      let queued = 0; // queueMicrotask makes an AsyncResource of type 'Microtask' per call
      const hook = createHook({
        init: (_id, type) => {
          if (type === 'Microtask') queued++;
        },
      }).enable();
      try {
        const g = hub.spawn(async () => {
          for (let i = 0; i < 50; i++) await hub.cooperate();
        });
        await g;
      } finally {
        hook.disable();
      }
      // Per resume, the hub's hops only: alone on the hub, the greenlet is stepped before its `await` took the wait,
      // so its code runs a microtask after the first hop, which hops once more. The waits queue none of their own
      // (hub-wait.ts); before, each queued one to move the epoch on: 3 per resume.
      expect(queued).toBeLessThanOrEqual(2 * 50 + 3);
    });

    it('yields to the event loop between slices by default, so a setImmediate callback runs in between', async () => {
      let wall = 0;
      const { hub } = makeHub({ sliceMs: 10, now: () => wall });
      let immediateRan = false;
      const seen: boolean[] = [];
      const g = hub.spawn(function* () {
        for (let i = 0; i < 6; i++) {
          wall += 3;
          seen.push(immediateRan);
          yield;
        }
      });
      setImmediate(() => {
        immediateRan = true;
      });
      await g;
      expect(seen).toEqual([false, false, false, false, true, true]);
      expect(hub.stats().slices).toBe(2);
    });
  });

  describe("'blocked' event", () => {
    it('reports a step longer than blockingThresholdMs with the greenlet, task name and ms', () => {
      let wall = 0;
      const { hub } = makeHub({ blockingThresholdMs: 8, now: () => wall });
      const events: BlockedEvent[] = [];
      hub.on('blocked', (e: BlockedEvent) => events.push(e));
      const g = hub.spawn(function spinner() {
        wall += 12;
      });
      hub.spawn(function atThreshold() {
        wall += 8; // not longer than the threshold
      });
      hub.spawn(function quick() {
        return 1;
      });
      hub.flush();
      expect(events).toEqual([{ greenlet: g, task: 'spinner', taskId: 'spinner', ms: 12 }]);
      expect(hub.stats().blockedSteps).toBe(1);
    });

    it('reports every blocking step, also one among many short steps of other greenlets (SPEC §6)', () => {
      let wall = 0;
      const { hub } = makeHub({ blockingThresholdMs: 8, now: () => wall });
      const events: Array<[unknown, string, number]> = [];
      hub.on('blocked', (e: BlockedEvent) => events.push([e.greenlet, e.task, e.ms]));
      hub.spawn(function* quick() {
        for (let i = 0; i < 1000; i++) yield;
      });
      const g = hub.spawn(function* rare() {
        for (let i = 0; i < 1000; i++) {
          if (i === 700 || i === 701) wall += 12; // blocks twice in a row, deep into a run of short steps
          if (i === 900) wall += 9;
          yield;
        }
      });
      hub.flush();
      expect(events).toEqual([
        [g, 'rare', 12],
        [g, 'rare', 12],
        [g, 'rare', 9],
      ]);
      expect(hub.stats().blockedSteps).toBe(3);
      expect(hub.stats().tasks.rare).toMatchObject({ steps: 1001, maxMs: 12 });
    });

    it("times an async greenlet's first step from its start, including what it ran before its first await", async () => {
      let wall = 0;
      const { hub } = makeHub({ blockingThresholdMs: 8, now: () => wall });
      const events: Array<[string, number]> = [];
      hub.on('blocked', (e: BlockedEvent) => events.push([e.task, e.ms]));
      const g = hub.spawn(async function parseThenFetch() {
        wall += 30; // a synchronous call before the first await
        await nextTurn(); // something foreign
      });
      await g;
      expect(events).toEqual([['parseThenFetch', 30]]);
    });
  });

  describe("a death's callbacks", () => {
    it("are not charged to the greenlet: a slow addCallback on a quick greenlet's Deferred is reported as blockedCallbacks, never as 'blocked' for its task", () => {
      let wall = 0;
      const { hub, clock } = makeHub({ blockingThresholdMs: 8, now: () => wall });
      const blocked: Array<[string, number]> = [];
      const callbacks: BlockedCallbacksEvent[] = [];
      hub.on('blocked', (e: BlockedEvent) => blocked.push([e.task, e.ms]));
      hub.on('blockedCallbacks', (e: BlockedCallbacksEvent) => callbacks.push(e));
      const g = hub.spawn(function quick() {
        wall += 1;
        return 1;
      });
      const seen: number[] = [];
      greenletDeferred(g, { clock }).addCallback((v) => {
        wall += 50; // the caller's slow callback, run synchronously at the greenlet's death (SPEC §6)
        seen.push(v);
      });
      hub.spawn(function after() {
        wall += 2;
      });
      hub.flush();
      expect(seen).toEqual([1]);
      expect(blocked).toEqual([]);
      expect(callbacks).toEqual([{ greenlet: g, ms: 50 }]);
      expect(hub.stats()).toMatchObject({ blockedSteps: 0, blockedCallbacks: 1 });
      expect(hub.stats().tasks.quick).toMatchObject({ steps: 1, maxMs: 1 });
      expect(hub.stats().tasks.after).toMatchObject({ steps: 1, maxMs: 2 }); // the callbacks are not its time either
    });

    it('are timed apart also for a generator dying in a later step, with several links and a join waiter', () => {
      let wall = 0;
      const { hub } = makeHub({ blockingThresholdMs: 8, now: () => wall });
      const blocked: Array<[string, number]> = [];
      const callbacks: number[] = [];
      hub.on('blocked', (e: BlockedEvent) => blocked.push([e.task, e.ms]));
      hub.on('blockedCallbacks', (e: BlockedCallbacksEvent) => callbacks.push(e.ms));
      const g = hub.spawn(function* twoSteps() {
        yield;
        wall += 3;
        return 'done';
      });
      g.link(() => {
        wall += 6;
      });
      g.join().addCallback(() => {
        wall += 6;
      });
      hub.flush();
      expect(blocked).toEqual([]);
      expect(callbacks).toEqual([12]);
      expect(hub.stats().tasks.twoSteps).toMatchObject({ steps: 2, maxMs: 3 });
    });

    it('cost no clock read beyond the step\'s own while they run only library code, and one when caller code follows', () => {
      let wall = 0;
      let reads = 0;
      const { hub, clock } = makeHub({
        blockingThresholdMs: 8,
        now: () => {
          reads++;
          return wall;
        },
      });
      const blocked: string[] = [];
      const callbacks: Array<[unknown, number]> = [];
      hub.on('blocked', (e: BlockedEvent) => blocked.push(e.task));
      hub.on('blockedCallbacks', (e: BlockedCallbacksEvent) => callbacks.push([e.greenlet, e.ms]));
      const gs = [1, 2, 3].map((n) => hub.spawn(function quick() {
        return n;
      }));
      const seen: number[][] = [];
      gatherResults(gs.map((g) => greenletDeferred(g, { clock }))).addCallback((values) => {
        wall += 50; // the caller's code, run by the last member's death
        seen.push(values);
      });
      void Promise.all(gs.map((g) => greenletDeferred(g, { clock }))); // a Promise resolver per member: library code
      hub.flush();
      expect(seen).toEqual([[1, 2, 3]]);
      expect(reads).toBe(1 + 3 + 1); // the pass's start, one per step, and one where the caller's callback began
      expect(blocked).toEqual([]);
      expect(callbacks).toEqual([[gs[2], 50]]);
    });

    it("do not include a slow 'error' listener told of an unobserved failure", () => {
      let wall = 0;
      const { hub } = makeHub({ blockingThresholdMs: 8, now: () => wall });
      const blocked: string[] = [];
      hub.on('blocked', (e: BlockedEvent) => blocked.push(e.task));
      hub.on('error', () => {
        wall += 30;
      });
      const g = hub.spawn(function failsQuickly() {
        throw new Error('nobody waits for me');
      });
      g.linkValue(() => undefined); // a link that does not observe a failure: the death still has links to run
      hub.flush();
      expect(blocked).toEqual([]);
      expect(hub.stats().blockedCallbacks).toBe(1);
    });

    it("keep the greenlet's own blocking step reported with its task", () => {
      let wall = 0;
      const { hub, clock } = makeHub({ blockingThresholdMs: 8, now: () => wall });
      const blocked: Array<[string, number]> = [];
      hub.on('blocked', (e: BlockedEvent) => blocked.push([e.task, e.ms]));
      const g = hub.spawn(function slow() {
        wall += 30;
      });
      greenletDeferred(g, { clock }).addCallback(() => {
        wall += 1;
      });
      hub.flush();
      expect(blocked).toEqual([['slow', 30]]);
      expect(hub.stats().blockedCallbacks).toBe(0);
    });
  });

  describe("'error' event", () => {
    it('receives an exception nobody observed, once, with the greenlet', () => {
      const { hub } = makeHub();
      const seen: Array<[unknown, unknown]> = [];
      hub.on('error', (e: unknown, g: unknown) => seen.push([e, g]));
      const boom = new Error('boom');
      const g = hub.spawn(() => {
        throw boom;
      });
      hub.flush();
      expect(seen).toEqual([[boom, g]]);
    });

    it('is not emitted when the greenlet was joined, awaited or linked', () => {
      const { hub } = makeHub();
      let count = 0;
      hub.on('error', () => count++);
      const fail = (): never => {
        throw new Error('x');
      };
      hub.spawn(fail).join();
      hub.spawn(fail).get().addErrback(() => undefined);
      hub.spawn(fail).link(() => undefined);
      hub.flush();
      expect(count).toBe(0);
    });

    it('is never emitted for GreenletExit', () => {
      const { hub } = makeHub();
      let count = 0;
      hub.on('error', () => count++);
      const g = hub.spawn(function* () {
        yield;
      });
      hub.flush(1);
      g.kill();
      hub.flush();
      expect(count).toBe(0);
    });

    it('goes to console.error when there is no listener', () => {
      const hub = new Hub({ clock: new Clock() });
      const original = console.error;
      const lines: unknown[][] = [];
      console.error = (...args: unknown[]) => lines.push(args);
      try {
        hub.spawn(function failing() {
          throw new Error('unwatched');
        });
        hub.flush();
      } finally {
        console.error = original;
      }
      expect(lines).toHaveLength(1);
      expect(String(lines[0]![0])).toContain('failing');
    });
  });

  describe('spawnWithArgs()', () => {
    it('spawns like .spawn() with the arguments taken from the array: after the caller yields, in spawn order', () => {
      const { hub } = makeHub();
      const seen: string[] = [];
      const first = spawnWithArgs(hub, (a: number, b: string) => seen.push(`${a}${b}`), [1, 'x']);
      spawnWithArgs(hub, () => seen.push('none'), []);
      seen.push('after spawn');
      expect(first.started).toBe(true);
      hub.flush();
      expect(seen).toEqual(['after spawn', '1x', 'none']);
      expect(hub.stats().spawned).toBe(2);
    });

    it('runs a Task under the task name, refuses past maxGreenlets, and throws a TypeError for a non-function', () => {
      const { hub } = makeHub({ maxGreenlets: 1 });
      const double = defineTask(import.meta.url, 'double', (n: number) => n * 2);
      const g = spawnWithArgs(hub, double, [21]);
      expect(spawnWithArgs(hub, () => 'never', []).exception).toMatchObject({ name: 'QueueFullError' });
      expect(() => spawnWithArgs(hub, 42 as never, [])).toThrow(TypeError);
      hub.flush();
      expect([g.value, g.name]).toEqual([42, 'double']);
    });
  });

  describe('maxGreenlets', () => {
    it('past the limit returns a greenlet already dead with QueueFullError', () => {
      const { hub } = makeHub({ maxGreenlets: 1 });
      const first = hub.spawn(function* () {
        yield;
      });
      const second = hub.spawn(() => 'never');
      expect(second.dead).toBe(true);
      expect(second.exception).toMatchObject({ name: 'QueueFullError', code: 'ERR_QUEUE_FULL' });
      expect(failureResultOf(second.get()).value).toMatchObject({ name: 'QueueFullError' });
      hub.flush();
      expect(first.dead).toBe(true);
      expect(hub.spawn(() => 'fits again').dead).toBe(false);
    });

    it('a refused spawn frees no slot: the limit still holds for the next spawn', () => {
      const { hub } = makeHub({ maxGreenlets: 1 });
      hub.spawn(function* () {
        yield new Deferred();
      });
      hub.spawn(() => 'refused').join();
      expect(hub.stats().live).toBe(1);
      const third = hub.spawn(() => 'refused too');
      third.join();
      expect(third.exception).toMatchObject({ name: 'QueueFullError' });
      hub.flush();
      expect(hub.stats().live).toBe(1);
    });
  });

  describe('.stats()', () => {
    it('counts spawned, live, ready and parked greenlets and per-task step times', () => {
      const { hub } = makeHub();
      const d = new Deferred<void>();
      hub.spawn(function* waiter() {
        yield d;
      });
      hub.spawn(function* looper() {
        yield;
      });
      expect(hub.stats()).toMatchObject({ spawned: 2, live: 2, ready: 2, parked: 0 });
      hub.flush(2);
      expect(hub.stats()).toMatchObject({ live: 2, ready: 1, parked: 1 });
      hub.flush();
      d.callback(undefined);
      expect(hub.stats()).toMatchObject({ ready: 1, parked: 0 });
      hub.flush();
      const stats = hub.stats();
      expect(stats).toMatchObject({ spawned: 2, live: 0, ready: 0, parked: 0, switches: 4 });
      expect(stats.tasks.looper!.steps).toBe(2);
      expect(stats.tasks.waiter!.p99Ms).toBeGreaterThan(0);
    });
  });
});
