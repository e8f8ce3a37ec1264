import { describe, it, expect } from '@jest/globals';
import { estimateArgBytes, argBytesMemberLimit } from '../../src/policy/arg-bytes.js';

describe('estimateArgBytes()', () => {
  it.each<[string, unknown[], number]>([
    ['no arguments', [], 0],
    ['an ArrayBuffer by its byteLength', [new ArrayBuffer(100)], 100],
    ['a SharedArrayBuffer by its byteLength', [new SharedArrayBuffer(64)], 64],
    ['a typed array by its byteLength', [new Float64Array(10)], 80],
    ['a typed array view by its own byteLength, not its buffer', [new Uint8Array(new ArrayBuffer(100), 10, 5)], 5],
    ['a DataView by its byteLength', [new DataView(new ArrayBuffer(12))], 12],
    ['a Node Buffer by its byteLength', [Buffer.alloc(33)], 33],
    ['a string by its length', ['hello'], 5],
    ['numbers, booleans and bigints as 8 bytes each', [1, true, 2n], 24],
    ['null and undefined as nothing', [null, undefined], 0],
    ['an array by its direct members', [['ab', new Uint8Array(3), 1]], 13],
    ['a plain object by its direct values', [{ a: 'xyz', b: new ArrayBuffer(7) }], 10],
    ['containers nested deeper as nothing (shallow)', [[['deep string']], { o: { s: 'deep' } }], 0],
    ['a class instance as nothing', [new (class Point { x = 'abc'; })()], 0],
    ['functions and symbols as nothing', [() => 1, Symbol('s')], 0],
    ['several arguments as their sum', ['ab', new Uint8Array(10), [1]], 20],
  ])('counts %s', (_what, args, bytes) => {
    expect(estimateArgBytes(args)).toBe(bytes);
  });

  it(`looks at no more than ${argBytesMemberLimit} members of one container`, () => {
    expect(estimateArgBytes([Array.from({ length: 1000 }, () => 'x')])).toBe(argBytesMemberLimit);
  });
});
