/**
 * Review attacks: bad input to the green helpers that answer with a Deferred (`GreenPool.map`, `joinAll`,
 * `killAll`, `withTimeout`, `Semaphore.run`/`Lock.run`) comes back as a named `TypeError` through that Deferred, never as a synchronous throw, and nothing is
 * left running for it.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Deferred } from '../../src/deferred/deferred.js';
import { GreenPool } from '../../src/green/green-pool.js';
import { joinAll } from '../../src/green/join-all.js';
import { killAll } from '../../src/green/kill-all.js';
import { Lock } from '../../src/green/lock.js';
import { Semaphore } from '../../src/green/semaphore.js';
import { withTimeout } from '../../src/green/with-timeout.js';
import { failureResultOf } from '../helpers/deferred-results.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

/** Call `f` (which must not throw) and read the TypeError its Deferred already failed with. */
function typeErrorOf(f: () => Deferred<unknown>): string {
  let d: Deferred<unknown> | undefined;
  expect(() => {
    d = f();
  }).not.toThrow();
  const error = failureResultOf(d!).value as Error;
  expect(error).toBeInstanceOf(TypeError);
  return error.message;
}

describe('GreenPool.map() with bad input', () => {
  it('errbacks TypeError for a function that is neither a function nor a Task', () => {
    const { hub } = makeVirtualHub();
    const pool = new GreenPool(2, hub);
    expect(typeErrorOf(() => pool.map(42 as never, [1, 2]))).toBe('Expected `fn` to be a function or a Task, got `42` (number)');
    expect(hub.stats().live).toBe(0);
  });

  it('errbacks TypeError for items that are not iterable', () => {
    const { hub } = makeVirtualHub();
    expect(typeErrorOf(() => new GreenPool(2, hub).map((x: number) => x, 42 as never))).toBe('Expected `items` to be iterable, got `42` (number)');
  });

  it('errbacks with what the items\' iterator threw, and kills the greenlets it had spawned', () => {
    const { hub } = makeVirtualHub();
    const pool = new GreenPool(2, hub);
    const boom = new Error('third item');
    function* items(): Generator<number> {
      yield 1;
      yield 2;
      throw boom;
    }
    const d = pool.map(function* (x: number) {
      yield hub.sleep(60_000); // still waiting unless killed
      return x;
    }, items());
    expect(failureResultOf(d).value).toBe(boom);
    hub.flush();
    expect(hub.stats().live).toBe(0);
  });
});

describe('joinAll() with bad input', () => {
  it.each([
    ['not iterable', 42, 'Expected `greenlets` to be an iterable of Greenlets, got `42` (number)'],
    ['an item that is not a Greenlet', [42], 'Expected `greenlets` to be an iterable of Greenlets, got an item `42` (number)'],
  ])('errbacks TypeError for greenlets %s', (_what, greenlets, message) => {
    expect(typeErrorOf(() => joinAll(greenlets as never))).toBe(message);
  });

  it('errbacks TypeError for options that are not an object', () => {
    expect(typeErrorOf(() => joinAll([], null as never))).toBe('Expected `options` to be an object, got `null` (null)');
  });
});

describe('killAll() with bad input', () => {
  it('errbacks TypeError for greenlets not iterable', () => {
    expect(typeErrorOf(() => killAll(42 as never))).toBe('Expected `greenlets` to be an iterable of Greenlets, got `42` (number)');
  });

  it('errbacks TypeError naming an item that is not a Greenlet, and still kills the others', () => {
    const { hub } = makeVirtualHub();
    const g = hub.spawn(function* () {
      yield hub.sleep(1000);
    });
    expect(typeErrorOf(() => killAll([g, 42] as never))).toBe('Expected `greenlets` to be an iterable of Greenlets, got an item `42` (number)');
    expect(g.dead).toBe(true);
  });
});

describe('withTimeout() with bad input', () => {
  it.each([
    ['a number', 42, 'Expected `waitable` to be a Greenlet, Deferred, Promise or thenable, got `42` (number)'],
    ['null', null, 'Expected `waitable` to be a Greenlet, Deferred, Promise or thenable, got `null` (object)'],
    ['an object whose then is not a function', { then: 5 }, 'Expected `waitable` to be a Greenlet, Deferred, Promise or thenable, got `{ then: 5 }` (object)'],
  ])('errbacks TypeError for a waitable that is %s, and starts no timer', (_what, waitable, message) => {
    const { hub, clock } = makeVirtualHub();
    expect(typeErrorOf(() => withTimeout(waitable as never, 10, hub))).toBe(message);
    expect(clock.getDelayedCalls()).toHaveLength(0);
  });

  it('errbacks with what a thenable\'s then getter throws, or its then call throws', () => {
    const { hub } = makeVirtualHub();
    const boom = new Error('boom');
    const getter = withTimeout({ get then(): never { throw boom; } } as never, 10, hub);
    expect(failureResultOf(getter).value).toBe(boom);
    const call = withTimeout({ then: (): never => { throw boom; } } as never, 10, hub);
    expect(failureResultOf(call).value).toBe(boom);
  });
});

describe('Semaphore.run() and Lock.run() with a bad fn', () => {
  it.each([
    ['Semaphore with a token free', () => new Semaphore(1)],
    ['Semaphore with none free', () => new Semaphore(0)],
    ['Lock', () => new Lock()],
  ])('%s: errbacks TypeError at once and takes no token', (_what, make) => {
    const sem = make();
    const before = sem.counter;
    expect(typeErrorOf(() => sem.run(42 as never))).toBe('Expected `fn` to be a function, got `42` (number)');
    expect(sem.counter).toBe(before);
  });
});
