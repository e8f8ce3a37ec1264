import { describe, expect, it } from '@jest/globals';
import { copyLargeBuffers, largeBufferBytes } from '../../src/threads/copy-large-buffers.js';

const min = 1024;

describe('copyLargeBuffers()', () => {
  it('copies a large view and its whole buffer, keeping kind, offset and length, and moves only the copy', () => {
    const buffer = new ArrayBuffer(min + 32);
    new Uint8Array(buffer).fill(3);
    const view = new Float64Array(buffer, 8, 4);
    const copied = copyLargeBuffers([view, 7, 'x'], min)!;
    expect(copied).toBeDefined();
    const sent = copied.args[0] as Float64Array;
    expect(sent).toBeInstanceOf(Float64Array);
    expect(sent.buffer).not.toBe(buffer);
    expect([sent.byteOffset, sent.length, sent.buffer.byteLength]).toEqual([8, 4, min + 32]);
    expect(new Uint8Array(sent.buffer)).toEqual(new Uint8Array(buffer));
    expect(copied.args.slice(1)).toEqual([7, 'x']);
    expect(copied.transferList).toEqual([sent.buffer]);
    expect(buffer.byteLength).toBe(min + 32); // the caller's buffer is left alone
  });

  it('gives views over one buffer one copy, and copies a plain ArrayBuffer argument', () => {
    const buffer = new ArrayBuffer(min);
    const a = new Uint8Array(buffer, 0, 4);
    const b = new DataView(buffer, 4, 4);
    const copied = copyLargeBuffers([a, b, new ArrayBuffer(2 * min)], min)!;
    const [sa, sb, sc] = copied.args as [Uint8Array, DataView, ArrayBuffer];
    expect(sa.buffer).toBe(sb.buffer);
    expect(sb).toBeInstanceOf(DataView);
    expect([sb.byteOffset, sb.byteLength]).toEqual([4, 4]);
    expect(sc).toBeInstanceOf(ArrayBuffer);
    expect(copied.transferList).toEqual([sa.buffer, sc]);
  });

  it('sends a Buffer as the Uint8Array a clone would make', () => {
    const copied = copyLargeBuffers([Buffer.alloc(min, 1)], min)!;
    expect(Object.getPrototypeOf(copied.args[0])).toBe(Uint8Array.prototype);
  });

  it('leaves shared memory shared', () => {
    const shared = new Int32Array(new SharedArrayBuffer(4));
    const copied = copyLargeBuffers([new Uint8Array(min), shared], min)!;
    expect(copied.args[1]).toBe(shared);
    expect(copied.transferList).toHaveLength(1);
  });

  it('copies from 512 KiB up when called as ThreadTaskRun.start() calls it (the arguments alone, the default threshold)', () => {
    expect(largeBufferBytes).toBe(512 * 1024);
    expect(copyLargeBuffers([new Uint8Array(largeBufferBytes), 1])?.transferList).toHaveLength(1);
    expect(copyLargeBuffers([new ArrayBuffer(largeBufferBytes)])?.transferList).toHaveLength(1);
    // A small view over a buffer of 512 KiB: what counts is the buffer a clone would copy whole.
    expect(copyLargeBuffers([new Int16Array(new ArrayBuffer(largeBufferBytes), 2, 3)])?.transferList).toHaveLength(1);
    expect(copyLargeBuffers([new Uint8Array(largeBufferBytes - 1), 1])).toBeUndefined();
    expect(copyLargeBuffers([new ArrayBuffer(largeBufferBytes - 1)])).toBeUndefined();
  });

  it.each([
    ['small buffers only', [new Uint8Array(min - 1), 1]],
    ['no buffer', [1, 'two', null, undefined]],
    ['an object argument (a buffer inside it would lose its identity)', [new Uint8Array(min), { a: 1 }]],
    ['a function argument (the clone refuses it, as before)', [new Uint8Array(min), () => 1]],
    ['a resizable buffer', [new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(min, { maxByteLength: 2 * min })]],
    ['a shared buffer only', [new Uint8Array(new SharedArrayBuffer(2 * min))]],
  ])('clones as before with %s', (_, args) => {
    expect(copyLargeBuffers(args as unknown[], min)).toBeUndefined();
  });
});
