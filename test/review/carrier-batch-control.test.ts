/**
 * Adversarial tests of context carriers in a coalesced batch: one call whose carrier captured a value that cannot be
 * cloned (a Symbol, a function) must fail alone with `ContextCarrierError` naming the carrier, and its batch-mates,
 * which carry nothing, must each run once; no crash. The same for a value that reads fine everywhere but in the
 * structured clone of the message (a getter that throws only there), alone or in a batch (SPEC §10: a carrier's value
 * must be cloneable; the carrier is at fault, not the task's arguments). And the way back: a call from a worker to the
 * main thread (`blockingCallFromThread`, `callFromThread`) whose carried value the clone refuses throws
 * `ContextCarrierError` naming the carrier in the task (an argument, `DataCloneError` naming its position); nothing is
 * sent, the task may go on and the worker lives.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineContextCarrier, removeContextCarrier } from '../../src/context/context-carrier.js';
import * as cb from '../fixtures/carrier-callback-tasks.js';
import * as tx from '../fixtures/thread-tasks.js';
import { built, settled } from '../threads/thread-test-kit.js';
import { batchAround } from './fixtures/batch-around.js';
import { throwsOnlyInTheClone } from './fixtures/throws-only-in-the-clone.js';

const carrierName = 'review.batchCarrier';
const otherName = 'review.plainCarrier';
const store = new AsyncLocalStorage<unknown>();

describe('a call whose carried value cannot be cloned', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
    removeContextCarrier(carrierName);
    removeContextCarrier(otherName);
  });

  it.each([
    ['a Symbol', () => Symbol('request')],
    ['a function', () => (): number => 1],
    ['a value whose getter throws only in the clone of the message', () => throwsOnlyInTheClone()],
  ])('fails only that call, with ContextCarrierError naming the carrier (%s); each batch-mate runs once', async (_name, make) => {
    defineContextCarrier(carrierName, { capture: () => store.getStore(), restore: (_value, run) => run() });
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
    const { outcomes, runs } = await batchAround(reactor, (cells) => store.run(make(), () => reactor.deferToThread(built(tx.markRan), cells, 4)));
    expect(outcomes.map((o) => (o.ok ? o.value : (o.error as Error).name))).toEqual([0, 1, 2, 3, 'ContextCarrierError', 5, 6, 7, 8]);
    expect(outcomes[4]!.ok ? undefined : outcomes[4]!.error).toMatchObject({ code: 'ERR_CONTEXT_CARRIER', carrier: carrierName });
    expect(Array.from(runs)).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 1]);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, retried: 0 });
  });

  it.each([
    ['coalescing on', true],
    ['coalescing off', false],
  ])('a call sent alone errbacks ContextCarrierError naming the carrier; no crash; the pool serves (%s)', async (_name, coalesce) => {
    // A carrier before it that carries plain data: the one blamed is the one whose value failed, not the first.
    defineContextCarrier(otherName, { capture: () => (store.getStore() === undefined ? undefined : 'plain'), restore: (_value, run) => run() });
    defineContextCarrier(carrierName, { capture: () => store.getStore(), restore: (_value, run) => run() });
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1, ...(coalesce ? {} : { coalesce: false }) } } });
    await reactor.deferToThread(built(tx.add), 0, 0); // the worker is up and idle (nothing carried)
    const outcome = await settled(store.run(throwsOnlyInTheClone(), () => reactor.deferToThread(built(tx.add), 1, 2)));
    expect(outcome.ok ? outcome.value : outcome.error).toMatchObject({ name: 'ContextCarrierError', code: 'ERR_CONTEXT_CARRIER', carrier: carrierName });
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, retried: 0 });
    expect(await reactor.deferToThread(built(tx.add), 2, 3)).toBe(5);
  });

  it.each([
    ['blockingCallFromThread', true],
    ['callFromThread', false],
  ])('%s: a carried value that cannot be cloned throws ContextCarrierError naming the carrier; an argument, DataCloneError naming it', async (_name, wait) => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
    const calls: unknown[][] = [];
    reactor.expose('review.echoBack', (...args: unknown[]) => {
      calls.push(args);
      return args.length;
    });
    const task = built(cb.callBackRefused);
    expect(await reactor.deferToThread(task, 'review.echoBack', 'context-symbol', wait)).toEqual({
      name: 'ContextCarrierError',
      code: 'ERR_CONTEXT_CARRIER',
      carrier: 'review.callbackCarrier',
      argumentIndex: undefined,
    });
    expect(await reactor.deferToThread(task, 'review.echoBack', 'context-getter', wait)).toEqual({
      name: 'ContextCarrierError',
      code: 'ERR_CONTEXT_CARRIER',
      carrier: 'review.callbackCarrier',
      argumentIndex: undefined,
    });
    expect(await reactor.deferToThread(task, 'review.echoBack', 'argument-symbol', wait)).toEqual({
      name: 'DataCloneError',
      code: 'ERR_DATA_CLONE',
      carrier: undefined,
      argumentIndex: 1,
    });
    expect(calls).toEqual([]); // nothing reached the exposed function
    expect(reactor.stats().threads).toMatchObject({ crashed: 0 });
  });
});
