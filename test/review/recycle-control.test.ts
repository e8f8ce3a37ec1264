import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import * as fx from '../fixtures/stream-tasks.js';
import { built } from '../threads/thread-test-kit.js';

async function readAll(stream: AsyncIterable<unknown>): Promise<unknown[]> {
  const items: unknown[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

describe('threads.recycle with streams in flight, on real workers', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('maxTasks 1: every stream of 40 (each retiring its worker) delivers all its items and its result; none fails, no crash counted', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 2, recycle: { maxTasks: 1 } } } });
    const task = built(fx.taggedWide);
    const runs = 40;
    const streams = Array.from({ length: runs }, (_, id) => reactor.stream(task, id, 40));
    // Read only once result fired: the items must all have arrived by then.
    const results = await Promise.all(streams.map((s) => s.result));
    expect(results).toEqual(Array.from({ length: runs }, (_, id) => id));
    for (let id = 0; id < runs; id++) expect(await readAll(streams[id]!)).toEqual(Array.from({ length: 40 }, (_, i) => [id, i]));
    const stats = reactor.stats().threads;
    expect(stats.crashed).toBe(0);
    expect(stats.failed).toBe(0);
    expect(stats.recycledWorkers).toBeGreaterThanOrEqual(runs - 2);
  }, 60_000);

  it('maxTasks 1 with short streams (items on parentPort only): every item arrives before result', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 2, recycle: { maxTasks: 1 } } } });
    const task = built(fx.tagged);
    const runs = 40;
    const streams = Array.from({ length: runs }, (_, id) => reactor.stream(task, id, 10));
    const results = await Promise.all(streams.map((s) => s.result));
    expect(results).toEqual(Array.from({ length: runs }, (_, id) => id));
    for (let id = 0; id < runs; id++) expect(await readAll(streams[id]!)).toEqual(Array.from({ length: 10 }, (_, i) => [id, i]));
    expect(reactor.stats().threads.crashed).toBe(0);
  }, 60_000);
});
