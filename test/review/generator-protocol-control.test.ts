/**
 * A hand-written generator object (an object with callable `next` and `throw`: greenreactor's one definition of a
 * generator) whose `next()` returns no iterator result, or whose result's `done` getter throws, on every route that
 * drives generators: the call fails with the named TypeError (or the getter's error) through its Deferred, and nothing
 * escapes as an uncaught exception (on the green route it used to throw out of the hub's turn: the process ended).
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { yieldFrom } from '../../src/green/yield-from.js';
import * as bx from '../fixtures/bad-generator-tasks.js';
import { built, failureOf } from '../threads/thread-test-kit.js';

const notAnIteratorResult = /Expected the generator's next\(\)\/throw\(\) to return an iterator result object, got `undefined`/;

/** Hand-written generator objects that break the protocol at their first step. */
const broken = {
  'next() returns undefined': () => ({ next: (): unknown => undefined, throw: (): unknown => undefined }),
  "the result's done getter throws": () => ({
    next: () => ({
      get done(): boolean {
        throw new RangeError('done getter');
      },
      value: 1,
    }),
    throw: (): unknown => undefined,
  }),
};
const expectedFailure = {
  'next() returns undefined': (e: unknown) => expect(e).toEqual(expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(notAnIteratorResult) })),
  "the result's done getter throws": (e: unknown) => expect(e).toEqual(new RangeError('done getter')),
};

let reactor: Reactor | undefined;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown): void => {
  uncaught.push(error);
};
afterEach(async () => {
  process.off('uncaughtException', onUncaught);
  await reactor?.stop();
  reactor = undefined;
  uncaught.length = 0;
});

describe('a generator object that breaks the iterator protocol', () => {
  it.each(Object.keys(broken) as Array<keyof typeof broken>)('as a greenlet (%s): the greenlet fails through its Deferred, the hub goes on', async (kind) => {
    process.on('uncaughtException', onUncaught);
    reactor = new Reactor();
    const failure = await failureOf(reactor.deferToGreenlet(broken[kind] as () => unknown));
    expectedFailure[kind](failure);
    expect(await reactor.deferToGreenlet(() => 'next one')).toBe('next one');
    expect(uncaught).toEqual([]);
  });

  it.each(Object.keys(broken) as Array<keyof typeof broken>)('delegated to with yieldFrom (%s): the greenlet fails with the error', async (kind) => {
    reactor = new Reactor();
    const failure = await failureOf(
      reactor.deferToGreenlet(function* delegating(): Generator<unknown, unknown, unknown> {
        return yield* yieldFrom(broken[kind]() as unknown as Generator<unknown, unknown, unknown>);
      }),
    );
    expectedFailure[kind](failure);
  });

  it.each(Object.keys(broken) as Array<keyof typeof broken>)('on the inline route under a bulkhead (%s): the call fails and gives its place back', async (kind) => {
    reactor = new Reactor({ policy: { rules: [{ name: 'one', match: { task: 'makeBroken' }, route: 'inline', maxConcurrent: 1 }] } });
    const makeBroken = (): unknown => broken[kind]();
    expectedFailure[kind](await failureOf(reactor.dispatch(makeBroken)));
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 0, waiting: 0 });
  });

  it('returned by a thread task: the call errbacks the TypeError, the worker lives on', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const failure = await failureOf(reactor.deferToThread(built(bx.returnsBrokenGenerator)));
    expect(failure).toEqual(expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(notAnIteratorResult) }));
    expect(reactor.threadPool.stats().crashed).toBe(0);
  });
});
