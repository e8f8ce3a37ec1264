/**
 * Adversarial tests of arguments that cannot cross to a worker: a getter or Proxy trap that throws as the argument
 * is read (by the pool's size estimate, its large-buffer copy, or the clone), and an uncloneable argument among
 * calls that travel together in a coalesced batch. Each must errback its own call with `DataCloneError` naming the
 * argument, never throw from the dispatch, never count as a crash, and leave every other call to run.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import type { Deferred } from '../../src/deferred/deferred.js';
import { DataCloneError } from '../../src/errors.js';
import * as tx from '../fixtures/thread-tasks.js';
import { built, changed, gate, open, settled } from '../threads/thread-test-kit.js';

/** Arguments whose reading throws. */
const hostileArguments: Array<[string, () => unknown]> = [
  [
    'an object with a throwing getter',
    () => ({
      get x(): number {
        throw new RangeError('argument getter broke');
      },
    }),
  ],
  [
    'a revoked Proxy',
    () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    },
  ],
  [
    'a Proxy whose ownKeys trap throws',
    () =>
      new Proxy(
        { a: 1 },
        {
          ownKeys(): never {
            throw new RangeError('ownKeys trap broke');
          },
        },
      ),
  ],
];

/** How each call of `calls` ended: its value, or its error's name. */
async function outcomesOf(calls: Array<Deferred<unknown>>): Promise<unknown[]> {
  const outcomes = await Promise.all(calls.map((d) => settled(d)));
  return outcomes.map((o) => (o.ok ? o.value : (o.error as Error).name));
}

describe('deferToThread() with an argument that throws as it is read', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each(hostileArguments)('of %s, to an idle worker: errbacks DataCloneError naming argument 0, does not throw, no crash', async (_name, make) => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
    await reactor.deferToThread(built(tx.add), 0, 0); // the worker is up and idle
    let call: Deferred<unknown> | undefined;
    expect(() => {
      call = reactor.deferToThread(built(tx.echo), make());
    }).not.toThrow();
    const outcome = await settled(call!);
    expect(outcome.ok ? outcome.value : outcome.error).toBeInstanceOf(DataCloneError);
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({ argumentIndex: 0 });
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, retried: 0 });
  });

  it.each(hostileArguments)('of %s, queued with other calls behind a busy worker: only it fails; the calls around it run', async (_name, make) => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
    const cells = gate(2);
    const blocker = reactor.deferToThread(built(tx.waitForGate), cells, 'blocker');
    await changed(cells); // the only worker is busy: what follows waits in the pool's line
    let calls: Array<Deferred<unknown>> = [];
    expect(() => {
      calls = Array.from({ length: 9 }, (_, i) => (i === 4 ? reactor.deferToThread(built(tx.echo), make()) : reactor.deferToThread(built(tx.add), i, 1)));
    }).not.toThrow();
    open(cells);
    expect(await blocker).toBe('blocker');
    expect(await outcomesOf(calls)).toEqual([1, 2, 3, 4, 'DataCloneError', 6, 7, 8, 9]);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, retried: 0 });
  });
});

/** Arguments structured clone refuses that the pool's size estimate lets into a batch. */
const uncloneableArguments: Array<[string, () => unknown]> = [
  ['a function', () => (): number => 1],
  ['an object with a method', () => ({ total: 3, describe: (): string => 'three' })],
  ['a null-prototype object holding a function', () => Object.assign(Object.create(null) as object, { fn: (): number => 1 })],
  ['a Promise', () => Promise.resolve(1)],
];

describe('a coalesced batch with a call whose argument cannot be cloned', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each(uncloneableArguments)('of %s fails only that call with DataCloneError naming argument 0; its batch-mates run, once each', async (_name, make) => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
    const cells = gate(2);
    const blocker = reactor.deferToThread(built(tx.waitForGate), cells, 'blocker');
    await changed(cells); // the only worker is busy: the calls below wait, then leave together
    const runs = gate(9);
    const calls = Array.from({ length: 9 }, (_, i) =>
      i === 4 ? reactor.deferToThread(built(tx.echo), make()) : reactor.deferToThread(built(tx.markRan), runs, i),
    );
    open(cells);
    expect(await blocker).toBe('blocker');
    const outcomes = await Promise.all(calls.map((d) => settled(d)));
    expect(outcomes.map((o) => (o.ok ? o.value : (o.error as Error).name))).toEqual([0, 1, 2, 3, 'DataCloneError', 5, 6, 7, 8]);
    expect(outcomes[4]!.ok ? undefined : outcomes[4]!.error).toMatchObject({ argumentIndex: 0 });
    expect(Array.from(runs)).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 1]);
    expect(reactor.stats().threads.coalesced).toBeGreaterThan(0);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, retried: 0 });
  });
});
