/**
 * `transferResult` given a view over a `SharedArrayBuffer` (or the buffer itself): shared memory is never copied, so
 * there is nothing to move; listed to move, Node's postMessage refuses it and the worker died with the reply (and a
 * coalesced batch's held results with it). The result must come back as the same shared memory, the worker live.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { types } from 'node:util';
import { Reactor } from '../../src/reactor/reactor.js';
import type { Deferred } from '../../src/deferred/deferred.js';
import * as rx from '../fixtures/thread-review-tasks.js';
import * as tx from '../fixtures/thread-tasks.js';
import { built, changed, gate, open, settled } from '../threads/thread-test-kit.js';

describe('transferResult() of shared memory, on real workers', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('returns the same shared memory to the caller; no crash, the worker serves the next call', async () => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
    const view = new Int32Array(new SharedArrayBuffer(1 << 20));
    const outcome = await settled(reactor.deferToThread(built(rx.transferShared), view));
    expect(outcome.ok).toBe(true);
    const back = (outcome.ok ? outcome.value : undefined) as Int32Array;
    expect(types.isSharedArrayBuffer(back.buffer)).toBe(true);
    expect(Atomics.load(view, 0)).toBe(1); // the worker's add reached the caller's memory
    back[1] = 7;
    expect(Atomics.load(view, 1)).toBe(7); // and the result is that memory
    expect(await reactor.deferToThread(built(tx.add), 1, 2)).toBe(3);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, failed: 0 });
  });

  it('in a coalesced batch: every call of the batch gets its result, none lost', async () => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
    const cells = gate(2);
    const blocker = reactor.deferToThread(built(tx.waitForGate), cells, 'blocker');
    await changed(cells); // the only worker is busy: the calls below leave together
    const view = new Int32Array(new SharedArrayBuffer(64));
    const calls = Array.from({ length: 8 }, (_, i): Deferred<unknown> =>
      i === 3 ? reactor.deferToThread(built(rx.transferShared), view) : reactor.deferToThread(built(tx.add), i, 1),
    );
    open(cells);
    expect(await blocker).toBe('blocker');
    const outcomes = await Promise.all(calls.map((d) => settled(d)));
    expect(outcomes.map((o, i) => (o.ok ? (i === 3 ? 'shared' : o.value) : (o.error as Error).name))).toEqual([1, 2, 3, 'shared', 5, 6, 7, 8]);
    expect(Atomics.load(view, 0)).toBe(1);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, coalesced: 8 });
  });
});
