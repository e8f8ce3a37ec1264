/**
 * Adversarial tests of context carriers in a coalesced batch: one call whose carrier captured a value that cannot be
 * cloned (a Symbol, a function) must fail alone with `ContextCarrierError` naming the carrier, and its batch-mates,
 * which carry nothing, must each run once; no crash.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineContextCarrier, removeContextCarrier } from '../../src/context/context-carrier.js';
import * as tx from '../fixtures/thread-tasks.js';
import { built } from '../threads/thread-test-kit.js';
import { batchAround } from './fixtures/batch-around.js';

const carrierName = 'review.batchCarrier';
const store = new AsyncLocalStorage<unknown>();

describe('a coalesced batch with a call whose carried value cannot be cloned', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
    removeContextCarrier(carrierName);
  });

  it.each([
    ['a Symbol', () => Symbol('request')],
    ['a function', () => (): number => 1],
  ])('fails only that call, with ContextCarrierError naming the carrier (%s); each batch-mate runs once', async (_name, make) => {
    defineContextCarrier(carrierName, { capture: () => store.getStore(), restore: (_value, run) => run() });
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
    const { outcomes, runs } = await batchAround(reactor, (cells) => store.run(make(), () => reactor.deferToThread(built(tx.markRan), cells, 4)));
    expect(outcomes.map((o) => (o.ok ? o.value : (o.error as Error).name))).toEqual([0, 1, 2, 3, 'ContextCarrierError', 5, 6, 7, 8]);
    expect(outcomes[4]!.ok ? undefined : outcomes[4]!.error).toMatchObject({ code: 'ERR_CONTEXT_CARRIER', carrier: carrierName });
    expect(Array.from(runs)).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 1]);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, retried: 0 });
  });
});
