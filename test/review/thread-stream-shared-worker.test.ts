/**
 * Adversarial tests of a thread stream parked in `emit` (its window full, nobody reading) on a worker that also holds
 * other tasks (`threads.concurrentTasksPerWorker` above 1), and of consumers that stop part-way: the parked emit
 * blocks the worker's thread (documented), but a cancel, a throw in the consumer's loop or `stop()` must free it,
 * and the worker's other task must then run or fail by name — nothing hangs.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { CancelledError, ReactorStoppedError } from '../../src/errors.js';
import * as fx from '../fixtures/stream-tasks.js';
import * as tx from '../fixtures/thread-tasks.js';
import { built, gate, reaches, readAll, settled } from '../threads/thread-test-kit.js';

describe('a thread stream parked in emit on a worker shared with another task', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  /**
   * One worker taking two tasks at once: a stream parked at emit #5 (window 4), then a call handed to that worker,
   * which answers its thread id (the worker's, asked first): the same id after a cancel says the parked emit woke and
   * the worker was kept, not killed after its cancel grace and replaced.
   */
  async function parkedBeside(): Promise<{ stream: ReturnType<Reactor['stream']>; call: ReturnType<Reactor['deferToThread']>; threadId: number }> {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2 } } });
    const threadId: number = await reactor.deferToThread(built(tx.workerThreadId));
    const cells = gate(2);
    const stream = reactor.stream(built(fx.countTo), 100, cells);
    await reaches(cells, 1, 5);
    const call = reactor.deferToThread(built(tx.workerThreadId));
    return { stream, call, threadId };
  }

  it('cancel() frees the worker: the stream ends with CancelledError and the other task runs there', async () => {
    const { stream, call, threadId } = await parkedBeside();
    stream.cancel();
    const { thrown } = await readAll(stream);
    expect(thrown).toBeInstanceOf(CancelledError);
    expect(await call).toBe(threadId);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0 });
  });

  it('a consumer that throws in its loop frees the worker: result errbacks CancelledError and the other task runs there', async () => {
    const { stream, call, threadId } = await parkedBeside();
    const result = settled(stream.result);
    const oops = new Error('consumer broke');
    await expect(
      (async () => {
        for await (const item of stream) if (item === 1) throw oops;
      })(),
    ).rejects.toBe(oops);
    const outcome = await result;
    expect(outcome.ok ? outcome.value : outcome.error).toBeInstanceOf(CancelledError);
    expect(await call).toBe(threadId);
  });

  it('stop() ends: the stream and the other task fail with ReactorStoppedError', async () => {
    const { stream, call } = await parkedBeside();
    const result = settled(stream.result);
    const other = settled(call);
    await reactor.stop({ graceMs: 0 });
    const [r, c] = [await result, await other];
    expect(r.ok ? r.value : r.error).toBeInstanceOf(ReactorStoppedError);
    expect(c.ok ? c.value : c.error).toBeInstanceOf(ReactorStoppedError);
  });
});
