/**
 * A combinator given the same Deferred at two positions. `race` consumes its members' results (their chains go on
 * with `undefined`), and so does a `DeferredList` with `consumeErrors` for a failure, so the second handler on a
 * Deferred listed twice used to see `undefined` as a success: a race whose every member failed fired with
 * `[2, undefined]`, and the list recorded `[true, undefined]`. Each position now has the outcome of its Deferred.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Deferred, DeferredList, FailureGroup, race } from '../../src/index.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

describe('race', () => {
  it('errbacks with FailureGroup, one failure per position, when a Deferred listed twice fails', () => {
    const d = new Deferred<string>();
    const other = new Deferred<string>();
    const raced = race([d, other, d]);
    const [boom, otherError] = [new Error('boom'), new Error('other')];
    d.errback(boom);
    other.errback(otherError);
    const group = failureResultOf(raced, FailureGroup).value as FailureGroup;
    expect(group.failures.map((f) => f.value)).toEqual([boom, otherError, boom]);
  });

  it('fires with the first position of a Deferred listed twice that succeeds, and cancels the others', () => {
    const d = new Deferred<string>();
    const other = new Deferred<string>();
    const raced = race([other, d, d]);
    d.callback('won');
    expect(successResultOf(raced)).toEqual([1, 'won']);
    expect(other.called).toBe(true); // cancelled (its result, like every member's, is consumed by the race)
  });
});

describe('DeferredList', () => {
  it.each([
    ['fails later', false],
    ['had failed already', true],
  ])('with consumeErrors, records a failure at every position of a Deferred listed twice that %s', (_, early) => {
    const d = new Deferred<string>();
    const boom = new Error('boom');
    if (early) d.errback(boom);
    const list = new DeferredList([d, firedWith('b'), d], { consumeErrors: true });
    if (!early) d.errback(boom);
    const entries = successResultOf(list);
    expect(entries.map(([ok, value]) => (ok ? value : (value as { value: unknown }).value))).toEqual([boom, 'b', boom]);
    expect(entries.map(([ok]) => ok)).toEqual([false, true, false]);
  });
});

function firedWith(value: string): Deferred<string> {
  const d = new Deferred<string>();
  d.callback(value);
  return d;
}
