import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { GreenPool } from '../../src/green/green-pool.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import { greenletDeferred } from '../../src/green/greenlet-deferred.js';
import { Hub } from '../../src/green/hub.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask, taskFrom } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { nextTurn } from '../helpers/next-turn.js';

function makeReactor(): { reactor: Reactor; clock: Clock } {
  const clock = new Clock();
  const reactor = new Reactor({ clock });
  reactor.hub.on('error', () => undefined);
  return { reactor, clock };
}

export const slowTask = defineTask(
  import.meta.url,
  'slowTask',
  function* (ms: number): Generator<unknown, string, unknown> {
    yield;
    return `slept ${ms}`;
  },
  { timeoutMs: 10 },
);

afterEach(async () => {
  await nextTurn();
});

describe('Reactor (green path)', () => {
  describe('.hub', () => {
    it('is one hub per reactor, timed by the reactor clock', () => {
      const { reactor, clock } = makeReactor();
      expect(reactor.hub).toBe(reactor.hub);
      expect(reactor.hub.clock).toBe(clock);
    });
  });

  describe('.deferToGreenlet()', () => {
    it('passes the arguments and fires with the result', () => {
      const { reactor } = makeReactor();
      const d = reactor.deferToGreenlet(function* (a: number, b: number) {
        yield;
        return a + b;
      }, 2, 3);
      reactor.hub.flush();
      expect(successResultOf(d)).toBe(5);
    });

    it('errbacks with the exception of a failing greenlet', () => {
      const { reactor } = makeReactor();
      const d = reactor.deferToGreenlet(() => {
        throw new RangeError('bad');
      });
      reactor.hub.flush();
      expect(failureResultOf(d).value).toBeInstanceOf(RangeError);
    });

    it("reports a greenlet's exception through its Deferred only, never on the hub's 'error'", () => {
      const { reactor } = makeReactor();
      const reported: unknown[] = [];
      reactor.hub.on('error', (error: unknown) => reported.push(error));
      const d = reactor.deferToGreenlet(() => {
        throw new RangeError('bad');
      });
      reactor.hub.flush();
      expect(failureResultOf(d).value).toBeInstanceOf(RangeError);
      expect(reported).toEqual([]);
    });

    it('errbacks with GreenletExit when the greenlet was killed', () => {
      const { reactor } = makeReactor();
      let self: ReturnType<Hub['getCurrent']> = null;
      const d = reactor.deferToGreenlet(function* () {
        self = reactor.hub.getCurrent();
        yield new Deferred();
      });
      reactor.hub.flush();
      void self!.kill();
      reactor.hub.flush();
      expect(failureResultOf(d).value).toMatchObject({ name: 'GreenletExit' });
    });

    it('cancelling kills the greenlet and errbacks at once with CancelledError', () => {
      const { reactor } = makeReactor();
      const seen: string[] = [];
      const d = reactor.deferToGreenlet(function* () {
        try {
          yield new Deferred();
        } finally {
          seen.push('finally');
        }
      });
      reactor.hub.flush();
      d.cancel();
      expect(failureResultOf(d).value).toMatchObject({ name: 'CancelledError' });
      reactor.hub.flush();
      expect(seen).toEqual(['finally']);
      expect(reactor.hub.stats().live).toBe(0);
    });

    it('cancelled before it started: the greenlet never runs', () => {
      const { reactor } = makeReactor();
      let ran = false;
      const d = reactor.deferToGreenlet(() => {
        ran = true;
      });
      d.cancel();
      reactor.hub.flush();
      expect(ran).toBe(false);
      expect(failureResultOf(d).value).toMatchObject({ name: 'CancelledError' });
    });

    it("ends a Task with TimeoutError after its timeoutMs", () => {
      const { reactor, clock } = makeReactor();
      const d = reactor.deferToGreenlet(
        defineTask(import.meta.url, 'stuck', function* () {
          yield new Deferred();
        }, { timeoutMs: 10 }),
      );
      reactor.hub.flush();
      clock.advance(10);
      expect(failureResultOf(d).value).toMatchObject({ name: 'TimeoutError' });
      reactor.hub.flush();
      expect(reactor.hub.stats().live).toBe(0);
    });

    it('drops the outcome of a Task its timeoutMs ended: nothing is reported on the hub', () => {
      const clock = new Clock();
      const reactor = new Reactor({ clock });
      const reported: unknown[] = [];
      reactor.hub.on('error', (error: unknown) => reported.push(error));
      const d = reactor.deferToGreenlet(
        defineTask(import.meta.url, 'stuck-late', function* () {
          yield new Deferred();
        }, { timeoutMs: 10 }),
      );
      reactor.hub.flush();
      clock.advance(10);
      reactor.hub.flush(); // the kill ends the greenlet: its GreenletExit arrives after the TimeoutError
      expect(failureResultOf(d).value).toMatchObject({ name: 'TimeoutError' });
      expect(reactor.hub.stats().live).toBe(0);
      expect(reported).toEqual([]);
    });

    it('runs a Task in-process', () => {
      const { reactor } = makeReactor();
      const d = reactor.deferToGreenlet(slowTask, 5);
      reactor.hub.flush();
      expect(successResultOf(d)).toBe('slept 5');
    });

    it('loads a taskFrom task lazily and runs it as a generator greenlet', async () => {
      const { reactor } = makeReactor();
      reactor.hub.on('error', () => undefined);
      const task = taskFrom<[number], number>(new URL('./fixtures/green-tasks.ts', import.meta.url), 'doubleLater');
      const d = reactor.deferToGreenlet(task, 21);
      await expect(d).resolves.toBe(42);
    });

    it('drives a taskFrom task returning a generator object without Symbol.iterator, as the inline route does', async () => {
      const { reactor } = makeReactor();
      const task = taskFrom<[number], number>(new URL('./fixtures/green-tasks.ts', import.meta.url), 'handRolled');
      await expect(reactor.deferToGreenlet(task, 1)).resolves.toBe(2);
    });

    it('callMultipleInGreenlet drives a call returning a generator object without Symbol.iterator', async () => {
      const { reactor } = makeReactor();
      const { handRolled } = await import('./fixtures/green-tasks.js');
      const seen: number[] = [];
      const d = reactor.callMultipleInGreenlet([[handRolled, 1], [(n: number) => seen.push(n), 7]]);
      await expect(d).resolves.toBeUndefined();
      expect(seen).toEqual([7]);
    });

    it('errbacks with TaskNotFoundError for a taskFrom export that does not exist', async () => {
      const { reactor } = makeReactor();
      const task = taskFrom(new URL('./fixtures/green-tasks.ts', import.meta.url), 'missing');
      await expect(reactor.deferToGreenlet(task)).rejects.toMatchObject({ name: 'TaskNotFoundError' });
    });

    it('errbacks with TypeError for something that is not a function or Task', () => {
      const { reactor } = makeReactor();
      expect(failureResultOf(reactor.deferToGreenlet(42 as never)).value).toBeInstanceOf(TypeError);
    });

    it('errbacks with ReactorStoppedError once stop() began', async () => {
      const { reactor } = makeReactor();
      const stopping = reactor.stop();
      expect(failureResultOf(reactor.deferToGreenlet(() => 1)).value).toMatchObject({ name: 'ReactorStoppedError' });
      await stopping;
    });
  });

  describe('capacity (maxGreenlets from the policy)', () => {
    it('deferToGreenlet and callMultipleInGreenlet errback with QueueFullError; a refusal frees no slot', () => {
      const reactor = new Reactor({ clock: new Clock(), policy: { green: { maxGreenlets: 1 } } });
      reactor.hub.on('error', () => undefined);
      const parked = reactor.deferToGreenlet(function* () {
        yield new Deferred();
      });
      expect(failureResultOf(reactor.deferToGreenlet(() => 1)).value).toMatchObject({ name: 'QueueFullError' });
      expect(failureResultOf(reactor.callMultipleInGreenlet([[() => 1]])).value).toMatchObject({ name: 'QueueFullError' });
      expect(failureResultOf(reactor.deferToGreenletPool(new GreenPool(1, reactor.hub), () => 1)).value).toMatchObject({
        name: 'QueueFullError',
      });
      parked.cancel();
      failureResultOf(parked);
    });
  });

  describe('bad input', () => {
    // An object without a primitive conversion: building the error message must not throw either.
    const odd = Object.create(null) as never;

    it('every green method errbacks with TypeError, never throws', () => {
      const { reactor } = makeReactor();
      const calls = [
        () => reactor.deferToGreenlet(odd),
        () => reactor.deferToGreenletPool(odd, () => 1),
        () => reactor.callMultipleInGreenlet(odd),
        () => reactor.callMultipleInGreenlet([odd]),
        () => reactor.waitForGreenlet(odd),
      ];
      for (const call of calls) {
        expect(failureResultOf(call()).value).toBeInstanceOf(TypeError);
      }
    });
  });

  describe('greenletDeferred() capacity', () => {
    it('errbacks with QueueFullError past maxGreenlets', () => {
      const clock = new Clock();
      const hub = new Hub({ clock, maxGreenlets: 1 });
      const alive = hub.spawn(() => 0);
      const d = greenletDeferred(hub.spawn(() => 1), { clock });
      void alive.kill();
      expect(failureResultOf(d).value).toMatchObject({ name: 'QueueFullError' });
    });
  });

  describe('.deferToGreenletPool()', () => {
    it('runs in the pool when a slot is free', () => {
      const { reactor } = makeReactor();
      const pool = new GreenPool(1, reactor.hub);
      const gate = new Deferred<void>();
      const first = reactor.deferToGreenletPool(pool, function* () {
        yield gate;
        return 'first';
      });
      const second = reactor.deferToGreenletPool(pool, (x: string) => x, 'second');
      reactor.hub.flush();
      assertNoResult(second);
      gate.callback(undefined);
      reactor.hub.flush();
      expect(successResultOf(first)).toBe('first');
      expect(successResultOf(second)).toBe('second');
    });

    it('errbacks with TypeError when pool is not a GreenPool', () => {
      const { reactor } = makeReactor();
      expect(failureResultOf(reactor.deferToGreenletPool({} as never, () => 1)).value).toBeInstanceOf(TypeError);
    });
  });

  describe('.callMultipleInGreenlet()', () => {
    it('runs the calls one after another in one greenlet', () => {
      const { reactor } = makeReactor();
      const seen: string[] = [];
      const d = reactor.callMultipleInGreenlet([
        [(x: string) => seen.push(x), 'a'],
        [
          function* (x: string) {
            yield;
            seen.push(x);
          },
          'b',
        ],
        [(x: string) => seen.push(x), 'c'],
      ]);
      reactor.hub.flush();
      expect(successResultOf(d)).toBeUndefined();
      expect(seen).toEqual(['a', 'b', 'c']);
      expect(reactor.hub.stats().spawned).toBe(1);
    });

    it('stops at the first error and errbacks with it', () => {
      const { reactor } = makeReactor();
      const seen: string[] = [];
      const d = reactor.callMultipleInGreenlet([
        [
          () => {
            throw new Error('first');
          },
        ],
        [() => seen.push('never')],
      ]);
      reactor.hub.flush();
      expect(failureResultOf(d).value).toMatchObject({ message: 'first' });
      expect(seen).toEqual([]);
    });

    it('errbacks with TypeError for a malformed call list', () => {
      const { reactor } = makeReactor();
      expect(failureResultOf(reactor.callMultipleInGreenlet([[42 as never]])).value).toBeInstanceOf(TypeError);
    });
  });

  describe('.waitForGreenlet()', () => {
    it('fires with the result', () => {
      const { reactor } = makeReactor();
      const g = reactor.hub.spawn(() => 'v');
      const d = reactor.waitForGreenlet(g);
      reactor.hub.flush();
      expect(successResultOf(d)).toBe('v');
    });

    it('fires with the GreenletExit of a killed greenlet', () => {
      const { reactor } = makeReactor();
      const g = reactor.hub.spawn(function* () {
        yield new Deferred();
      });
      const d = reactor.waitForGreenlet(g);
      reactor.hub.flush();
      void g.kill();
      reactor.hub.flush();
      expect(successResultOf(d)).toMatchObject({ name: 'GreenletExit' });
    });
  });

  describe('.waitForDeferred()', () => {
    it('unwraps nested Deferreds', () => {
      const { reactor } = makeReactor();
      const inner = new Deferred<number>();
      const outer = new Deferred<void>();
      outer.addCallback(() => inner);
      const g = reactor.hub.spawn(function* () {
        return (yield reactor.waitForDeferred(outer)) as number;
      });
      reactor.hub.flush();
      outer.callback(undefined);
      inner.callback(7);
      reactor.hub.flush();
      expect(g.value).toBe(7);
    });

    it('times out with TimeoutError without cancelling the Deferred', () => {
      const { reactor, clock } = makeReactor();
      const d = new Deferred<number>();
      const w = reactor.waitForDeferred(d, 10);
      clock.advance(10);
      expect(failureResultOf(w).value).toMatchObject({ name: 'TimeoutError' });
      assertNoResult(d);
      d.callback(1);
      expect(successResultOf(d)).toBe(1);
    });

    it.each([
      ['a d that cannot be awaited', 42, undefined, 'Expected `d` to be a Deferred or Promise, got `number`'],
      ['a negative timeoutMs', new Deferred<number>(), -1, 'Expected `timeoutMs` to be a number >= 0, got `-1` (number)'],
      ['a timeoutMs that is not a number', new Deferred<number>(), '10', "Expected `timeoutMs` to be a number >= 0, got `'10'` (string)"],
      ['a NaN timeoutMs', new Deferred<number>(), Number.NaN, 'Expected `timeoutMs` to be a number >= 0, got `NaN` (number)'],
    ])('errbacks TypeError for %s instead of throwing', (_what, d, timeoutMs, message) => {
      const { reactor } = makeReactor();
      const w = reactor.waitForDeferred(d as PromiseLike<number>, timeoutMs as number | undefined);
      const error = failureResultOf(w).value as Error;
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe(message);
    });
  });

  describe('.blockingCallFromGreenlet()', () => {
    it('runs the function on the next reactor turn, outside any greenlet, and hands back its result', () => {
      const { reactor, clock } = makeReactor();
      let currentInside: unknown = 'unset';
      const g = reactor.hub.spawn(function* () {
        return (yield reactor.blockingCallFromGreenlet((x: number) => {
          currentInside = reactor.hub.getCurrent();
          return x * 2;
        }, 21)) as number;
      });
      reactor.hub.flush();
      expect(currentInside).toBe('unset');
      clock.advance(0);
      expect(currentInside).toBeNull();
      reactor.hub.flush();
      expect(g.value).toBe(42);
    });

    it('called outside a greenlet errbacks with TypeError', () => {
      const { reactor } = makeReactor();
      expect(failureResultOf(reactor.blockingCallFromGreenlet(() => 1)).value).toBeInstanceOf(TypeError);
    });
  });

  describe('.stop()', () => {
    it('kills live greenlets after graceMs', async () => {
      const { reactor, clock } = makeReactor();
      const seen: string[] = [];
      const d = reactor.deferToGreenlet(function* () {
        try {
          yield new Deferred();
        } finally {
          seen.push('finally');
        }
      });
      reactor.hub.flush();
      const stopped = reactor.stop({ graceMs: 100 });
      await nextTurn();
      clock.advance(99);
      expect(seen).toEqual([]);
      clock.advance(1);
      await stopped;
      expect(seen).toEqual(['finally']);
      expect(failureResultOf(d).value).toMatchObject({ name: 'GreenletExit' });
    });

    it('lets greenlets that finish within graceMs finish', async () => {
      const { reactor, clock } = makeReactor();
      const d = reactor.deferToGreenlet(function* () {
        yield reactor.hub.sleep(50);
        return 'finished';
      });
      reactor.hub.flush();
      const stopped = reactor.stop({ graceMs: 100 });
      await nextTurn();
      clock.advance(50);
      await stopped;
      expect(successResultOf(d)).toBe('finished');
    });

    it('lets greenlets spawned during the grace finish within it too', async () => {
      const { reactor, clock } = makeReactor();
      const hub = reactor.hub;
      let successor: Greenlet<string> | null = null;
      hub.spawn(function* handOver(): Generator<unknown, void, unknown> {
        yield hub.sleep(10);
        successor = hub.spawn(function* successorWork(): Generator<unknown, string, unknown> {
          yield hub.sleep(70);
          return 'finished';
        });
      });
      hub.flush();
      const stopped = reactor.stop({ graceMs: 100 });
      await nextTurn();
      for (let t = 0; t < 80; t += 10) {
        clock.advance(10);
        hub.flush();
        await nextTurn();
      }
      await stopped;
      expect(successor).not.toBeNull();
      expect(successor!.value).toBe('finished');
    });

    it('kills greenlets spawned during the grace too; from the kills on, spawn returns a greenlet dead with ReactorStoppedError', async () => {
      const { reactor, clock } = makeReactor();
      const hub = reactor.hub;
      const workers: Array<Greenlet<unknown>> = [];
      const worker = function* worker(): Generator<unknown, void, unknown> {
        yield new Deferred(); // parks for good: only a kill ends it
      };
      hub.spawn(function* supervisor(): Generator<unknown, void, unknown> {
        for (;;) {
          workers.push(hub.spawn(worker));
          yield hub.sleep(10); // respawns a worker every 10 ms, grace or not
        }
      });
      hub.flush();
      const stopped = reactor.stop({ graceMs: 100 });
      await nextTurn();
      for (let t = 0; t < 100; t += 10) {
        clock.advance(10);
        hub.flush();
      }
      await stopped;
      expect(workers.length).toBeGreaterThan(5);
      expect(workers.every((g) => g.dead)).toBe(true);
      expect(hub.stats().live).toBe(0);
      const late = hub.spawn(worker);
      expect(late.dead).toBe(true);
      expect(late.exception).toMatchObject({ name: 'ReactorStoppedError' });
    });

    it('resolves at the latest 1000 ms after the kills, reporting each greenlet that ignored its kill once', async () => {
      const clock = new Clock();
      const reactor = new Reactor({ clock });
      const errors: unknown[] = [];
      reactor.hub.on('error', (error: unknown) => errors.push(error));
      const stubborn = reactor.hub.spawn(function* stubborn(): Generator<unknown, void, unknown> {
        for (;;) {
          try {
            yield reactor.hub.sleep(5);
          } catch {
            // catches its GreenletExit and carries on: cannot be stopped in JavaScript
          }
        }
      });
      reactor.hub.flush();
      let resolved = false;
      const stopped = reactor.stop({ graceMs: 0 }).then(() => {
        resolved = true;
      });
      await nextTurn();
      for (let t = 0; t < 995; t += 5) {
        clock.advance(5);
        reactor.hub.flush();
        await Promise.resolve();
      }
      expect(resolved).toBe(false);
      clock.advance(5);
      reactor.hub.flush();
      await stopped;
      expect(stubborn.dead).toBe(false);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ name: 'TimeoutError' });
      expect(String((errors[0] as Error).message)).toContain(`stubborn#${stubborn.id}`);
      clock.advance(5000);
      reactor.hub.flush();
      expect(errors).toHaveLength(1);
      void stubborn.kill(); // (its next catch swallows it too; nothing waits on it)
    });
  });

  describe('.stats()', () => {
    it('includes the hub figures under `green`', () => {
      const { reactor } = makeReactor();
      reactor.deferToGreenlet(() => 1);
      reactor.hub.flush();
      expect(reactor.stats().green).toMatchObject({ spawned: 1, live: 0, switches: 1 });
    });
  });
});
