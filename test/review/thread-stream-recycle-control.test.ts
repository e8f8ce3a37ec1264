import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { ReactorStoppedError } from '../../src/errors.js';
import * as fx from '../fixtures/stream-tasks.js';
import { built, settled } from '../threads/thread-test-kit.js';

/** Streams on a pool that replaces each worker after every task (`recycle.maxTasks: 1`), items in flight. */
describe('reactor.stream() on a pool that recycles every worker after one task', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('delivers every item of concurrent streams, in order, and each result, round after round', async () => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 2, recycle: { maxTasks: 1 } } } });
    for (let round = 0; round < 3; round++) {
      // A narrow window (its emit blocks: credit and rings) and a wide one (its later items on the stream's own port).
      const streams = [0, 1, 2, 3].map((id) => reactor.stream(built(id % 2 === 0 ? fx.taggedNarrow : fx.taggedWide), id, 50));
      const seen = await Promise.all(
        streams.map(async (s) => {
          const items: unknown[] = [];
          for await (const item of s) items.push(item);
          return { items, result: await settled(s.result) };
        }),
      );
      seen.forEach(({ items, result }, id) => {
        expect(items).toEqual(Array.from({ length: 50 }, (_, k) => [id, k]));
        expect(result).toEqual({ ok: true, value: id });
      });
    }
    expect(reactor.threadPool.stats().recycledWorkers).toBeGreaterThanOrEqual(12);
  });

  it.each([0, 50])('ends every stream in flight, started or queued, when the reactor stops (graceMs %i); stop() ends', async (graceMs) => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 2, recycle: { maxTasks: 1 } } } });
    const streams = [0, 1, 2, 3].map((id) => reactor.stream(built(fx.taggedNarrow), id, 1000)); // two wait for a worker
    const iterators = streams.map((s) => s[Symbol.asyncIterator]());
    await Promise.all(iterators.slice(0, 2).map((it) => it.next())); // both running, their emits blocked
    const stopping = reactor.stop({ graceMs });
    const ends = await Promise.all(
      iterators.map(async (it) => {
        try {
          for (;;) if ((await it.next()).done === true) return 'done';
        } catch (error) {
          return (error as Error).name;
        }
      }),
    );
    const results = await Promise.all(streams.map((s) => settled(s.result)));
    await stopping;
    results.forEach((result, id) => {
      // A running stream read on to its end within the grace succeeded; anything else ended with the stop.
      if (ends[id] === 'done') expect(result).toEqual({ ok: true, value: id });
      else expect(result.ok === false && result.error).toBeInstanceOf(ReactorStoppedError);
    });
    expect(ends.slice(2)).toEqual(['ReactorStoppedError', 'ReactorStoppedError']); // queued: never ran
    expect(ends.every((end) => end === 'done' || end === 'ReactorStoppedError')).toBe(true);
  });
});
