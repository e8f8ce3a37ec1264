/**
 * `reactor.stop()` while eight thread streams are being read and their workers recycle (SPEC §9 with §3's stop and
 * §7's `threads.recycle`): every item is delivered once, in order, or the stream fails; none hangs.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import * as fx from '../fixtures/stream-tasks.js';
import { built } from '../threads/thread-test-kit.js';
import { nextTurn } from '../helpers/next-turn.js';

describe('reactor.stop() while thread streams are read, workers recycled (maxTasks 2), on real workers', () => {
  it.each([0, 50])('stop({ graceMs: %i }) mid-read: each stream yields a prefix of its items, each once and in order, then ends done or with ReactorStoppedError, as its result does', async (graceMs) => {
    const reactor = new Reactor({ policy: { threads: { maxThreads: 2, recycle: { maxTasks: 2 } } } });
    const task = built(fx.tagged);
    const streams = Array.from({ length: 8 }, (_, id) => reactor.stream(task, id, 500));
    const reads = streams.map(async (s) => {
      const items: unknown[] = [];
      try {
        for await (const item of s) {
          items.push(item);
          if (items.length % 50 === 0) await nextTurn();
        }
      } catch (error) {
        return { items, end: (error as Error).name };
      }
      return { items, end: 'done' };
    });
    const first = await Promise.race(reads);
    expect(first.items.length).toBeGreaterThan(0);
    await reactor.stop({ graceMs });
    const all = await Promise.all(reads);
    all.forEach((r, id) => {
      expect(r.items).toEqual(Array.from({ length: r.items.length }, (_, i) => [id, i]));
      if (r.end === 'done') expect(r.items.length).toBe(500);
      else expect(r.end).toBe('ReactorStoppedError');
    });
    const results = await Promise.all(streams.map((s) => s.result.then((v) => v, (e: Error) => e.name)));
    results.forEach((r, id) => expect([id, 'ReactorStoppedError']).toContain(r));
  }, 60_000);
});
