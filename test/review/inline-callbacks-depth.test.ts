/**
 * `inlineCallbacks` generators nested thousands deep, each waiting on the Deferred of the next. SPEC §1: chains of
 * any length run iteratively, and cancelling the outer Deferred cancels the one being waited on and throws the
 * outcome into the generator. Both directions used to recurse once per level (a finished generator fired its
 * Deferred from inside the handler that resumed it, and each canceller called `cancel()` on the next level), so
 * about 2,000 levels failed the outer Deferred with `RangeError`.
 *
 * @module
 */
import { describe, expect, it, jest } from '@jest/globals';
import { CancelledError, Deferred, inlineCallbacks } from '../../src/index.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

/** Far deeper than the JavaScript stack allows for a few frames per level. */
const depth = 20_000;

/**
 * `levels` nested generators over `bottom`, built from the bottom up (the test must not recurse to build them);
 * `seen` gets each level's outcome as it comes out of its wait. Returns the outermost level's Deferred.
 */
function nested(bottom: Deferred<number>, levels: number, seen: string[]): Deferred<number> {
  const level = inlineCallbacks(function* (k: number, inner: Deferred<number>): Generator<unknown, number, number> {
    try {
      const n: number = yield inner;
      seen.push(`ok ${k}`);
      return n + 1;
    } catch (error) {
      seen.push(`${(error as Error).name} ${k}`);
      throw error;
    }
  });
  let d = bottom;
  for (let k = 0; k < levels; k++) d = level(k, d);
  return d;
}

describe('inlineCallbacks()', () => {
  it(`resumes ${depth.toLocaleString('en-US')} nested generators once each, innermost first, when the bottom fires`, () => {
    const bottom = new Deferred<number>();
    const seen: string[] = [];
    const top = nested(bottom, depth, seen);
    expect(() => bottom.callback(0)).not.toThrow();
    expect(successResultOf(top)).toBe(depth);
    expect(seen).toEqual(Array.from({ length: depth }, (_, i) => `ok ${i}`));
  });

  it(`cancelling the outer of ${depth.toLocaleString('en-US')} nested generators cancels the bottom once and fails every level with CancelledError`, () => {
    const canceller = jest.fn<(d: Deferred<number>) => void>();
    const bottom = new Deferred<number>(canceller);
    const seen: string[] = [];
    const top = nested(bottom, depth, seen);
    expect(() => top.cancel()).not.toThrow();
    expect(canceller).toHaveBeenCalledTimes(1);
    failureResultOf(top, CancelledError);
    expect(seen).toEqual(Array.from({ length: depth }, (_, i) => `CancelledError ${i}`));
  });

  it(`cancelling the outer of ${depth.toLocaleString('en-US')} nested generators waiting on a Promise abandons it with CancelledError`, async () => {
    let resolve!: (n: number) => void;
    const promise = new Promise<number>((r) => (resolve = r));
    const bottom = Deferred.fromPromise(promise);
    const seen: string[] = [];
    const top = nested(bottom, depth, seen);
    top.cancel();
    failureResultOf(top, CancelledError);
    resolve(5);
    await promise;
    failureResultOf(top, CancelledError);
    expect(seen).toHaveLength(depth);
  });
});
