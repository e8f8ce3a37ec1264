import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { CancelledError } from '../../src/errors.js';
import type { TaskStream } from '../../src/stream/task-stream.js';
import * as fx from '../fixtures/stream-tasks.js';
import { built, failureOf, gate, readAll } from '../threads/thread-test-kit.js';

/**
 * A `TaskStream`'s iterator after it threw: as an async generator's, it is over — every later `next()` ends `done`,
 * and a `for await` loop entered again ends at once (SPEC §9: after the error "nothing more is yielded").
 */
describe('TaskStream iteration after it threw', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  /** Calls `next()` `times` times on a fresh iterator of `s`; each outcome: the result, or `{ thrown }`. */
  async function nexts(s: TaskStream<unknown, unknown>, times: number): Promise<unknown[]> {
    const it = s[Symbol.asyncIterator]();
    const seen: unknown[] = [];
    for (let i = 0; i < times; i++) {
      try {
        seen.push(await it.next());
      } catch (error) {
        seen.push({ thrown: (error as Error).name });
      }
    }
    return seen;
  }

  it('ends done on every next() after the task error was thrown (thread route)', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const s = reactor.stream(built(fx.throwAfter), 2);
    expect(await failureOf(s.result)).toBeInstanceOf(RangeError); // every item has arrived
    expect(await nexts(s, 5)).toEqual([
      { value: 0, done: false },
      { value: 1, done: false },
      { thrown: 'RangeError' },
      { value: undefined, done: true },
      { value: undefined, done: true },
    ]);
    expect(await readAll(s)).toEqual({ items: [], thrown: undefined }); // a loop entered again ends at once
  });

  it('throws the error to the reader waiting when the task fails, then ends done (thread route)', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const s = reactor.stream(built(fx.throwAfter), 0);
    const it = s[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toBeInstanceOf(RangeError);
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('ends done after the CancelledError of a cancelled stream was thrown (thread route)', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const s = reactor.stream(built(fx.emitUntilCancelled), gate(1));
    const it = s[Symbol.asyncIterator]();
    await it.next();
    s.cancel();
    await expect(it.next()).rejects.toBeInstanceOf(CancelledError);
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('ends done on every next() after the task error was thrown (green route)', async () => {
    reactor = new Reactor();
    const s = reactor.stream(function* failing(): Generator<unknown, never, unknown> {
      yield 1;
      throw new RangeError('failed in a greenlet');
    });
    const { thrown } = await readAll(s);
    expect(thrown).toBeInstanceOf(RangeError);
    expect(await nexts(s, 2)).toEqual([
      { value: undefined, done: true },
      { value: undefined, done: true },
    ]);
  });
});
