import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import * as fx from '../fixtures/stream-tasks.js';
import { built, gate } from '../threads/thread-test-kit.js';

/** Polls `condition` every 10 ms until it holds (synchronises on the condition; the bound only ends a hang). */
async function waitFor(condition: () => boolean, boundMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > boundMs) throw new Error(`condition still false after ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function rssAfterGc(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

describe('reactor.stream() window on the thread route', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('holds a task whose consumer stopped reading at streamWindow items, with flat memory and its blocked time in stats, then delivers every item in order before the result', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const n = 80;
    const bytes = 1 << 20; // 1 MB an item: without the window the 74 items past it would add ~74 MB
    const cells = gate(2);
    const s = reactor.stream(built(fx.bigItems), n, bytes, cells); // streamWindow: 4
    const it = s[Symbol.asyncIterator]();
    const stats = (): { streamedItems?: number; streamBlockedMs?: number } => reactor.stats().threads.tasks.bigItems ?? {};
    // Nobody reads yet: exactly 4 emits return, the 5th blocks.
    await waitFor(() => Atomics.load(cells, 1) === 5 && (stats().streamBlockedMs ?? 0) > 0);
    expect({ returned: Atomics.load(cells, 0), streamed: stats().streamedItems }).toEqual({ returned: 4, streamed: 4 });
    const first = await it.next();
    const second = await it.next();
    expect([(first.value as Uint8Array)[0], (second.value as Uint8Array)[0]]).toEqual([0, 1]);
    // The consumer stops reading after 2 (before the blocked emit's resume point, all 4 read): the pause lets the
    // blocked emit go with the room there is. Window 4, 2 read: emits 1 … 6 return, emit 7 blocks.
    await waitFor(() => Atomics.load(cells, 1) === 7);
    const rssBlocked = rssAfterGc();
    // Time passes (measured by the blocked time itself): the task stays where it is, and memory stays flat.
    await waitFor(() => (stats().streamBlockedMs ?? 0) >= 300);
    expect({ returned: Atomics.load(cells, 0), called: Atomics.load(cells, 1), streamed: stats().streamedItems }).toEqual({ returned: 6, called: 7, streamed: 6 });
    expect(rssAfterGc() - rssBlocked).toBeLessThan(24 * 1024 * 1024);
    expect(s.result.called).toBe(false);
    // The consumer resumes: every item, in order (a stream that ended takes nothing more, so an item arriving after
    // the result would be missing here).
    const rest: number[] = [];
    for (let next = await it.next(); next.done !== true; next = await it.next()) {
      const item = next.value as Uint8Array;
      if (item.byteLength !== bytes) throw new Error(`item of ${item.byteLength} bytes`);
      rest.push(item[0]!);
    }
    expect(rest).toEqual(Array.from({ length: n - 2 }, (_, i) => (i + 2) & 0xff));
    expect(await s.result).toBe(n);
    expect(stats().streamedItems).toBe(n);
    expect(stats().streamBlockedMs).toBeGreaterThanOrEqual(300);
  }, 120_000);

  it("uses a matching rule's streamWindow over the task's own", async () => {
    reactor = new Reactor({ policy: { rules: [{ name: 'narrow', match: { task: 'countTo' }, route: 'thread', streamWindow: 2 }] } });
    const cells = gate(2);
    const s = reactor.stream(built(fx.countTo), 10, cells); // its own streamWindow: 4
    // Nobody reads: exactly 2 emits return and the third blocks.
    await waitFor(() => Atomics.load(cells, 1) === 3 && (reactor.stats().threads.tasks.countTo?.streamBlockedMs ?? 0) > 0);
    expect(Atomics.load(cells, 0)).toBe(2);
    const items: unknown[] = [];
    for await (const item of s) items.push(item);
    expect(items).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(await s.result).toBe(10);
  });
});
