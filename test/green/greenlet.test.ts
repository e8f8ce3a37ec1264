import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { GreenletExit } from '../../src/errors.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import { GreenPool } from '../../src/green/green-pool.js';
import { Group } from '../../src/green/group.js';
import { Hub } from '../../src/green/hub.js';
import { killAll } from '../../src/green/kill-all.js';
import { Clock } from '../../src/time/clock.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { makeVirtualHub, type VirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

const makeHub = (): VirtualHub => makeVirtualHub();

afterEach(async () => {
  await nextTurn();
});

describe('Greenlet', () => {
  describe('.value and .exception', () => {
    it('are undefined while it is alive, whatever it holds for its next step (its arguments, a value to send)', () => {
      const { hub } = makeHub();
      const d = new Deferred<string>();
      const g = hub.spawn(function* holds(x: string) {
        const y: string = yield d;
        return x + y;
      }, 'args');
      expect([g.value, g.exception]).toEqual([undefined, undefined]); // it holds its arguments
      hub.flush(); // parked on d
      d.callback('sent'); // queued with 'sent' to send in
      expect([g.value, g.exception]).toEqual([undefined, undefined]);
      hub.flush();
      expect([g.value, g.exception]).toEqual(['argssent', undefined]);
    });
  });

  describe('generator greenlets', () => {
    it('park on a Deferred and resume with its value', () => {
      const { hub } = makeHub();
      const d = new Deferred<number>();
      const g = hub.spawn(function* () {
        const v = (yield d) as number;
        return v + 1;
      });
      hub.flush();
      expect(g.dead).toBe(false);
      d.callback(41);
      hub.flush();
      expect(g.value).toBe(42);
    });

    it('get the failure of a Deferred thrown in, and mark it handled', () => {
      const { hub } = makeHub();
      const d = new Deferred<number>();
      const g = hub.spawn(function* () {
        try {
          yield d;
          return 'no';
        } catch (e) {
          return (e as Error).message;
        }
      });
      hub.flush();
      d.errback(new Error('bad'));
      hub.flush();
      expect(g.value).toBe('bad');
    });

    it('only observe a Deferred: its own chain keeps the result', () => {
      const { hub } = makeHub();
      const d = new Deferred<string>();
      hub.spawn(function* () {
        yield d;
      });
      hub.flush();
      d.callback('kept');
      expect(successResultOf(d)).toBe('kept');
    });

    it('resume at once, in the same step, on an already-fired Deferred', () => {
      const { hub } = makeHub();
      const d = new Deferred<number>();
      d.callback(7);
      const seen: string[] = [];
      hub.spawn(function* () {
        seen.push(`a:${String((yield d) as number)}`);
        yield;
        seen.push('a:end');
      });
      hub.spawn(function* () {
        seen.push('b');
      });
      hub.flush();
      expect(seen).toEqual(['a:7', 'b', 'a:end']);
    });

    it('get a non-waitable yielded value sent straight back', () => {
      const { hub } = makeHub();
      const g = hub.spawn(function* () {
        const a = (yield 5) as number;
        const b = (yield { x: 1 }) as { x: number };
        return a + b.x;
      });
      hub.flush();
      expect(g.value).toBe(6);
      expect(hub.stats().switches).toBe(1);
    });

    it('park on a Promise and resume with its value', async () => {
      const { hub } = makeHub();
      const g = hub.spawn(function* () {
        return ((yield Promise.resolve(3)) as number) * 2;
      });
      await expect(g).resolves.toBe(6);
    });

    it('park on another greenlet and resume with its value or exception', () => {
      const { hub } = makeHub();
      const inner = hub.spawn(function* () {
        yield;
        return 'inner';
      });
      const failing = hub.spawn(function* () {
        yield;
        throw new Error('inner failed');
      });
      const outer = hub.spawn(function* () {
        const v = (yield inner) as string;
        try {
          yield failing;
        } catch (e) {
          return `${v}/${(e as Error).message}`;
        }
        return 'no';
      });
      hub.flush();
      expect(outer.value).toBe('inner/inner failed');
    });

    it('run `finally` when the generator fails', () => {
      const { hub } = makeHub();
      const seen: string[] = [];
      const g = hub.spawn(function* () {
        try {
          yield;
          throw new Error('x');
        } finally {
          seen.push('finally');
        }
      });
      g.join();
      hub.flush();
      expect(seen).toEqual(['finally']);
      expect(g.successful()).toBe(false);
    });
  });

  describe('plain functions', () => {
    it('run in one step', () => {
      const { hub } = makeHub();
      const g = hub.spawn(() => 5);
      expect(hub.flush()).toBe(1);
      expect(g.value).toBe(5);
    });

    it('returning a Promise finish with its outcome', async () => {
      const { hub } = makeHub();
      const g = hub.spawn(() => Promise.reject(new Error('late')));
      await expect(g).rejects.toThrow('late');
    });
  });

  describe('async greenlets', () => {
    it('switch at `await hub.cooperate()` and see themselves as current after it', async () => {
      const { hub } = makeHub();
      const seen: string[] = [];
      const make = (name: string) =>
        async function asyncBody(): Promise<void> {
          for (let i = 0; i < 2; i++) {
            seen.push(`${name}${i}:${String(hub.getCurrent() === self.get(name))}`);
            await hub.cooperate();
          }
        };
      const self = new Map<string, Greenlet<void>>();
      self.set('a', hub.spawn(make('a')));
      self.set('b', hub.spawn(make('b')));
      await Promise.all(self.values());
      expect(seen).toEqual(['a0:true', 'b0:true', 'a1:true', 'b1:true']);
    });

    it('stay current across a foreign await that settles within a few microtasks', async () => {
      const { hub } = makeHub();
      const seen: boolean[] = [];
      const g: Greenlet<void> = hub.spawn(async () => {
        await hub.cooperate();
        await Promise.resolve();
        seen.push(hub.getCurrent() === g);
        await hub.cooperate();
        seen.push(hub.getCurrent() === g);
      });
      await g;
      expect(seen).toEqual([true, true]);
    });

    it('are timed from resumption to their next hub wait, and reported when that is too long', async () => {
      const clock = new Clock();
      let wall = 0;
      const hub = new Hub({ clock, blockingThresholdMs: 8, now: () => wall });
      const blocked: Array<[string, number]> = [];
      hub.on('blocked', (e: { task: string; ms: number }) => blocked.push([e.task, e.ms]));
      const g = hub.spawn(async function slowAsync() {
        await hub.cooperate();
        wall += 12;
        await hub.cooperate();
      });
      await g;
      expect(blocked).toEqual([['slowAsync', 12]]);
    });

    it('sleep on the hub clock', async () => {
      const { hub, clock } = makeHub();
      const g = hub.spawn(async () => {
        await hub.sleep(10);
        return clock.now();
      });
      hub.flush();
      await nextTurn();
      expect(g.dead).toBe(false);
      clock.advance(10);
      await expect(g).resolves.toBe(10);
    });

    it('killed while waiting on the hub: the wait rejects with the exception and finally runs', async () => {
      const { hub } = makeHub();
      const seen: string[] = [];
      const g = hub.spawn(async () => {
        try {
          await hub.sleep(1000);
        } finally {
          seen.push('finally');
        }
      });
      hub.flush();
      const killed = g.kill();
      await g.join();
      expect(successResultOf(killed)).toBeUndefined();
      expect(seen).toEqual(['finally']);
      expect(g.successful()).toBe(true);
      expect(g.value).toBeInstanceOf(GreenletExit);
    });

    it('killed while awaiting another greenlet (join/get are hub waits): the wait rejects', async () => {
      const { hub } = makeHub();
      const other = hub.spawn(function* () {
        yield new Deferred();
      });
      const seen: string[] = [];
      const g = hub.spawn(async () => {
        try {
          await other.get();
        } finally {
          seen.push('finally');
        }
      });
      hub.flush();
      await g.kill();
      expect(seen).toEqual(['finally']);
      expect(other.dead).toBe(false);
      void other.kill();
      hub.flush();
    });

    it('killed while awaiting something foreign that settles turns later: the next hub wait rejects', async () => {
      const { hub } = makeHub();
      let gate!: () => void;
      const foreign = new Promise<void>((resolve) => (gate = resolve));
      const seen: string[] = [];
      const g = hub.spawn(async () => {
        await foreign;
        seen.push('after foreign');
        await hub.cooperate();
        seen.push('never');
      });
      hub.flush();
      await nextTurn(); // the hub has long moved on when the foreign wait settles
      void g.kill(new Error('stop'));
      expect(g.signal.aborted).toBe(true);
      await nextTurn();
      gate();
      await g.join();
      expect(seen).toEqual(['after foreign']);
      expect(g.exception).toMatchObject({ message: 'stop' });
    });
  });

  describe('.kill()', () => {
    it('before start: the greenlet never runs, links still fire', () => {
      const { hub } = makeHub();
      let ran = false;
      const g = hub.spawn(() => {
        ran = true;
      });
      const linked: unknown[] = [];
      g.link((x) => linked.push(x));
      const d = g.kill();
      hub.flush();
      expect(ran).toBe(false);
      expect(successResultOf(d)).toBeUndefined();
      expect(linked).toEqual([g]);
      expect(g.started).toBe(true);
    });

    it('of a spawnLater greenlet whose timer fired but which has not run: no AlreadyCalledError, it never runs', () => {
      const { hub, clock } = makeHub();
      let ran = false;
      const g = hub.spawnLater(5, () => {
        ran = true;
      });
      clock.advance(5); // the timer fired: the greenlet is queued, not yet run
      expect(g.started).toBe(true);
      const d = g.kill();
      hub.flush();
      expect(successResultOf(d)).toBeUndefined();
      expect(ran).toBe(false);
      expect(g.dead).toBe(true);
    });

    it('killAll, Group.kill and GreenPool.kill never stop partway on such a greenlet', () => {
      const { hub, clock } = makeHub();
      const pool = new GreenPool(2, hub);
      const group = new Group(hub);
      const parked = (): Generator<unknown, void, unknown> =>
        (function* () {
          yield new Deferred<void>();
        })();
      const fired = [hub.spawnLater(5, parked), hub.spawnLater(5, parked), hub.spawnLater(5, parked)];
      const others = [hub.spawn(parked), hub.spawn(parked), hub.spawn(parked)];
      group.add(fired[1]!);
      group.add(others[1]!);
      const pooled = pool.spawn(parked);
      hub.flush();
      clock.advance(5);
      const pooledLater = hub.spawnLater(0, parked);
      clock.advance(0);
      const kills = [killAll([fired[0]!, others[0]!]), group.kill(), pool.kill(), killAll([fired[2]!, pooledLater, others[2]!])];
      hub.flush();
      for (const d of kills) expect(successResultOf(d)).toBeUndefined();
      expect([...fired, ...others, pooled, pooledLater].every((g) => g.dead)).toBe(true);
    });

    it('after start: throws GreenletExit in at the switch point so finally runs; counts as success', () => {
      const { hub } = makeHub();
      const seen: string[] = [];
      const g = hub.spawn(function* () {
        try {
          yield new Deferred();
        } finally {
          seen.push('finally');
        }
      });
      hub.flush();
      const d = g.kill();
      assertNoResult(d);
      hub.flush();
      expect(successResultOf(d)).toBeUndefined();
      expect(seen).toEqual(['finally']);
      expect(g.successful()).toBe(true);
      expect(g.value).toMatchObject({ name: 'GreenletExit' });
      expect(g.exception).toBeUndefined();
    });

    it('accepts an error class and fails the greenlet with an instance', () => {
      const { hub, errors } = makeHub();
      class Stop extends Error {}
      const g = hub.spawn(function* () {
        yield;
      });
      hub.flush(1);
      void g.kill(Stop);
      hub.flush();
      expect(g.exception).toBeInstanceOf(Stop);
      expect(errors).toHaveLength(1);
    });

    it('of a ready greenlet replaces what its yield would get', () => {
      const { hub } = makeHub();
      let caught: unknown;
      const g = hub.spawn(function* () {
        try {
          yield;
        } catch (e) {
          caught = e;
        }
      });
      hub.flush(1);
      void g.kill();
      hub.flush();
      expect(caught).toBeInstanceOf(GreenletExit);
    });

    it('aborts the signal at once', () => {
      const { hub } = makeHub();
      const g = hub.spawn(function* () {
        yield new Deferred();
      });
      hub.flush();
      const signal = g.signal;
      void g.kill();
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBeInstanceOf(GreenletExit);
    });

    it('leaves a wait abandoned by the kill behind: the same Deferred yielded again resumes with what its new wait sees', () => {
      // A parked wait's callback stays on the Deferred after a kill. It must not resume the greenlet when it waits on
      // the same Deferred again: a callback added in between changes the result its new wait is owed (docs/design.md,
      // why `#token` stays: a check of what it waits on alone would resume it with 1).
      const { hub } = makeHub();
      const d = new Deferred<number>();
      const g = hub.spawn(function* () {
        try {
          yield d;
        } catch {
          d.addCallback((x: number) => x + 1);
        }
        return (yield d) as number;
      });
      hub.flush();
      void g.kill(new Error('wake'));
      hub.flush();
      expect(g.dead).toBe(false); // parked on d again
      d.callback(1);
      hub.flush();
      expect(g.value).toBe(2);
    });

    it('of a dead greenlet fires at once', () => {
      const { hub } = makeHub();
      const g = hub.spawn(() => 1);
      hub.flush();
      expect(successResultOf(g.kill())).toBeUndefined();
      expect(g.value).toBe(1);
    });
  });

  describe('links', () => {
    it('fire synchronously at death, in registration order, each with the greenlet', () => {
      const { hub } = makeHub();
      const d = new Deferred<number>();
      const g = hub.spawn(function* () {
        return (yield d) as number;
      });
      const order: string[] = [];
      g.link((x) => order.push(`link:${String(x === g)}`));
      g.join().addCallback(() => order.push('join'));
      g.linkValue(() => order.push('value'));
      g.linkException(() => order.push('exception'));
      hub.flush();
      d.callback(1);
      hub.flush();
      expect(order).toEqual(['link:true', 'join', 'value']);
    });

    it('added after death run on a microtask', async () => {
      const { hub } = makeHub();
      const g = hub.spawn(() => 1);
      hub.flush();
      const seen: string[] = [];
      g.link(() => seen.push('late'));
      seen.push('sync');
      await Promise.resolve();
      expect(seen).toEqual(['sync', 'late']);
    });

    it('unlink removes a link', () => {
      const { hub } = makeHub();
      const g = hub.spawn(() => 1);
      let count = 0;
      const cb = (): void => {
        count++;
      };
      g.link(cb);
      g.unlink(cb);
      hub.flush();
      expect(count).toBe(0);
    });

    it('send an exception thrown by a link to the hub error event', () => {
      const { hub, errors } = makeHub();
      const g = hub.spawn(() => 1);
      const bad = new Error('link broke');
      g.link(() => {
        throw bad;
      });
      hub.flush();
      expect(errors).toEqual([bad]);
    });
  });

  describe('.join() / .get()', () => {
    it('join fires false on timeout and true when dead', () => {
      const { hub, clock } = makeHub();
      const d = new Deferred<void>();
      const g = hub.spawn(function* () {
        yield d;
      });
      hub.flush();
      const short = g.join(5);
      const long = g.join();
      clock.advance(5);
      expect(successResultOf(short)).toBe(false);
      d.callback(undefined);
      hub.flush();
      expect(successResultOf(long)).toBe(true);
    });

    it('get errbacks with TimeoutError on timeout and with the exception on failure', () => {
      const { hub, clock } = makeHub();
      const d = new Deferred<void>();
      const g = hub.spawn(function* () {
        yield d;
        throw new RangeError('nope');
      });
      hub.flush();
      const timed = g.get(5);
      const full = g.get();
      clock.advance(5);
      expect(failureResultOf(timed).value).toMatchObject({ name: 'TimeoutError' });
      d.callback(undefined);
      hub.flush();
      expect(failureResultOf(full).value).toBeInstanceOf(RangeError);
    });

    it('errback with TypeError for a bad timeout', () => {
      const { hub } = makeHub();
      const g = hub.spawn(() => 1);
      expect(failureResultOf(g.join(-1)).value).toBeInstanceOf(TypeError);
      hub.flush();
    });
  });

  describe('as a waitable', () => {
    it('is awaitable: the value, or the exception thrown', async () => {
      const { hub } = makeHub();
      await expect(hub.spawn(() => 'v')).resolves.toBe('v');
      await expect(
        hub.spawn(() => {
          throw new Error('e');
        }),
      ).rejects.toThrow('e');
    });
  });
});
