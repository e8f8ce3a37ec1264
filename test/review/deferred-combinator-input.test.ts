/**
 * Bad input to the combinators (`DeferredList`, `gatherResults`, `race`): a list that is not iterable, an iterator
 * that throws, a member that is not a Deferred (a Promise, a number, a revoked Proxy). Each must give a clear
 * `TypeError` through the returned Deferred, not a crash out of the call with whatever the first method call on
 * the bad member happened to throw, and must leave the good members alone (no handler added, nothing cancelled).
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Deferred, DeferredList, gatherResults, race } from '../../src/index.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { revokedProxy } from '../helpers/hostile-values.js';

const combinators: Array<[string, (list: Iterable<Deferred<number>>) => Deferred<unknown>]> = [
  ['new DeferredList()', (list) => new DeferredList(list)],
  ['gatherResults()', (list) => gatherResults(list)],
  ['race()', (list) => race(list)],
];

describe.each(combinators)('%s with bad input', (_name, combine) => {
  it.each([
    ['a number', 1, /`deferreds\[1\]` to be a Deferred, got `1` \(number\)/],
    ['a Promise', Promise.resolve(1), /`deferreds\[1\]` to be a Deferred, got .*Deferred\.fromPromise/],
    ['a revoked Proxy', revokedProxy(), /`deferreds\[1\]` to be a Deferred/],
  ])('errbacks with TypeError for a member that is %s, leaving the good members untouched', (_kind, bad, message) => {
    const good = new Deferred<number>();
    let d: Deferred<unknown> | undefined;
    expect(() => {
      d = combine([good, bad as Deferred<number>]);
    }).not.toThrow();
    expect(failureResultOf(d!, TypeError).getErrorMessage()).toMatch(message);
    good.callback(5);
    expect(successResultOf(good)).toBe(5); // no combinator handler consumed or changed its result
  });

  it('errbacks with TypeError when the list is not iterable', () => {
    let d: Deferred<unknown> | undefined;
    expect(() => {
      d = combine(null as unknown as Iterable<Deferred<number>>);
    }).not.toThrow();
    expect(failureResultOf(d!, TypeError).getErrorMessage()).toMatch(/`deferreds` to be an iterable of Deferreds, got `null`/);
  });

  it('errbacks with the error the list\'s iterator throws', () => {
    const list: Iterable<Deferred<number>> = {
      *[Symbol.iterator]() {
        yield new Deferred<number>();
        throw new RangeError('iterator broke');
      },
    };
    let d: Deferred<unknown> | undefined;
    expect(() => {
      d = combine(list);
    }).not.toThrow();
    expect(failureResultOf(d!, RangeError).getErrorMessage()).toBe('iterator broke');
  });
});
