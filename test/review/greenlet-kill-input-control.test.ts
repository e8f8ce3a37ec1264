/**
 * Review attacks: `kill(exception)` given a function that is not an exception class — an arrow function, a class
 * whose constructor throws, `Symbol` — through `Greenlet.kill`, `killAll`, `GreenPool.kill` and `Group.kill`. The
 * Deferred errbacks with a named `TypeError` (its `cause` what the construction threw), never a synchronous throw;
 * the greenlet is not killed by bad input, and no greenlet is dropped on the way (a pool's queued greenlets
 * stay queued and still run).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Deferred } from '../../src/deferred/deferred.js';
import { Event } from '../../src/green/event.js';
import { GreenPool } from '../../src/green/green-pool.js';
import { Group } from '../../src/green/group.js';
import { killAll } from '../../src/green/kill-all.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

class ThrowsInConstructor extends Error {
  constructor() {
    super('never made');
    throw new RangeError('the constructor threw');
  }
}

const badExceptions: [string, unknown, string][] = [
  ['an arrow function', () => new Error('x'), 'Expected `exception` to be an error instance or a class constructible without arguments, got `() => new Error(\'x\')` (function)'],
  ['a class whose constructor throws', ThrowsInConstructor, 'Expected `exception` to be an error instance or a class constructible without arguments, got `ThrowsInConstructor` (function)'],
  ['Symbol', Symbol, 'Expected `exception` to be an error instance or a class constructible without arguments, got `Symbol` (function)'],
];

/** Call `f` (which must not throw) and read the TypeError its Deferred already failed with. */
function typeErrorOf(f: () => Deferred<unknown>): TypeError {
  let d: Deferred<unknown> | undefined;
  expect(() => {
    d = f();
  }).not.toThrow();
  const error = failureResultOf(d!).value;
  expect(error).toBeInstanceOf(TypeError);
  return error as TypeError;
}

describe('Greenlet.kill() with an exception that cannot be made', () => {
  it.each(badExceptions)('%s: errbacks a named TypeError; the greenlet runs on', (_, bad, message) => {
    const { hub, errors } = makeVirtualHub();
    const gate = new Event(hub);
    const g = hub.spawn(function* () {
      yield gate.wait();
      return 'done';
    });
    hub.flush();
    const error = typeErrorOf(() => g.kill(bad));
    expect(error.message.startsWith(message)).toBe(true);
    expect(g.dead).toBe(false);
    gate.set();
    hub.flush();
    expect(g.value).toBe('done');
    expect(errors).toEqual([]);
  });

  it('keeps what the constructor threw as the cause', () => {
    const { hub } = makeVirtualHub();
    const g = hub.spawn(function* () {
      yield;
    });
    const error = typeErrorOf(() => g.kill(ThrowsInConstructor));
    expect((error.cause as Error).message).toBe('the constructor threw');
    successResultOf(g.kill());
  });

  it('a greenlet not yet started still starts', () => {
    const { hub } = makeVirtualHub();
    const g = hub.spawn(() => 'ran');
    typeErrorOf(() => g.kill(Symbol));
    hub.flush();
    expect(g.value).toBe('ran');
  });
});

describe('killing many with an exception that cannot be made', () => {
  it('killAll() errbacks the TypeError and leaves the greenlets alive', () => {
    const { hub } = makeVirtualHub();
    const gate = new Event(hub);
    const gs = [1, 2].map(() =>
      hub.spawn(function* () {
        yield gate.wait();
      }),
    );
    hub.flush();
    typeErrorOf(() => killAll(gs, Symbol));
    expect(gs.map((g) => g.dead)).toEqual([false, false]);
    gate.set();
    hub.flush();
    expect(gs.map((g) => g.dead)).toEqual([true, true]);
  });

  it('GreenPool.kill() errbacks the TypeError; its queued greenlets are not dropped: they run when a slot frees', () => {
    const { hub } = makeVirtualHub();
    const pool = new GreenPool(1, hub);
    const gate = new Event(hub);
    pool.spawn(function* () {
      yield gate.wait();
    });
    const queued = pool.spawn(() => 'queued ran');
    hub.flush();
    typeErrorOf(() => pool.kill(Symbol));
    gate.set();
    hub.flush();
    expect(queued.value).toBe('queued ran');
    expect(successResultOf(pool.join())).toBe(true);
  });

  it('Group.kill() errbacks the TypeError; its members run on', () => {
    const { hub } = makeVirtualHub();
    const group = new Group(hub);
    const gate = new Event(hub);
    const g = group.spawn(function* () {
      yield gate.wait();
      return 'done';
    });
    hub.flush();
    typeErrorOf(() => group.kill(Symbol));
    gate.set();
    hub.flush();
    expect(g.value).toBe('done');
  });
});
