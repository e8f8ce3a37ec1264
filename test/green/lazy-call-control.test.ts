/**
 * Adversarial tests of the lazy greenlet call (`deferToGreenlet` of a plain function: src/green/greenlet-call.ts)
 * against SPEC §6/§10: control (cancel, kill, stop), async context, each Deferred fired once, and the run queue
 * shared with eager greenlets. test/green/greenlet-call.test.ts holds the first tests of the call; these do not
 * repeat them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Deferred } from '../../src/deferred/deferred.js';
import { CancelledError, GreenletExit, QueueFullError, ReactorStoppedError } from '../../src/errors.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import type { BlockedCallbacksEvent, BlockedEvent } from '../../src/green/hub.js';
import { shutdownHub } from '../../src/green/shutdown-hub.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { makeLazyCalls } from '../helpers/lazy-calls.js';
import { nextTurn } from '../helpers/next-turn.js';

let taskWall = 0; // the injected wall time crunchTask spends

/** A Task of a plain function (lazy on the reactor's hub), `ms` long on the injected wall time. */
export const crunchTask = defineTask(import.meta.url, 'crunchTask', (ms: number) => {
  taskWall += ms;
  return ms;
});

afterEach(async () => {
  await nextTurn();
});

const makeCalls = makeLazyCalls;

/** Counts how often a Deferred's chain is entered: exactly once is the contract. */
function fires(d: Deferred<unknown>): { count: () => number; outcomes: unknown[] } {
  const outcomes: unknown[] = [];
  d.addCallbacks(
    (v) => {
      outcomes.push(['ok', v]);
      return v;
    },
    (f) => {
      outcomes.push(['failed', f.value]);
      return f;
    },
  );
  d.addErrback(() => undefined); // observed here; the test reads `outcomes`
  return { count: () => outcomes.length, outcomes };
}

describe('lazy greenlet calls: async context (SPEC §10)', () => {
  it('runs calls spawned from two contexts, interleaved in one pass, each in its own spawner\'s stores', () => {
    const { hub, call } = makeCalls();
    const als = new AsyncLocalStorage<string>();
    const seen: string[] = [];
    const ds: Array<Deferred<unknown>> = [];
    for (let i = 0; i < 6; i++) {
      const ctx = i % 3 === 0 ? 'a' : 'b'; // a, b, b, a, b, b: runs of one context and switches between them
      ds.push(als.run(ctx, () => call(() => seen.push(`${i}:${String(als.getStore())}`))));
    }
    ds.push(call(() => seen.push(`6:${String(als.getStore())}`))); // no store
    expect(hub.flush()).toBe(7);
    expect(seen).toEqual(['0:a', '1:b', '2:b', '3:a', '4:b', '5:b', '6:undefined']);
    expect(hub.stats().live).toBe(0);
  });

  it("fires its Deferred's callbacks in its spawner's context, as an eager greenlet's are", () => {
    const { hub, call, eager } = makeCalls();
    const als = new AsyncLocalStorage<string>();
    const seen: string[] = [];
    const lazy = als.run('spawner', () => call(() => 'v'));
    const early = als.run('spawner', () => eager(() => 'v'));
    // Callbacks added from another context: Twisted's rule, they run where the Deferred is fired (the death).
    als.run('adder', () => {
      lazy.addCallback(() => seen.push(`lazy:${String(als.getStore())}`));
      early.addCallback(() => seen.push(`eager:${String(als.getStore())}`));
    });
    hub.flush();
    expect(seen.sort()).toEqual(['eager:spawner', 'lazy:spawner']);
  });

  it('keeps the spawner\'s context, and its greenlet, across a foreign await of a returned Promise', async () => {
    // Wall time stands still, so the drain the call suspends goes on in the same slice, with no pass of its own.
    const { hub, call } = makeCalls({ now: () => 0 });
    const als = new AsyncLocalStorage<string>();
    const seen: Array<[string | undefined, boolean]> = [];
    let mine: Greenlet<unknown> | null = null;
    const d = als.run('spawner', () =>
      call(() =>
        nextTurn().then(() => {
          mine = hub.getCurrent();
          seen.push([als.getStore(), mine !== null && !mine.dead]);
          return 'after';
        }),
      ),
    );
    // Another context runs its own call in between, while the first waits on the loop.
    const other = als.run('other', () => call(() => als.getStore()));
    hub.flush();
    expect(await other).toBe('other');
    expect(await d).toBe('after');
    expect(seen).toEqual([['spawner', true]]);
    expect(mine!.dead).toBe(true);
    expect(hub.stats().live).toBe(0);
  });

  it('spawns a child call in the store its function set with als.run(), never in a sibling', () => {
    const { hub, call } = makeCalls();
    const als = new AsyncLocalStorage<string>();
    const seen: string[] = [];
    als.run('parent', () =>
      call(() => {
        als.run('scoped', () => call(() => seen.push(`child:${String(als.getStore())}`)));
        call(() => seen.push(`plain child:${String(als.getStore())}`));
        return undefined;
      }),
    );
    call(() => seen.push(`sibling:${String(als.getStore())}`));
    expect(hub.flush()).toBe(4);
    expect(seen).toEqual(['sibling:undefined', 'child:scoped', 'plain child:parent']);
  });
});

describe('lazy greenlet calls: cancel', () => {
  it('from a sibling call earlier in the same pass: it never runs, errbacks CancelledError once, the rest run', () => {
    const { hub, call } = makeCalls();
    const ran: string[] = [];
    const first = call(() => {
      ran.push('first');
      target.cancel();
      return 'first';
    });
    const target = call(() => ran.push('target')); // spawned after `first`, which runs first and cancels it
    const after = call(() => ran.push('after'));
    const t = fires(target);
    expect(hub.stats()).toMatchObject({ spawned: 3, live: 3 });
    expect(hub.flush()).toBe(2);
    expect(ran).toEqual(['first', 'after']);
    expect(successResultOf(first)).toBe('first');
    expect(t.outcomes).toHaveLength(1);
    expect(t.outcomes[0]).toEqual(['failed', expect.any(CancelledError)]);
    expect(successResultOf(after)).toBe(2);
    expect(hub.stats()).toMatchObject({ spawned: 3, live: 0, ready: 0, switches: 2 });
  });

  it('from its own Deferred callback, after it fired: a no-op (the value stays, nothing is uncounted twice)', () => {
    const { hub, call } = makeCalls();
    const d: Deferred<string> = call(() => 'v');
    const f = fires(d);
    d.addCallback((v) => {
      d.cancel();
      return v;
    });
    hub.flush();
    d.cancel(); // and again once it is over
    expect(f.outcomes).toEqual([['ok', 'v']]);
    expect(successResultOf(d)).toBe('v');
    expect(hub.stats()).toMatchObject({ live: 0, ready: 0 });
    const next = call(() => 'next'); // the counts still work
    expect(hub.stats().live).toBe(1);
    hub.flush();
    expect(successResultOf(next)).toBe('next');
    expect(hub.stats().live).toBe(0);
  });

  it('twice while queued: dropped once (live counted down once), and a shutdown does not list it', async () => {
    const { hub, call } = makeCalls();
    let ran = false;
    const d = call(() => (ran = true));
    const keep = call(() => 'kept');
    const f = fires(d);
    d.cancel();
    d.cancel();
    expect(hub.stats().live).toBe(1);
    await shutdownHub(hub, 0);
    hub.flush();
    expect(ran).toBe(false);
    expect(f.outcomes).toEqual([['failed', expect.any(CancelledError)]]);
    expect(failureResultOf(keep).value).toBeInstanceOf(GreenletExit);
    expect(hub.stats().live).toBe(0);
  });

  it('from inside its function before it returns a Promise: killed, CancelledError once, the late value dropped', async () => {
    const { hub, call, errors } = makeCalls();
    let resolveLate!: (v: string) => void;
    const d: Deferred<string> = call(() => {
      d.cancel();
      return new Promise<string>((resolve) => (resolveLate = resolve));
    });
    const f = fires(d);
    hub.flush();
    resolveLate('late');
    await nextTurn();
    expect(f.outcomes).toEqual([['failed', expect.any(CancelledError)]]);
    expect(hub.stats().live).toBe(0);
    expect(errors).toEqual([]);
  });

  it('while its returned Promise is pending: CancelledError at once; the late value is dropped and the greenlet ends with it', async () => {
    const { hub, call, errors } = makeCalls();
    let resolveLate!: (v: string) => void;
    let greenlet: Greenlet<unknown> | null = null;
    const d: Deferred<string> = call(() => {
      greenlet = hub.getCurrent();
      return new Promise<string>((resolve) => (resolveLate = resolve));
    });
    const f = fires(d);
    hub.flush();
    expect(hub.stats().live).toBe(1);
    d.cancel();
    expect(f.outcomes).toEqual([['failed', expect.any(CancelledError)]]);
    // A foreign await cannot be interrupted (SPEC §6.1): the greenlet ends when the Promise settles.
    resolveLate('late');
    await nextTurn();
    expect(f.count()).toBe(1);
    expect(greenlet!.dead).toBe(true);
    expect(hub.stats().live).toBe(0);
    expect(errors).toEqual([]);
  });
});

describe('lazy greenlet calls: stop() and kill-all', () => {
  it('kills a call parked on the hub wait it returned: its Deferred fires once with GreenletExit, stop() ends', async () => {
    const clock = new Clock();
    const reactor = new Reactor({ clock });
    const errors: unknown[] = [];
    reactor.hub.on('error', (e: unknown) => errors.push(e));
    const d = reactor.deferToGreenlet(() => reactor.hub.sleep(60_000));
    const f = fires(d);
    reactor.hub.flush();
    expect(reactor.hub.stats().live).toBe(1);
    await reactor.stop({ graceMs: 0 }); // the clock never moves: only the kill can end it
    expect(f.outcomes).toEqual([['failed', expect.any(GreenletExit)]]);
    expect(reactor.hub.stats()).toMatchObject({ live: 0, parked: 0 });
    expect(errors).toEqual([]);
  });

  it('ends at the bound with a call stuck on a foreign Promise that never settles, reporting it once by name', async () => {
    const clock = new Clock();
    const reactor = new Reactor({ clock });
    const errors: unknown[] = [];
    reactor.hub.on('error', (e: unknown) => errors.push(e));
    const d = reactor.deferToGreenlet(function stuck() {
      return new Promise<never>(() => undefined);
    });
    reactor.hub.flush();
    let ended = false;
    const stopped = reactor.stop({ graceMs: 0 }).then(() => {
      ended = true;
    });
    await nextTurn();
    clock.advance(999);
    await nextTurn();
    expect(ended).toBe(false);
    clock.advance(1);
    await stopped;
    expect(errors).toHaveLength(1);
    expect(String((errors[0] as Error).message)).toMatch(/Greenlet stuck#\d+ is still alive/);
    assertNoResult(d); // abandoned (SPEC §6.1): JavaScript cannot stop it
  });

  it('with many calls still queued among eager greenlets: none runs, each Deferred fires once with GreenletExit', async () => {
    const { hub, call, errors } = makeCalls();
    const ran: number[] = [];
    const lazy: Array<ReturnType<typeof fires>> = [];
    const eagerOnes: Array<Greenlet<unknown>> = [];
    for (let i = 0; i < 50; i++) {
      lazy.push(fires(call(() => ran.push(i))));
      if (i % 10 === 0) {
        eagerOnes.push(
          hub.spawn(function* () {
            ran.push(-i);
            yield;
          }),
        );
      }
    }
    expect(hub.stats().live).toBe(55);
    await shutdownHub(hub, 0);
    expect(hub.flush()).toBe(0);
    expect(ran).toEqual([]);
    expect(lazy.every((f) => f.count() === 1)).toBe(true);
    expect(lazy.every((f) => (f.outcomes[0] as unknown[])[1] instanceof GreenletExit)).toBe(true);
    expect(eagerOnes.every((g) => g.dead && g.value instanceof GreenletExit)).toBe(true);
    expect(hub.stats()).toMatchObject({ live: 0, ready: 0 });
    expect(errors).toEqual([]);
  });

  it('refuses a call made by a killed call\'s errback with ReactorStoppedError through its Deferred', async () => {
    const { hub, call, errors } = makeCalls();
    let late: Deferred<unknown> | null = null;
    const d = call(() => 'never');
    d.addErrback(() => {
      late = call(() => 'too late');
    });
    await shutdownHub(hub, 0);
    expect(late).not.toBeNull();
    expect(failureResultOf(late!).value).toBeInstanceOf(ReactorStoppedError);
    hub.flush();
    expect(hub.stats().live).toBe(0);
    expect(errors).toEqual([]);
  });

  it('lets calls queued at stop() run within the grace, through the reactor, each Deferred firing once', async () => {
    const clock = new Clock();
    const reactor = new Reactor({ clock });
    const ds = Array.from({ length: 20 }, (_, i) => fires(reactor.deferToGreenlet((x: number) => x * 2, i)));
    await reactor.stop({ graceMs: 1000 });
    expect(ds.map((f) => f.outcomes)).toEqual(Array.from({ length: 20 }, (_, i) => [['ok', i * 2]]));
    expect(reactor.hub.stats().live).toBe(0);
    const refused = reactor.deferToGreenlet(() => 1);
    expect(failureResultOf(refused).value).toMatchObject({ name: 'ReactorStoppedError' });
  });

  it('cancelled after a shutdown gave it its greenlet while queued: never runs, CancelledError once, shutdown ends', async () => {
    const { hub, clock, call, errors } = makeCalls();
    let ran = false;
    const d = call(() => (ran = true));
    const f = fires(d);
    const stopping = shutdownHub(hub, 1000); // lists it (its greenlet is made, queued) and waits for it in the grace
    d.cancel();
    expect(f.outcomes).toEqual([['failed', expect.any(CancelledError)]]);
    hub.flush();
    await stopping; // the clock never moves: it ends because the cancelled greenlet is dead
    expect(ran).toBe(false);
    expect(f.count()).toBe(1);
    expect(clock.now()).toBe(0);
    expect(hub.stats()).toMatchObject({ live: 0, ready: 0 });
    expect(errors).toEqual([]);
  });
});

describe('lazy greenlet calls: getCurrent()', () => {
  it("in an errback gives its greenlet dead with the exception, reported nowhere (the Deferred observed it)", () => {
    const { hub, call, errors } = makeCalls();
    const boom = new RangeError('boom');
    let seen: Greenlet<unknown> | null = null;
    const d = call(() => {
      throw boom;
    });
    d.addErrback((f) => {
      seen = hub.getCurrent();
      return f;
    });
    hub.flush();
    expect(failureResultOf(d).value).toBe(boom);
    expect([seen!.dead, seen!.successful(), seen!.exception]).toEqual([true, false, boom]);
    expect(errors).toEqual([]);
    expect(hub.stats().live).toBe(0);
  });

  it('is null again in code that runs after the call, outside any greenlet', () => {
    const { hub, call } = makeCalls();
    let inside: Greenlet<unknown> | null = null;
    call(() => {
      inside = hub.getCurrent();
      return 1;
    });
    hub.flush();
    expect(inside).not.toBeNull();
    expect(hub.getCurrent()).toBeNull();
  });
});

describe('lazy greenlet calls: what the function does', () => {
  it.each([
    ['a string', 'oops'],
    ['undefined', undefined],
    ['null', null],
    ['a plain object', { code: 42 }],
  ])('throws %s: errbacks with that value, as the eager call does', (_, thrown) => {
    const { hub, call, eager, errors } = makeCalls();
    const lazy = call(() => {
      throw thrown;
    });
    const early = eager(() => {
      throw thrown;
    });
    hub.flush();
    expect(failureResultOf(lazy).value).toEqual(failureResultOf(early).value);
    expect(errors).toEqual([]);
    expect(hub.stats().live).toBe(0);
  });

  it('returns a generator object that throws at its first step: errbacks with that error', () => {
    const { hub, call, errors } = makeCalls();
    const bad = new TypeError('first step');
    const d = call(() =>
      (function* () {
        throw bad;
      })(),
    );
    hub.flush();
    expect(failureResultOf(d).value).toBe(bad);
    expect(errors).toEqual([]);
    expect(hub.stats().live).toBe(0);
  });

  it('returns a thenable that calls back at once, twice, and rejects: fires once with the first outcome', () => {
    const { hub, call } = makeCalls();
    const d = call(() => ({
      then(ok: (v: string) => void, fail: (e: unknown) => void) {
        ok('first');
        ok('second');
        fail(new Error('third'));
      },
    }));
    const f = fires(d);
    hub.flush();
    expect(f.outcomes).toEqual([['ok', 'first']]);
    expect(hub.stats().live).toBe(0);
  });

  it('returns a GreenletExit: errbacks with it, whether or not its greenlet was made, as a generator greenlet does', () => {
    const { hub, call, eager, errors } = makeCalls();
    const exit = new GreenletExit();
    const lazy = call(() => exit);
    const seen = call(() => {
      hub.getCurrent(); // makes its greenlet
      return exit;
    });
    const early = eager(function* () {
      return exit;
    });
    hub.flush();
    expect(failureResultOf(lazy).value).toBe(exit);
    expect(failureResultOf(seen).value).toBe(exit);
    expect(failureResultOf(early).value).toBe(exit);
    expect(errors).toEqual([]);
  });

  it("returns an object whose `then` getter throws: errbacks with the getter's error, and the pass goes on", () => {
    const { hub, call, eager, errors } = makeCalls();
    const bad = new Error('then getter');
    const hostile = (): object =>
      Object.defineProperty({}, 'then', {
        get() {
          throw bad;
        },
      });
    const lazy = call(hostile);
    const seen = call(() => {
      hub.getCurrent(); // makes its greenlet: the eager path's check
      return hostile();
    });
    const early = eager(hostile);
    const yielded = eager(function* () {
      try {
        yield hostile();
        return 'not thrown in';
      } catch (error: unknown) {
        return error; // thrown back in at the yield, as an await of it would reject
      }
    });
    const after = call(() => 'after');
    expect(() => hub.flush()).not.toThrow();
    expect(failureResultOf(lazy).value).toBe(bad);
    expect(failureResultOf(seen).value).toBe(bad);
    expect(failureResultOf(early).value).toBe(bad);
    expect(successResultOf(yielded)).toBe(bad);
    expect(successResultOf(after)).toBe('after');
    expect(errors).toEqual([]);
    expect(hub.stats().live).toBe(0);
  });

  it('calls hub.flush() itself: a nested flush runs nothing, and the calls after it run once, in order', () => {
    const { hub, call } = makeCalls();
    const seen: string[] = [];
    let nested = -1;
    call(() => {
      nested = hub.flush();
      seen.push('first');
    });
    call(() => seen.push('second'));
    expect(hub.flush()).toBe(2);
    expect(nested).toBe(0);
    expect(seen).toEqual(['first', 'second']);
  });
});

describe('lazy greenlet calls: capacity (maxGreenlets)', () => {
  it('frees its slot when cancelled while queued, and refuses past the limit with QueueFullError through the Deferred', () => {
    const { hub, call, errors } = makeCalls({ maxGreenlets: 2 });
    const a = call(() => 'a');
    const b = call(() => 'b');
    b.cancel();
    const c = call(() => 'c');
    const refused = call(() => 'refused');
    expect(failureResultOf(refused).value).toBeInstanceOf(QueueFullError);
    expect(hub.stats().live).toBe(2);
    hub.flush();
    expect([successResultOf(a), successResultOf(c)]).toEqual(['a', 'c']);
    expect(failureResultOf(b).value).toBeInstanceOf(CancelledError);
    const d = call(() => 'd'); // the slots are free again
    hub.flush();
    expect(successResultOf(d)).toBe('d');
    expect(errors).toEqual([]);
    expect(hub.stats().live).toBe(0);
  });

  it('counts a call whose returned Promise is pending until it settles', async () => {
    const { hub, call } = makeCalls({ maxGreenlets: 1 });
    let resolve!: (v: string) => void;
    const first = call(() => new Promise<string>((r) => (resolve = r)));
    hub.flush();
    expect(failureResultOf(call(() => 'x')).value).toBeInstanceOf(QueueFullError);
    resolve('done');
    expect(await first).toBe('done');
    const next = call(() => 'x');
    hub.flush();
    expect(successResultOf(next)).toBe('x');
  });
});

describe('lazy greenlet calls: blocking detection (injected now)', () => {
  it("reports a long step as 'blocked' with a real greenlet, counts it, and charges the task, not the callbacks", () => {
    let wall = 0;
    const { hub, call } = makeCalls({ blockingThresholdMs: 10, now: () => wall });
    const blocked: BlockedEvent[] = [];
    const slowCallbacks: BlockedCallbacksEvent[] = [];
    hub.on('blocked', (e: BlockedEvent) => blocked.push(e));
    hub.on('blockedCallbacks', (e: BlockedCallbacksEvent) => slowCallbacks.push(e));
    const d = call(function crunch() {
      wall += 25;
      throw new RangeError('after crunching');
    });
    d.addErrback(() => {
      wall += 40; // the caller's slow errback
    });
    hub.flush();
    expect(successResultOf(d)).toBeUndefined();
    expect(blocked).toHaveLength(1);
    expect(slowCallbacks).toHaveLength(1);
    const [e] = blocked;
    expect([e!.task, e!.ms, e!.greenlet.dead, e!.greenlet.exception]).toEqual(['crunch', 25, true, expect.any(RangeError)]);
    expect(slowCallbacks[0]!.ms).toBe(40);
    expect(slowCallbacks[0]!.greenlet).toBe(e!.greenlet); // one greenlet for the call, made once
    expect(hub.stats()).toMatchObject({ blockedSteps: 1, blockedCallbacks: 1 });
    expect(hub.stats().tasks['crunch']).toMatchObject({ steps: 1, maxMs: 25 });
  });

  it("reports a slow callback of a call that was not slow as 'blockedCallbacks' only", () => {
    let wall = 0;
    const { hub, call } = makeCalls({ blockingThresholdMs: 10, now: () => wall });
    const events: string[] = [];
    hub.on('blocked', () => events.push('blocked'));
    hub.on('blockedCallbacks', (e: BlockedCallbacksEvent) => events.push(`callbacks:${e.ms}:${e.greenlet.name}`));
    const d = call(function quick() {
      wall += 1;
      return 'q';
    });
    d.addCallback((v) => {
      wall += 15;
      return v;
    });
    hub.flush();
    expect(events).toEqual(['callbacks:15:quick']);
    expect(hub.stats()).toMatchObject({ blockedSteps: 0, blockedCallbacks: 1 });
    expect(hub.stats().tasks['quick']).toMatchObject({ steps: 1, maxMs: 1 });
  });

  it("reports a 'blocked' listener that throws on 'error', and still fires the call's Deferred once", () => {
    let wall = 0;
    const { hub, call, errors } = makeCalls({ blockingThresholdMs: 10, now: () => wall });
    const listenerError = new Error('listener');
    hub.on('blocked', () => {
      throw listenerError;
    });
    const d = call(function stall() {
      wall += 30;
      return 'done';
    });
    const f = fires(d);
    const next = call(() => 'next');
    expect(() => hub.flush()).not.toThrow();
    expect(f.outcomes).toEqual([['ok', 'done']]);
    expect(successResultOf(next)).toBe('next');
    expect(errors).toEqual([listenerError]);
    expect(hub.stats()).toMatchObject({ blockedSteps: 1, live: 0 });
  });

  it("names a lazy Task call's 'blocked' step by the Task (name and id), in the spawner's context", () => {
    taskWall = 0;
    const reactor = new Reactor({ clock: new Clock(), now: () => taskWall });
    const als = new AsyncLocalStorage<string>();
    const seen: Array<[string, string, string, string | undefined]> = [];
    reactor.hub.on('blocked', (e: BlockedEvent) => seen.push([e.task, e.taskId, e.greenlet.name, als.getStore()]));
    const d = als.run('spawner', () => reactor.deferToGreenlet(crunchTask, 50));
    reactor.hub.flush();
    expect(successResultOf(d)).toBe(50);
    expect(seen).toEqual([['crunchTask', crunchTask.id, 'crunchTask', 'spawner']]);
    expect(reactor.hub.taskStatsById().get(crunchTask.id)?.figures).toMatchObject({ steps: 1, maxMs: 50 });
  });
});

describe('lazy greenlet calls: one run queue with eager greenlets', () => {
  it('runs lazy calls and generator greenlets in spawn order, a switching greenlet going behind the rest', () => {
    const { hub, call } = makeCalls();
    const seen: string[] = [];
    hub.spawn(function* () {
      seen.push('g1');
      yield;
      seen.push('g1 again');
    });
    call(() => seen.push('c1'));
    hub.spawn(function* () {
      seen.push('g2');
      call(() => seen.push('c3 (spawned by g2)'));
      yield;
      seen.push('g2 again');
    });
    call(() => seen.push('c2'));
    hub.flush();
    expect(seen).toEqual(['g1', 'c1', 'g2', 'c2', 'g1 again', 'c3 (spawned by g2)', 'g2 again']);
  });

  it('spends slices of injected wall time on lazy calls as on greenlet steps', () => {
    let wall = 0;
    const passes: Array<() => void> = [];
    const { hub, call } = makeCalls({ sliceMs: 10, blockingThresholdMs: 1000, now: () => wall }, passes);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      call(() => {
        wall += 4;
        seen.push(`c${i}`);
      });
      hub.spawn(function* () {
        wall += 4;
        seen.push(`g${i}`);
      });
    }
    const perPass: number[] = [];
    while (passes.length > 0) {
      const before = seen.length;
      passes.shift()!();
      perPass.push(seen.length - before);
    }
    // 4 ms a step and a 10 ms slice: each pass runs three steps (the third ends past the slice), in spawn order.
    expect(perPass).toEqual([3, 3]);
    expect(seen).toEqual(['c0', 'g0', 'c1', 'g1', 'c2', 'g2']);
    expect(hub.stats()).toMatchObject({ slices: 2, switches: 6, live: 0 });
  });
});
