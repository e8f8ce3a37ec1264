/**
 * Review attacks: a Deferred that fires with a revoked Proxy (every trap throws, `instanceof` too) inside the
 * Deferred combinators and helpers that sort a result from a `Failure`. Each must treat it as the success value it
 * is (a brand check, never `instanceof`), and fire exactly once.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { DeferredList } from '../../src/deferred/deferred-list.js';
import { gatherResults } from '../../src/deferred/gather-results.js';
import { successResultOf } from '../helpers/deferred-results.js';
import { revokedProxy } from '../helpers/hostile-values.js';

/**
 * Handles what `member` holds at the end of a test: the combinator's handler hands the proxy on, so the member's own
 * chain reads its `then` and holds that `TypeError`; unhandled, it is reported when collected, which can be after
 * this file ended ("Cannot log after tests are done", and Jest then exits 1).
 */
function settled(member: Deferred<unknown>): void {
  member.addErrback(() => undefined);
}

describe('a member that fires with a revoked Proxy', () => {
  it('DeferredList fires once, with the proxy recorded as a success', () => {
    const member = new Deferred<unknown>();
    const proxy = revokedProxy();
    const list = new DeferredList([member]);
    member.callback(proxy);
    const entries = successResultOf(list);
    expect(entries).toHaveLength(1);
    expect(entries[0]![0]).toBe(true);
    expect(entries[0]![1]).toBe(proxy);
    settled(member);
  });

  it('gatherResults fires once, with the proxy as the member value', () => {
    const member = new Deferred<unknown>();
    const proxy = revokedProxy();
    const gathered = gatherResults([member]);
    member.callback(proxy);
    expect(successResultOf(gathered)[0]).toBe(proxy);
    settled(member);
  });
});

describe('a Deferred holding a revoked Proxy', () => {
  it('toString() says what it holds instead of throwing', () => {
    const d = new Deferred<unknown>();
    d.callback(revokedProxy());
    expect(d.toString()).toContain('current result');
  });
});
