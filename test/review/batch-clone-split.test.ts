/**
 * Adversarial tests of a message whose structured clone fails only as it is posted: an argument whose getter reads
 * fine for the pool's size estimate and for any later check, but throws inside the clone of the message (it looks at
 * its stack, as hostile code can). A coalesced batch holding such a call must fail only that call, with
 * `DataCloneError`, and run each of its batch-mates once; the refusal is no crash (nothing was sent). And the other
 * way round: a call that really crashed its worker is a crash, even when its arguments can no longer be cloned by
 * the time the pool reads the failure.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { DataCloneError, WorkerCrashedError } from '../../src/errors.js';
import * as tx from '../fixtures/thread-tasks.js';
import * as rx from '../fixtures/thread-review-tasks.js';
import { throwsOnlyInTheClone } from './fixtures/throws-only-in-the-clone.js';
import { batchAround } from './fixtures/batch-around.js';
import { built, changed, gate, open, settled } from '../threads/thread-test-kit.js';

describe('a coalesced batch whose message fails its clone only as it is posted', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('fails only the call whose getter throws in the clone, with DataCloneError, no crash; each batch-mate runs once', async () => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
    const { outcomes, runs } = await batchAround(reactor, () => reactor.deferToThread(built(tx.echo), throwsOnlyInTheClone()));
    expect(outcomes.map((o) => (o.ok ? o.value : (o.error as Error).name))).toEqual([0, 1, 2, 3, 'DataCloneError', 5, 6, 7, 8]);
    expect(outcomes[4]!.ok ? undefined : outcomes[4]!.error).toBeInstanceOf(DataCloneError);
    expect(Array.from(runs)).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 1]);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0, retried: 0, failed: 1, completed: 9 });
  });
});

describe('a call that crashes its worker after its arguments turned uncloneable', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('errbacks WorkerCrashedError (the crash), not DataCloneError', async () => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
    const cells = gate(2);
    const payload: Record<string, unknown> = { rows: [1, 2, 3] };
    const call = reactor.deferToThread(built(rx.uncaughtWhenOpened), cells, payload);
    await changed(cells); // the task runs: its message was cloned and posted
    payload.describe = (): string => 'now uncloneable';
    open(cells);
    const outcome = await settled(call);
    expect(outcome.ok ? outcome.value : outcome.error).toBeInstanceOf(WorkerCrashedError);
    expect(reactor.stats().threads).toMatchObject({ crashed: 1 });
  });
});
