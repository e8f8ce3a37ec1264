import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { Clock } from '../../src/time/clock.js';
import { ResultFlush } from '../../src/worker/result-flush.js';
import * as fx from '../fixtures/thread-tasks.js';
import { behindBlocker, built, changed, gate, open } from './thread-test-kit.js';

describe('ResultFlush', () => {
  /** A policy on a clock the test moves by hand. */
  function policy(flushMs: number): { flush: ResultFlush; clock: { now: number } } {
    const clock = { now: 0 };
    return { flush: new ResultFlush(flushMs, () => clock.now), clock };
  }

  describe('.before()', () => {
    it('holds nothing back before a call when no result is held', () => {
      const { flush } = policy(2);
      expect(flush.before('never timed')).toBe(false);
    });

    it('sends held results before a call of a task this worker has not timed (it may run long, crash or be killed)', () => {
      const { flush } = policy(2);
      flush.held();
      expect(flush.before('untimed')).toBe(true);
    });

    it('keeps holding before quick calls while the held results stay younger than half of flushMs', () => {
      const { flush, clock } = policy(2);
      flush.learn('quick', 0.01);
      flush.held();
      clock.now = 0.5;
      expect(flush.before('quick')).toBe(false);
      clock.now = 0.995;
      expect(flush.before('quick')).toBe(true); // 0.995 held + 0.01 expected reaches 1
    });

    it('never holds a result behind a call of a task that takes half of flushMs or more', () => {
      const { flush } = policy(2);
      flush.learn('one ms', 1);
      flush.held();
      expect(flush.before('one ms')).toBe(true);
    });

    it('sends held results before a call expected to take them past flushMs', () => {
      const { flush, clock } = policy(2);
      flush.learn('slow', 50);
      flush.held();
      clock.now = 0.001;
      expect(flush.before('slow')).toBe(true);
    });

    it('remembers a slow run of a quick task for a few calls, then forgets it', () => {
      const { flush } = policy(2);
      flush.learn('mixed', 0.01);
      flush.learn('mixed', 50); // one slow call
      flush.held();
      const verdicts: boolean[] = [];
      for (let i = 0; i < 8; i++) {
        verdicts.push(flush.before('mixed'));
        flush.learn('mixed', 0.01);
      }
      // 50 → 25 → 12.5 → 6.25 → 3.125 → 1.5625 → 0.78: held results leave first until the estimate falls below
      // half of flushMs.
      expect(verdicts).toEqual([true, true, true, true, true, true, false, false]);
    });

    it('holds again once the held results were sent', () => {
      const { flush, clock } = policy(2);
      flush.learn('quick', 0.01);
      flush.held();
      clock.now = 5;
      expect(flush.before('quick')).toBe(true);
      flush.flushed();
      expect(flush.holding).toBe(false);
      expect(flush.before('quick')).toBe(false);
      flush.held();
      expect(flush.before('quick')).toBe(false); // held from 5, now 5
    });
  });
});

describe('ThreadPool coalescing: finished results are not held behind a long call', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  it('returns the results of finished batch-mates while a later call of the batch still runs', async () => {
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    const last = gate();
    const { queued, release } = await behindBlocker(pool, () => [
      ...Array.from({ length: 5 }, (_, i) => pool.run(built(fx.add), i, 10)),
      pool.run(built(fx.waitForGate), last, 'last'),
    ]);
    await release();
    await changed(last); // the last call runs, blocked on its gate
    expect(await Promise.all(queued.slice(0, 5))).toEqual([10, 11, 12, 13, 14]);
    open(last);
    expect(await queued[5]).toBe('last');
    expect(pool.stats()).toMatchObject({ batches: 1, coalesced: 6 });
  });

});
