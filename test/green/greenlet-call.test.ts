import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from '@jest/globals';
import { CancelledError, GreenletExit, QueueFullError } from '../../src/errors.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import { GreenletCall } from '../../src/green/greenlet-call.js';
import { GreenletIdentity } from '../../src/green/greenlet-identity.js';
import type { SpawnSite } from '../../src/green/spawn-site.js';
import { hubControl, type BlockedEvent } from '../../src/green/hub.js';
import { shutdownHub } from '../../src/green/shutdown-hub.js';
import type { Deferred } from '../../src/deferred/deferred.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { makeLazyCalls } from '../helpers/lazy-calls.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';
import { nextTurn } from '../helpers/next-turn.js';

export const limitedTask = defineTask(import.meta.url, 'limitedTask', (x: number) => x + 1, { timeoutMs: 10 });
export const plainTask = defineTask(import.meta.url, 'plainTask', (x: number) => x * 2);

afterEach(async () => {
  await nextTurn();
});

const makeCalls = makeLazyCalls;

describe('callInGreenlet (a lazy GreenletCall)', () => {
  it('queues a plain function as a call with no greenlet, and fires with its value after its step', () => {
    const { hub, call } = makeCalls();
    const d = call((a: number, b: number) => a + b, 2, 3);
    expect(GreenletCall.of(d)).toBeInstanceOf(GreenletCall);
    expect(GreenletCall.of(d)!.greenlet).toBeNull();
    expect(hub.stats()).toMatchObject({ spawned: 1, live: 1, ready: 1 });
    assertNoResult(d);
    expect(hub.flush()).toBe(1);
    expect(successResultOf(d)).toBe(5);
    expect(GreenletCall.of(d)!.greenlet).toBeNull();
    expect(hub.stats()).toMatchObject({ live: 0, ready: 0, switches: 1 });
    expect(hub.stats().tasks['<anonymous>']).toMatchObject({ steps: 1 });
  });

  it('takes the eager way for a generator or async function', () => {
    const { call } = makeCalls();
    expect(GreenletCall.of(call(function* () {}))!.greenlet).not.toBeNull();
    expect(GreenletCall.of(call(async () => 1))!.greenlet).not.toBeNull();
  });

  it('decides lazy or eager for each function, not by the function spawned before it', () => {
    const { hub, call } = makeCalls();
    const plain = (x: number): number => x + 1;
    const gen = function* (x: number): Generator<undefined, number, unknown> {
      yield;
      return x * 10;
    };
    const ds: Array<Deferred<unknown>> = [call(plain, 1), call(gen, 2), call(gen, 3), call(plain, 4), call(plain, 5), call(gen, 6)];
    expect(ds.map((d) => GreenletCall.of(d)!.greenlet === null)).toEqual([true, false, false, true, true, false]);
    hub.flush();
    expect(ds.map((d) => successResultOf(d))).toEqual([2, 20, 30, 5, 6, 60]);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'text'],
    ['a symbol', Symbol.for('greenreactor.test')],
    ['a bigint', 7n],
    ['a boolean', false],
  ])('fires with %s its function returned, in its one step, with no greenlet', (_label, value) => {
    const { hub, call } = makeCalls();
    const d = call(() => value);
    expect(hub.flush()).toBe(1);
    expect(successResultOf(d)).toBe(value);
    expect(GreenletCall.of(d)!.greenlet).toBeNull();
  });

  it('waits on a thenable function its function returned (a function can be a thenable)', () => {
    const { hub, call } = makeCalls();
    const thenable = Object.assign(() => 'not called', {
      then(resolve: (v: string) => void): void {
        resolve('from then');
      },
    });
    const d = call(() => thenable);
    hub.flush();
    expect(GreenletCall.of(d)!.greenlet).not.toBeNull();
    return expect(d).resolves.toBe('from then');
  });

  it('errbacks with what the function threw, reported nowhere else', () => {
    const { hub, errors, call } = makeCalls();
    const d = call(() => {
      throw new RangeError('bad');
    });
    hub.flush();
    expect(failureResultOf(d).value).toBeInstanceOf(RangeError);
    expect(errors).toEqual([]);
    expect(hub.stats().live).toBe(0);
  });

  it('errbacks with a GreenletExit the function threw, as for a killed greenlet', () => {
    const { hub, call } = makeCalls();
    const exit = new GreenletExit();
    const d = call(() => {
      throw exit;
    });
    hub.flush();
    expect(failureResultOf(d).value).toBe(exit);
  });

  it('runs in the caller async context', () => {
    const { hub, call } = makeCalls();
    const store = new AsyncLocalStorage<string>();
    const d = store.run('caller', () => call(() => store.getStore()));
    hub.flush();
    expect(successResultOf(d)).toBe('caller');
  });

  it.each([0, 1, 2, 3, 4, 5])('calls its function with exactly the %i arguments it was given', (n) => {
    const { hub, call } = makeCalls();
    const args = Array.from({ length: n }, (_, i) => `a${i}`);
    const d = call(function (this: unknown, ...got: unknown[]) {
      return [this, arguments.length, got];
    }, ...args);
    hub.flush();
    expect(successResultOf(d)).toEqual([undefined, n, args]);
  });

  describe('.callUnder()', () => {
    const site = {} as SpawnSite; // callUnder reads none of it
    const owner = { name: 'the code that ran before' };

    it('runs the function with the call as the identity’s owner, the hooks on, and puts the owner before it back', () => {
      const identity = new GreenletIdentity<object>();
      const outer = identity.enter(owner);
      try {
        const seen: unknown[] = [];
        const c = new GreenletCall<number>(null, site, (x: number) => {
          seen.push(identity.get(), identity.enabled);
          return x + 1;
        }, [1], 1);
        expect(c.callUnder(identity as GreenletIdentity<any>)).toBe(2);
        expect(seen).toEqual([c, true]);
        expect(identity.get()).toBe(owner);
      } finally {
        identity.restore(outer);
        identity.disable();
      }
    });

    it('puts the owner before it back when the function throws', () => {
      const identity = new GreenletIdentity<object>();
      const outer = identity.enter(owner);
      try {
        const c = new GreenletCall<never>(null, site, () => {
          throw new RangeError('bad');
        }, [], 1);
        expect(() => c.callUnder(identity as GreenletIdentity<any>)).toThrow(RangeError);
        expect(identity.get()).toBe(owner);
      } finally {
        identity.restore(outer);
        identity.disable();
      }
    });
  });

  describe('getCurrent()', () => {
    it('inside the function gives its greenlet, running, with an id in spawn order', () => {
      const { hub, call } = makeCalls();
      const before = hub.spawn(() => undefined);
      let seen: { g: Greenlet<unknown> | null; dead: boolean | undefined } = { g: null, dead: undefined };
      const d = call(function named() {
        const g = hub.getCurrent();
        seen = { g, dead: g?.dead };
        return 7;
      });
      const after = hub.spawn(() => undefined);
      hub.flush();
      expect(successResultOf(d)).toBe(7);
      const g = seen.g!;
      expect(g).toBe(GreenletCall.of(d)!.greenlet);
      expect(seen.dead).toBe(false);
      expect(g.name).toBe('named');
      expect(g.id).toBeGreaterThan(before.id);
      expect(g.id).toBeLessThan(after.id);
      expect([g.dead, g.successful(), g.value]).toEqual([true, true, 7]);
      expect(hub.stats().live).toBe(0);
    });

    it("in the Deferred's callbacks at its death gives its greenlet, dead with the value", () => {
      const { hub, call } = makeCalls();
      let seen: Greenlet<unknown> | null = null;
      const d = call(() => 'v');
      d.addCallback((v) => {
        seen = hub.getCurrent();
        return v;
      });
      hub.flush();
      expect(seen).not.toBeNull();
      expect([seen!.dead, seen!.value]).toEqual([true, 'v']);
      expect(successResultOf(d)).toBe('v');
      expect(hub.stats().live).toBe(0);
    });

    it('after an await of a function that returned a Promise gives its greenlet, which finishes with the outcome', async () => {
      const { hub, call } = makeCalls();
      let seen: Greenlet<unknown> | null = null;
      const d = call(() =>
        Promise.resolve(4).then((v) => {
          seen = hub.getCurrent();
          return v * 2;
        }),
      );
      hub.flush();
      expect(await d).toBe(8);
      expect(seen).not.toBeNull();
      expect(seen).toBe(GreenletCall.of(d)!.greenlet);
      expect(hub.stats().live).toBe(0);
    });
  });

  it('drives a returned generator as a generator greenlet', () => {
    const { hub, call } = makeCalls();
    const d = call(() =>
      (function* () {
        const x: unknown = yield;
        return ['resumed', x];
      })(),
    );
    hub.flush();
    expect(successResultOf(d)).toEqual(['resumed', undefined]);
    expect(hub.stats().switches).toBe(2);
  });

  describe('cancel', () => {
    it('while queued: the function never runs, the Deferred errbacks CancelledError, nothing stays live', () => {
      const { hub, call } = makeCalls();
      let ran = false;
      const d = call(() => (ran = true));
      const next = call(() => 'next');
      d.cancel();
      expect(failureResultOf(d).value).toBeInstanceOf(CancelledError);
      expect(hub.stats().live).toBe(1);
      hub.flush();
      expect(ran).toBe(false);
      expect(successResultOf(next)).toBe('next');
      expect(hub.stats()).toMatchObject({ live: 0, switches: 1 });
    });

    it('while queued lets go of its arguments at once, while the Deferred and the queue still hold it', async () => {
      const { hub, call } = makeCalls();
      const refs = ((): { arg: WeakRef<object>; d: Deferred<unknown> } => {
        const arg = {};
        const d = call((x: object): object => x, arg);
        d.cancel();
        return { arg: new WeakRef(arg), d };
      })();
      await nextTurn(); // a WeakRef made in this job keeps its target until the job ends
      (globalThis as { gc?: () => void }).gc!();
      expect(hub.stats().ready).toBe(1);
      expect(refs.arg.deref()).toBeUndefined();
      expect(failureResultOf(refs.d).value).toBeInstanceOf(CancelledError);
      hub.flush();
    });

    it('from inside the function: its greenlet is made and killed, the Deferred errbacks CancelledError', () => {
      const { hub, call } = makeCalls();
      const d: Deferred<string> = call(() => {
        d.cancel();
        return 'late';
      });
      hub.flush();
      expect(failureResultOf(d).value).toBeInstanceOf(CancelledError);
      const g = GreenletCall.of(d)!.greenlet!;
      expect(g.dead).toBe(true);
      expect(hub.stats().live).toBe(0);
    });
  });

  it('counts toward maxGreenlets while queued', () => {
    const { hub, call } = makeCalls({ maxGreenlets: 1 });
    const first = call(() => 1);
    const second = call(() => 2);
    expect(failureResultOf(second).value).toBeInstanceOf(QueueFullError);
    hub.flush();
    expect(successResultOf(first)).toBe(1);
  });

  it("is among the hub's live greenlets while queued, so a hub shutdown kills it before it runs", async () => {
    const { hub, call } = makeCalls();
    let ran = false;
    const d = call(() => (ran = true));
    const live = hubControl.liveGreenlets(hub);
    expect(live).toEqual([GreenletCall.of(d)!.greenlet]);
    expect(live[0]!.dead).toBe(false);
    await shutdownHub(hub, 0);
    expect(failureResultOf(d).value).toBeInstanceOf(GreenletExit);
    hub.flush();
    expect(ran).toBe(false);
    expect(hub.stats().live).toBe(0);
  });

  it('given its greenlet while queued, runs as that greenlet in its place in the queue', () => {
    const { hub, call } = makeCalls();
    const seen: string[] = [];
    let current: Greenlet<unknown> | null = null;
    const d = call(() => {
      seen.push('call');
      current = hub.getCurrent();
      return 'v';
    });
    hub.spawn(() => seen.push('after'));
    const live = hubControl.liveGreenlets(hub);
    const g = GreenletCall.of(d)!.greenlet;
    expect(live).toHaveLength(2);
    expect(live).toContain(g);
    expect(hub.flush()).toBe(2);
    expect(seen).toEqual(['call', 'after']);
    expect(successResultOf(d)).toBe('v');
    expect(current).toBe(g);
    expect([g!.dead, g!.value]).toEqual([true, 'v']);
    expect(hub.stats().live).toBe(0);
  });

  it("is among the hub's live greenlets while it runs (its greenlet is made then)", () => {
    const { hub, call } = makeCalls();
    let live: Array<Greenlet<unknown>> = [];
    const d = call(() => {
      live = hubControl.liveGreenlets(hub);
      void live[0]!.kill();
      return 'returned';
    });
    hub.flush();
    expect(live).toEqual([GreenletCall.of(d)!.greenlet]);
    // A plain function is one step: the kill held for its next switch point never lands (as for any greenlet).
    expect(successResultOf(d)).toBe('returned');
    expect(hub.stats().live).toBe(0);
  });

  it.each([
    ['with no greenlet', false],
    ['with a greenlet made during its step', true],
  ])("times its Deferred's callbacks apart from its step (%s)", (_, made) => {
    let wall = 0;
    const { hub, call } = makeCalls({ blockingThresholdMs: 8, now: () => wall });
    const blocked: string[] = [];
    const slowCallbacks: number[] = [];
    hub.on('blocked', (e: BlockedEvent) => blocked.push(e.task));
    hub.on('blockedCallbacks', (e: { ms: number }) => slowCallbacks.push(e.ms));
    const d = call(function quick() {
      if (made) hub.getCurrent();
      return 1;
    });
    let lazy: boolean | undefined;
    d.addCallback((v) => {
      lazy = GreenletCall.of(d)!.greenlet === null;
      wall += 50; // the caller's slow callback, not the task's step
      return v;
    });
    hub.flush();
    expect(successResultOf(d)).toBe(1);
    expect(lazy).toBe(!made);
    expect(blocked).toEqual([]);
    expect(slowCallbacks).toEqual([50]);
  });

  it("names its greenlet in a 'blocked' report of its step", () => {
    let wall = 0;
    const { hub, call } = makeCalls({ blockingThresholdMs: 8, now: () => wall });
    const events: Array<[Greenlet<unknown>, string, number]> = [];
    hub.on('blocked', (e: BlockedEvent) => events.push([e.greenlet, e.task, e.ms]));
    const d = call(function stall() {
      wall += 30;
      return 'done';
    });
    hub.flush();
    expect(successResultOf(d)).toBe('done');
    expect(events).toHaveLength(1);
    const [g, task, ms] = events[0]!;
    expect([g.name, g.dead, g.value, task, ms]).toEqual(['stall', true, 'done', 'stall', 30]);
  });

  describe('from Reactor.deferToGreenlet()', () => {
    it('is how a plain function with no time limit runs', () => {
      const reactor = new Reactor({ clock: new Clock() });
      const d = reactor.deferToGreenlet((x: number) => x + 1, 1);
      expect(GreenletCall.of(d)!.greenlet).toBeNull();
      reactor.hub.flush();
      expect(successResultOf(d)).toBe(2);
    });

    it("is how a Task of a plain function with no time limit runs, its steps counted under the task", () => {
      const reactor = new Reactor({ clock: new Clock() });
      const d = reactor.deferToGreenlet(plainTask, 4);
      expect(GreenletCall.of(d)!.greenlet).toBeNull();
      reactor.hub.flush();
      expect(successResultOf(d)).toBe(8);
      expect(reactor.hub.taskStatsById().get(plainTask.id)?.figures.steps).toBe(1);
    });

    it("is not used for a Task with a timeout (its greenlet carries the deadline)", () => {
      const reactor = new Reactor({ clock: new Clock() });
      const d = reactor.deferToGreenlet(limitedTask, 1);
      expect(GreenletCall.of(d)!.greenlet).not.toBeNull();
      reactor.hub.flush();
      expect(successResultOf(d)).toBe(2);
    });
  });
});
