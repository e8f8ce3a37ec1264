/**
 * Adversarial tests of a plain (not coalesced) thread call whose message fails its structured clone only as it is
 * posted: an argument whose getter reads fine for the pool's size estimate and for any later check, but throws inside
 * the clone (it looks at its stack). Nothing was sent, so it is a `DataCloneError`, not a worker death to requeue.
 * With a `transfer` list too: the worker is alive and the listed buffers stay the caller's (a clone that fails
 * detaches nothing), so the truthful error is still `DataCloneError` naming the argument, not `WorkerCrashedError`.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { DataCloneError } from '../../src/errors.js';
import * as tx from '../fixtures/thread-tasks.js';
import * as fx from '../fixtures/stream-tasks.js';
import { throwsOnlyInTheClone } from './fixtures/throws-only-in-the-clone.js';
import { built, readAll, settled } from '../threads/thread-test-kit.js';

describe('a plain thread call whose message fails its clone only as it is posted', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each([
    ['to an idle worker', true],
    ['coalescing off', false],
  ])('errbacks DataCloneError, no crash, no requeue to a worker death (%s)', async (_name, coalesce) => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1, ...(coalesce ? {} : { coalesce: false }) } } });
    await reactor.deferToThread(built(tx.add), 0, 0); // the worker is up and idle
    const bad = throwsOnlyInTheClone();
    const outcome = await settled(reactor.deferToThread(built(tx.echo), bad));
    expect(outcome.ok ? outcome.value : outcome.error).toBeInstanceOf(DataCloneError);
    // Named although it clones fine when tried again: its clone mark says where the clone stopped.
    expect(outcome.ok ? outcome.value : outcome.error).toMatchObject({ task: 'echo', argumentIndex: 0 });
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, retried: 0 });
    expect(await reactor.deferToThread(built(tx.add), 2, 3)).toBe(5); // the pool still serves
  });

  it.each([
    ['coalescing on', true],
    ['coalescing off', false],
  ])('with a transfer list: errbacks DataCloneError naming the argument, the buffer stays attached, no crash (%s)', async (_name, coalesce) => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1, ...(coalesce ? {} : { coalesce: false }) } } });
    await reactor.deferToThread(built(tx.add), 0, 0);
    const buffer = new ArrayBuffer(8);
    new Uint8Array(buffer).fill(1);
    const sumBytes = built(tx.sumBytes) as unknown as Parameters<Reactor['deferToThread']>[0];
    const outcome = await settled(reactor.deferToThread(sumBytes, buffer, throwsOnlyInTheClone()));
    expect(outcome.ok ? outcome.value : outcome.error).toMatchObject({ name: 'DataCloneError', code: 'ERR_DATA_CLONE', argumentIndex: 1 });
    expect(buffer.byteLength).toBe(8); // nothing moved
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, retried: 0 });
    expect(await reactor.deferToThread(built(tx.sumBytes), buffer)).toBe(8); // the same buffer can be sent, the pool serves
  });

  it('reactor.stream() of such an argument: the iteration throws DataCloneError and result errbacks it, no crash', async () => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
    await reactor.deferToThread(built(tx.add), 0, 0);
    const s = reactor.stream(built(fx.countTo), throwsOnlyInTheClone() as never);
    const result = settled(s.result);
    const { items, thrown } = await readAll(s);
    expect(items).toEqual([]);
    expect(thrown).toBeInstanceOf(DataCloneError);
    const outcome = await result;
    expect(outcome.ok ? outcome.value : outcome.error).toBeInstanceOf(DataCloneError);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, retried: 0 });
  });
});
