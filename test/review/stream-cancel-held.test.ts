/**
 * A stream cancelled on real workers while its task has already returned and its last messages and outcome are on
 * the way, none read yet (left open last round: pinned only on a hand-built `ThreadStream`). The test's thread
 * blocks from the moment it lets the task go until the worker posts the reply, then cancels before any message is
 * read: the outcome and the items then arrive on two channels in either order, and both orders must end the same.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError } from '../../src/errors.js';
import * as rx from '../fixtures/thread-review-tasks.js';
import * as tx from '../fixtures/thread-tasks.js';
import { built, changed, countFirings, failureOf, gate, open, readAll } from '../threads/thread-test-kit.js';

/** Blocks this thread (no event-loop turn) until a worker stores non-zero in `cell[index]`. */
function blockUntilAnnounced(cell: Int32Array, index: number): void {
  // Bounded only so that a broken fixture fails the test instead of hanging it; the worker's notify ends the wait.
  if (Atomics.wait(cell, index, 0, 10_000) === 'timed-out') throw new Error(`gate[${index}] was never announced`);
}

describe('reactor.stream() cancelled after its task returned, before any of its messages was read', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  const cases: Array<[number, string, 'stream.cancel()' | 'result.cancel()']> = [
    [3, 'on parentPort', 'stream.cancel()'],
    [48, 'on the stream port', 'stream.cancel()'],
    [3, 'on parentPort', 'result.cancel()'],
    [48, 'on the stream port', 'result.cancel()'],
  ];

  it.each(cases)('with %i items (%s), by %s: result errbacks CancelledError once, the iteration throws it, the worker is kept', async (n, _where, how) => {
    const clock = new Clock();
    reactor = new Reactor({ clock, policy: { threads: { minThreads: 1, maxThreads: 1, cancelGraceMs: 5 } } });
    const worker = await reactor.deferToThread(built(tx.workerThreadId));
    const cells = gate(3);
    const s = reactor.stream(built(rx.emitThenAnnounceReply), n, cells);
    await changed(cells, 2); // the task runs, waiting for the gate
    const result = failureOf(s.result);
    const fired = countFirings(s.result); // after failureOf: it consumes failures
    open(cells, 1);
    blockUntilAnnounced(cells, 0); // every item posted, the reply being posted; nothing read
    if (how === 'stream.cancel()') s.cancel();
    else s.result.cancel();
    clock.advance(5); // past the cancel grace: the task ended, so its worker must not be terminated
    expect(await result).toBeInstanceOf(CancelledError);
    const { thrown } = await readAll(s);
    expect(thrown).toBeInstanceOf(CancelledError);
    expect(await reactor.deferToThread(built(tx.workerThreadId))).toBe(worker);
    expect(fired.count).toBe(1);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0 });
  });
});
