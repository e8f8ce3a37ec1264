/**
 * The combinators and primitives at a scale far past the stack's depth (100,000 members or waiters), and
 * `addTimeout` on a Deferred that already fired. Every Deferred fires once, nothing is left behind.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import {
  CancelledError,
  Clock,
  Deferred,
  DeferredList,
  DeferredQueue,
  gatherResults,
  race,
  succeed,
  type Failure,
} from '../../src/index.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

const members = 100_000;
/** For the tests that cancel every member: each CancelledError captures a stack, which is slow under Jest (about 0.35 ms each under load), so fewer of them. */
const cancelled = 5_000;

/** `n` pending Deferreds, and how many times each has fired so far. */
function pendingMembers(n: number): { ds: Array<Deferred<number>>; firings: number[] } {
  const firings = new Array<number>(n).fill(0);
  const ds = Array.from({ length: n }, (_, i) =>
    new Deferred<number>().addBoth((r: number | Failure) => {
      firings[i]!++;
      return r;
    }),
  );
  return { ds, firings };
}

describe('gatherResults()', () => {
  it(`fires once with the ${members.toLocaleString('en-US')} results in input order when the members fire last to first`, () => {
    const { ds, firings } = pendingMembers(members);
    const all = gatherResults(ds);
    for (let i = members - 1; i >= 0; i--) ds[i]!.callback(i);
    const results = successResultOf(all);
    expect(results).toHaveLength(members);
    expect(results.every((r, i) => r === i)).toBe(true);
    expect(firings.every((n) => n === 1)).toBe(true);
  });
});

describe('DeferredList', () => {
  it(`cancelled, cancels each of ${cancelled.toLocaleString('en-US')} pending members once and fires once`, () => {
    const { ds, firings } = pendingMembers(cancelled);
    const list = new DeferredList(ds, { consumeErrors: true });
    list.cancel();
    const outcome = successResultOf(list);
    expect(outcome).toHaveLength(cancelled);
    expect(outcome.every(([ok, f]) => !ok && f.check(CancelledError) !== null)).toBe(true);
    expect(firings.every((n) => n === 1)).toBe(true);
  });
});

describe('race()', () => {
  it(`fires with the last of ${cancelled.toLocaleString('en-US')} members to succeed and cancels every other one once`, () => {
    const { ds, firings } = pendingMembers(cancelled);
    let cancellations = 0;
    for (const d of ds) {
      d.addErrback((f: Failure) => {
        f.trap(CancelledError);
        cancellations++;
        return -1;
      });
    }
    const winner = race(ds);
    ds[cancelled - 1]!.callback(7);
    expect(successResultOf(winner)).toEqual([cancelled - 1, 7]);
    expect(firings.every((n) => n === 1)).toBe(true);
    expect(cancellations).toBe(cancelled - 1);
  });
});

describe('DeferredQueue', () => {
  it(`hands ${members.toLocaleString('en-US')} stored items to getters in order`, () => {
    const queue = new DeferredQueue<number>();
    for (let i = 0; i < members; i++) queue.put(i);
    const got: number[] = [];
    for (let i = 0; i < members; i++) queue.get().addCallback((n) => got.push(n));
    expect(got.every((n, i) => n === i) && got.length === members).toBe(true);
    expect(queue.pending).toBe(0);
  });

  it(`drops ${cancelled.toLocaleString('en-US')} cancelled getters: the next put goes to the one getter left`, () => {
    const queue = new DeferredQueue<number>();
    const getters = Array.from({ length: cancelled }, () => queue.get());
    const last = queue.get();
    for (const g of getters) {
      g.cancel();
      failureResultOf(g, CancelledError);
    }
    expect(queue.waiting).toBe(1);
    queue.put(5);
    expect(successResultOf(last)).toBe(5);
    expect(queue.waiting).toBe(0);
  });
});

describe('Deferred', () => {
  describe('.addTimeout()', () => {
    it('on a Deferred that already fired keeps its result and leaves no delayed call on the clock', () => {
      const clock = new Clock();
      const d = succeed(3).addTimeout(10, clock);
      expect(clock.getDelayedCalls()).toHaveLength(0);
      clock.advance(10);
      expect(successResultOf(d)).toBe(3);
    });
  });
});
