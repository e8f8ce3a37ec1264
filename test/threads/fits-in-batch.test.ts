import { describe, expect, it } from '@jest/globals';
import { fitsInBatch } from '../../src/threads/fits-in-batch.js';

describe('fitsInBatch()', () => {
  it('lets calls with no or small arguments travel in a batch', () => {
    expect(fitsInBatch([], 0)).toBe(true);
    expect(fitsInBatch([1, 'abc', true, null, undefined], 64)).toBe(true);
    expect(fitsInBatch([{ a: 1, b: [1, 2, 3] }], 64)).toBe(true);
  });

  it('sends a call alone once its arguments pass the limit, however they are nested', () => {
    expect(fitsInBatch(['x'.repeat(100)], 99)).toBe(false);
    expect(fitsInBatch([new Uint8Array(200)], 100)).toBe(false);
    expect(fitsInBatch([{ rows: [{ text: 'x'.repeat(60) }, { text: 'y'.repeat(60) }] }], 100)).toBe(false);
    expect(fitsInBatch([new Map([['k', 'v'.repeat(200)]])], 100)).toBe(false);
    expect(fitsInBatch([new Set(['s'.repeat(200)])], 100)).toBe(false);
  });

  it('counts a SharedArrayBuffer as nothing (it is shared, not copied)', () => {
    expect(fitsInBatch([new Int32Array(new SharedArrayBuffer(1 << 16))], 16)).toBe(true);
  });

  it('counts an argument nested deeper than it looks as large', () => {
    expect(fitsInBatch([{ a: { b: { c: { d: { e: 1 } } } } }], 4096)).toBe(false);
  });
});
