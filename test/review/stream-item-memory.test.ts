/**
 * Adversarial tests of thread stream items that carry memory: buffers a task marks to move (`transferResult`),
 * shared memory, and items whose clone throws hostile values. Nothing may be lost silently, the item must arrive as
 * what it is, and a refusal is a named error thrown into the task.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import * as sx from '../fixtures/stream-review-tasks.js';
import { built } from '../threads/thread-test-kit.js';
import { drain } from '../stream/stream-test-kit.js';

/** Whether `item` holds the bytes `0, 1, … size-1` (mod 256), as a buffer or a view of one. */
function counted(item: unknown, size: number): boolean {
  const bytes = item instanceof ArrayBuffer ? new Uint8Array(item) : ArrayBuffer.isView(item) ? new Uint8Array(item.buffer, item.byteOffset, item.byteLength) : undefined;
  return bytes !== undefined && bytes.length === size && bytes.every((b, i) => b === i % 256);
}

describe('reactor.stream() items carrying memory, on real workers', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each([
    ['on parentPort (a short stream)', 3],
    ['on the stream\'s own port (past its window)', 40],
  ])('delivers an item marked with transferResult as its buffer, moved, not an empty object (%s)', async (_where, count) => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const s = reactor.stream(built(sx.emitMovedBuffers), count, 1024);
    const items = await drain(s);
    expect(items).toHaveLength(count);
    expect(items.filter((item) => !counted(item, 1024))).toEqual([]);
    expect(items.map((item) => (item instanceof ArrayBuffer ? 'buffer' : 'view'))).toEqual(
      Array.from({ length: count }, (_, i) => (i % 2 === 0 ? 'view' : 'buffer')),
    );
    expect(await s.result).toEqual(Array.from({ length: count }, () => 0)); // moved: the task's copies are detached
  });

  it('shares a large shared-memory argument and its items both ways: a write after emit shows in every item and in the caller\'s', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const cells = new Int32Array(new SharedArrayBuffer(1 << 20)); // past the size from which arguments are copied to move
    const s = reactor.stream(built(sx.emitSharedCells), cells, 40);
    const items = await drain(s);
    expect(await s.result).toBe(40);
    expect(items).toHaveLength(40);
    // (Each message makes its own SharedArrayBuffer object over the one memory: compared by what they read.)
    expect(items.filter((item) => ArrayBuffer.isView(item) && Atomics.load(item as Int32Array, 1) === 7)).toHaveLength(40);
    expect(Atomics.load(cells, 1)).toBe(7); // the caller's own memory too
    Atomics.store(cells, 0, 3);
    expect(items.filter((item) => Atomics.load(item as Int32Array, 0) === 3)).toHaveLength(40);
  });

  it.each<['null' | 'hostile']>([['null'], ['hostile']])('throws DataCloneError into the task for an item whose getter throws %s', async (kind) => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const s = reactor.stream(built(sx.emitThrowingGetter), kind);
    expect(await drain(s)).toEqual([]);
    expect(await s.result).toEqual({ name: 'DataCloneError', code: 'ERR_DATA_CLONE' });
  });
});
