/**
 * `describeValue`: the one form a validation message shows the value it got in, for hostile values too.
 */
import { describe, expect, it } from '@jest/globals';
import { describeValue } from '../../src/describe-value.js';
import { iteratorResult } from '../../src/iterator-result.js';
import { revokedProxy } from '../helpers/hostile-values.js';

describe('describeValue()', () => {
  it.each([
    ['a number', 0, '`0` (number)'],
    ['a string', 'x', '`x` (string)'],
    ['undefined', undefined, '`undefined` (undefined)'],
    ['null as null, not object', null, '`null` (null)'],
    ['a symbol', Symbol('s'), '`Symbol(s)` (symbol)'],
    ['an object without a primitive conversion', Object.create(null) as object, '`[object Object]` (object)'],
    ['an object whose toString throws', { toString: () => { throw new Error('no'); } }, '`[object Object]` (object)'],
    ['a revoked Proxy', revokedProxy(), '`[object]` (object)'],
  ])('shows %s without throwing', (_, value, shown) => {
    expect(describeValue(value)).toBe(shown);
  });
});

describe('iteratorResult()', () => {
  it('names what next() returned in the one form, null as null', () => {
    expect(() => iteratorResult(Symbol('s'))).toThrow('to return an iterator result object, got `Symbol(s)` (symbol)');
    expect(() => iteratorResult(null)).toThrow('to return an iterator result object, got `null` (null)');
  });
});
