import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { ensureDeferred } from '../../src/deferred/ensure-deferred.js';
import { succeed } from '../../src/deferred/succeed.js';
import { successResultOf } from '../helpers/deferred-results.js';

describe('ensureDeferred()', () => {
  it('returns a Deferred as the same object', () => {
    const d = new Deferred<number>();
    expect(ensureDeferred(d)).toBe(d);
  });

  it('turns a Promise into a Deferred', async () => {
    const d = ensureDeferred(Promise.resolve(3));
    expect(d).toBeInstanceOf(Deferred);
    await expect(d).resolves.toBe(3);
  });

  it('turns a plain thenable into a Deferred', () => {
    const d = ensureDeferred({ then: (ok: (v: string) => void) => ok('thenable') } as PromiseLike<string>);
    expect(successResultOf(d)).toBe('thenable');
  });

  it('drives a generator object like inlineCallbacks', () => {
    function* gen(): Generator<unknown, number, number> {
      const a = yield succeed(1);
      const b = yield succeed(2);
      return a + b;
    }
    expect(successResultOf(ensureDeferred(gen()))).toBe(3);
  });

  it.each([
    ['a number', 5],
    ['a plain object', { x: 1 }],
    ['a function', () => 1],
    ['undefined', undefined],
  ])('throws TypeError for %s', (_label, value) => {
    expect(() => ensureDeferred(value as never)).toThrow(TypeError);
  });
});
