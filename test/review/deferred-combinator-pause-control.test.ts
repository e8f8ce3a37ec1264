/**
 * `DeferredList`, `gatherResults` and `race` whose members are paused (by their caller, or waiting on a Deferred a
 * callback of theirs returned) when the combinator is cancelled. Each combinator fires exactly once: at once when
 * the cancellation reaches the member's work (the wait is cancelled), or when a paused member's result is released
 * by `unpause()`; nothing fires twice and nothing is left pending for good.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { CancelledError, Deferred, DeferredList, FirstError, gatherResults, race } from '../../src/index.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';

/** Counts the times `d`'s chain reaches this point. */
function firings(d: Deferred<unknown>): () => number {
  let n = 0;
  d.addBoth((r) => {
    n++;
    return r;
  });
  return () => n;
}

describe('DeferredList', () => {
  it('cancelled while a member that has its result is paused, fires once, with that result, on unpause()', () => {
    const paused = new Deferred<number>();
    paused.callback(1);
    paused.pause();
    const list = new DeferredList([paused, new Deferred<number>()], { consumeErrors: true });
    const fired = firings(list);
    list.cancel();
    assertNoResult(list);
    paused.unpause();
    expect(fired()).toBe(1);
    const entries = successResultOf(list);
    expect(entries[0]).toEqual([true, 1]);
    expect(entries[1]![0]).toBe(false);
  });
});

describe('gatherResults()', () => {
  it('cancelled while a member waits on the Deferred its callback returned, cancels that one and fails once', () => {
    const inner = new Deferred<number>();
    const member = new Deferred<number>();
    member.addCallback(() => inner);
    member.callback(0);
    const gathered = gatherResults([member], true);
    const fired = firings(gathered);
    gathered.cancel();
    expect(inner.called).toBe(true);
    expect(fired()).toBe(1);
    const first = failureResultOf(gathered, FirstError).value as FirstError;
    expect(first.subFailure.check(CancelledError)).toBe(CancelledError);
  });
});

describe('race()', () => {
  it('cancelled while a member is paused before it fired, fires once with CancelledError and ignores its later result', () => {
    const paused = new Deferred<number>();
    paused.pause();
    const raced = race([paused, new Deferred<number>()]);
    const fired = firings(raced);
    raced.cancel();
    expect(fired()).toBe(1);
    failureResultOf(raced, CancelledError);
    paused.unpause();
    expect(fired()).toBe(1);
  });
});
