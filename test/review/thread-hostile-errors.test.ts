/**
 * Adversarial tests of errors crossing the thread boundary: a task that throws a value no ordinary code can
 * describe (no prototype and uncloneable, a property or `code` that is both, a throwing `message` getter, a revoked
 * Proxy), or returns a value whose getters or Proxy traps throw as it is cloned. The call must errback once with an
 * error that says what happened, the worker must live on, and nothing may be retried (the task ran).
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { DataCloneError, WorkerCrashedError } from '../../src/errors.js';
import * as rx from '../fixtures/thread-review-tasks.js';
import * as tx from '../fixtures/thread-tasks.js';
import { built, failureOf, gate, settled } from '../threads/thread-test-kit.js';

/** Each hostile value, and what the call's failure must look like (described with `String()`'s fallback). */
const kinds: Array<[rx.HostileKind, (error: any) => void]> = [
  ['null-prototype value', (error) => expect(error).toBe('[object Object]')],
  ['unprintable property', (error) => expect(error).toMatchObject({ message: 'with a bad property', detail: '[object Object]' })],
  ['unprintable code', (error) => expect(error).toMatchObject({ message: 'with a bad code', code: '[object Object]' })],
  ['throwing message getter', (error) => expect(error.message).toBe('<message unreadable: RangeError: message getter broke>')],
  ['unprintable name', (error) => expect(error).toMatchObject({ message: 'with a bad name', name: '[object Object]' })],
  ['revoked proxy', (error) => expect(error).toBe('[object]')],
];

describe('deferToThread() of a task that throws a hostile value', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each(kinds.flatMap(([kind, check]): Array<[rx.HostileKind, boolean, (error: any) => void]> => [[kind, false, check], [kind, true, check]]))(
    'a %s (async: %s) errbacks with it, described; not as a crash: the worker lives on, no crash counted, no retry',
    async (kind, async, check) => {
      reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
      const before = await reactor.deferToThread(built(tx.workerThreadId));
      const counter = gate(1);
      const error = await failureOf(reactor.deferToThread(built(rx.throwHostile), counter, kind, async));
      expect(error).not.toBeInstanceOf(WorkerCrashedError);
      check(error);
      expect(Atomics.load(counter, 0)).toBe(1);
      expect(reactor.stats().threads).toMatchObject({ crashed: 0, retried: 0 });
      expect(await reactor.deferToThread(built(tx.workerThreadId))).toBe(before);
    },
  );
});

describe('deferToThread() of a task whose result throws as it is read', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  const results: Array<[rx.HostileResult, string]> = [
    ['throwing getter', '(result: an object whose properties cannot be read (RangeError: total getter broke))'],
    ['throwing ownKeys proxy', '(result: an object whose properties cannot be read (RangeError: ownKeys trap broke))'],
    ['nested throwing getter', '(result.rows.1: an object whose properties cannot be read (RangeError: deep getter broke))'],
  ];

  it.each(results.flatMap(([kind, where]): Array<[rx.HostileResult, boolean, string]> => [[kind, false, where], [kind, true, where]]))(
    'a %s (async: %s) errbacks DataCloneError naming the task and where; not as a crash: the worker lives on, no retry',
    async (kind, async, where) => {
      reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
      const before = await reactor.deferToThread(built(tx.workerThreadId));
      const counter = gate(1);
      const error = await failureOf(reactor.deferToThread(built(rx.returnHostile), counter, kind, async));
      expect(error).toBeInstanceOf(DataCloneError);
      expect(error.message).toContain('The result of task `returnHostile` could not be cloned');
      expect(error.message).toContain(where);
      expect(Atomics.load(counter, 0)).toBe(1);
      expect(reactor.stats().threads).toMatchObject({ crashed: 0, retried: 0 });
      expect(await reactor.deferToThread(built(tx.workerThreadId))).toBe(before);
    },
  );

  it('inside a coalesced batch fails only that call; its batch-mates keep their results', async () => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
    await reactor.deferToThread(built(tx.workerThreadId)); // the worker is up: the calls below queue and batch
    const counter = gate(1);
    const calls = Array.from({ length: 20 }, (_, i) =>
      i === 10 ? reactor.deferToThread(built(rx.returnHostile), counter, 'throwing getter', false) : reactor.deferToThread(built(tx.add), i, 1),
    );
    const outcomes = await Promise.all(calls.map((d) => settled(d)));
    expect(outcomes.map((o) => (o.ok ? o.value : (o.error as Error).name))).toEqual(
      Array.from({ length: 20 }, (_, i) => (i === 10 ? 'DataCloneError' : i + 1)),
    );
    expect(reactor.stats().threads.coalesced).toBeGreaterThan(10);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, retried: 0 });
  });
});
