import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import type { ThreadPoolOptions } from '../../src/threads/thread-pool-options.js';
import { Clock } from '../../src/time/clock.js';
import type { Deferred } from '../../src/deferred/deferred.js';
import { PolicyConfigError } from '../../src/errors.js';
import { Policy } from '../../src/policy/policy.js';
import { counted, countedTimed, endsUnlessOpen, type WorkerEnding } from '../fixtures/finished-results-tasks.js';
import { behindBlocker, built, changed, countFirings, gate, learnQuick, lostOrValue, open as openGate, settled, watchUnhandled, type Outcome } from '../threads/thread-test-kit.js';

describe('ThreadPool coalesce.keepFinished on real workers', () => {
  let pool: ThreadPool;
  let clock: Clock;
  afterEach(async () => {
    await pool.close();
  });

  /**
   * A pool of one worker that holds finished results of a batch (a long flushMs) on `clock`, whose worker learned
   * {@link endsUnlessOpen} as quick (so results are held behind a call of it).
   * @returns the ender, loaded from the built fixture.
   */
  async function poolHoldingResults(options: ThreadPoolOptions, how: WorkerEnding): Promise<typeof endsUnlessOpen> {
    clock = new Clock();
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock, ...options });
    const ender = built(endsUnlessOpen);
    const open = gate(2);
    open[1] = 1;
    await learnQuick(pool, () => pool.run(ender, open, how), 1);
    return ender;
  }

  /**
   * Three counted calls and one that ends the worker as `how` says (with `spinning`: its gate, `cells[0]` set once it
   * spins), in one batch; the counted calls' results are held behind the fourth.
   */
  async function heldBehind(ender: typeof endsUnlessOpen, how: WorkerEnding, spinning: Int32Array): Promise<{ queued: Deferred<unknown>[]; counter: Int32Array }> {
    const counter = gate(4);
    const { queued, release } = await behindBlocker(pool, () => [
      ...Array.from({ length: 3 }, (_, i) => pool.run(built(counted), counter, i)),
      pool.run(ender, spinning, how),
    ]);
    await release();
    return { queued, counter };
  }

  /** {@link heldBehind}, then the fourth call ends the worker (a hang: cancelled, and killed at the end of its grace). */
  async function batchEndedBy(how: WorkerEnding, keepFinished: boolean): Promise<{ outcomes: Outcome<unknown>[]; counter: Int32Array }> {
    const oom = how === 'oom' ? { resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } } : {};
    const ender = await poolHoldingResults({ cancelGraceMs: 5, coalesce: { flushMs: 60_000, keepFinished }, ...oom }, how);
    const spinning = gate(2);
    const { queued, counter } = await heldBehind(ender, how, spinning);
    if (how === 'hang') {
      await changed(spinning); // the three counted calls returned; the fourth spins, deaf to cancellation
      queued[3]!.cancel();
      clock.advance(5); // the grace is over: the worker is terminated mid-batch
    }
    const outcomes = await Promise.all(queued.map((d) => settled(d)));
    return { outcomes, counter };
  }

  it.each<[WorkerEnding, unknown]>([
    ['hang', 'CancelledError'],
    ['oom', 'WorkerCrashedError'],
    ['exit', 'WorkerCrashedError'],
    ['throw', 1],
  ])('keeps the results of finished batch-mates when a later call ends the worker (%s)', async (how, enderOutcome) => {
    const { outcomes, counter } = await batchEndedBy(how, true);
    expect([0, 1, 2].map((i) => Atomics.load(counter, i))).toEqual([1, 1, 1]);
    expect(outcomes.slice(0, 3).map(lostOrValue)).toEqual([1, 1, 1]);
    expect(lostOrValue(outcomes[3]!)).toBe(enderOutcome);
    expect(pool.stats().retried).toBe(0);
  });

  it.each<WorkerEnding>(['hang', 'oom'])('without it, results held for the next flush die with a worker that is terminated or out of memory (%s)', async (how) => {
    const { outcomes, counter } = await batchEndedBy(how, false);
    expect([0, 1, 2].map((i) => Atomics.load(counter, i))).toEqual([1, 1, 1]);
    expect(outcomes.slice(0, 3).map(lostOrValue)).toEqual(['lost', 'lost', 'lost']);
  });

  // 'throw' is looped, round after round, in batch-crash-results-control.test.ts (the report of the error could
  // overtake the results: they go on the worker's ledger as its last words, read before its runs fail).
  it.each<WorkerEnding>(['exit', 'throw'])('without it, held results still leave a worker that ends by %s (its exit handler sends them)', async (how) => {
    const { outcomes, counter } = await batchEndedBy(how, false);
    expect([0, 1, 2].map((i) => Atomics.load(counter, i))).toEqual([1, 1, 1]);
    expect(outcomes.slice(0, 3).map(lostOrValue)).toEqual([1, 1, 1]);
  });

  /** {@link heldBehind} a spinning call, then `close(grace)` on the pool's clock, the grace run out while it spins. */
  async function closedWhileHeld(keepFinished: boolean): Promise<Outcome<unknown>[]> {
    const ender = await poolHoldingResults({ coalesce: { flushMs: 60_000, keepFinished } }, 'hang');
    const spinning = gate(2);
    const { queued, counter } = await heldBehind(ender, 'hang', spinning);
    await changed(spinning); // the three counted calls returned; their results are held behind the fourth
    const outcomes = Promise.all(queued.map((d) => settled(d)));
    const closing = pool.close(50);
    clock.advance(50); // the grace is over while the fourth still spins
    await closing;
    expect([0, 1, 2].map((i) => Atomics.load(counter, i))).toEqual([1, 1, 1]);
    return outcomes;
  }

  it('close() gives calls that finished while their results were held in the worker their results (keepFinished)', async () => {
    const outcomes = await closedWhileHeld(true);
    expect(outcomes.map(lostOrValue)).toEqual([1, 1, 1, 'ReactorStoppedError']);
  });

  it('close() without keepFinished tells calls whose results were held in the worker that they ran to their end', async () => {
    const outcomes = await closedWhileHeld(false);
    expect(outcomes.map(lostOrValue)).toEqual(['ReactorStoppedError', 'ReactorStoppedError', 'ReactorStoppedError', 'ReactorStoppedError']);
    for (const outcome of outcomes.slice(0, 3)) {
      expect((outcome as { error: Error }).error.message).toMatch(/ran to its end in its worker, but the thread pool closed before its outcome came back/);
    }
    expect((outcomes[3] as { error: Error }).error.message).toBe('The thread pool closed before this task finished');
  });

  it.each([false, true])(
    'a call that times out while its finished result waits in the worker errbacks TimeoutError once; the late result is dropped (keepFinished %s)',
    async (keepFinished) => {
      const ender = await poolHoldingResults({ coalesce: { flushMs: 60_000, keepFinished } }, 'hang');
      const watch = watchUnhandled();
      try {
        const counter = gate(2);
        const spinning = gate(2);
        const { queued, release } = await behindBlocker(pool, () => [pool.run(built(countedTimed), counter, 0), pool.run(ender, spinning, 'hang')]);
        const timed = settled(queued[0] as Deferred<unknown>);
        const firings = countFirings(queued[0] as Deferred<unknown>);
        await release();
        await changed(spinning); // the timed call returned: its result is held behind its spinning batch-mate
        expect(Atomics.load(counter, 0)).toBe(1);
        clock.advance(1000); // its time limit passes before the result can leave the worker (the order is forced)
        const outcome = await timed;
        expect(outcome.ok ? 'ok' : (outcome.error as Error).name).toBe('TimeoutError');
        openGate(spinning); // the batch-mate returns: the batch's results (the timed call's among them) arrive now
        expect(await (queued[1] as Deferred<unknown>)).toBe(2);
        expect(firings.count).toBe(1);
        expect(pool.stats().timedOut).toBe(1);
        expect(await pool.run(built(countedTimed), counter, 0)).toBe(2); // its slot was freed: the pool goes on
        await watch.settle();
        expect(watch.reported).toEqual([]);
        expect(watch.escaped).toEqual([]);
      } finally {
        watch.stop();
      }
    },
  );

  it('refuses a keepFinished that is not a boolean, in the pool options and in a policy', () => {
    expect(() => new ThreadPool({ coalesce: { keepFinished: 1 as unknown as boolean } })).toThrow('Expected `coalesce.keepFinished` to be a boolean, got `1` (number)');
    expect(() => Policy.load({ threads: { coalesce: { keepFinished: true } } })).not.toThrow();
    expect(() => Policy.load({ threads: { coalesce: { keepFinished: 'yes' as unknown as boolean } } })).toThrow(PolicyConfigError);
    pool = new ThreadPool();
  });
});
