/**
 * `DeferredLock.run(fn)` / `DeferredSemaphore.run(fn)` cancelled while `fn`'s work cannot be stopped (it returned a
 * Promise, or a Deferred with no canceller): the run's Deferred fails with `CancelledError` at once (SPEC §1), but the
 * lock or token stays held until that work ends ("releases after `fn`'s result settles"), so a second `run()` never
 * overlaps a first one still running. Work that a canceller stopped releases at once.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { CancelledError, Deferred, DeferredLock, DeferredSemaphore } from '../../src/index.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { nextTurn } from '../helpers/next-turn.js';

describe('DeferredLock.run() cancelled', () => {
  it("keeps the lock while fn's Promise is pending, then hands it to the next run()", async () => {
    const lock = new DeferredLock();
    const inside: string[] = [];
    let finish!: () => void;
    const first = lock.run(() => {
      inside.push('first in');
      return new Promise<void>((resolve) => (finish = resolve)).then(() => void inside.push('first out'));
    });
    first.cancel();
    failureResultOf(first, CancelledError);
    expect(lock.locked).toBe(true);
    const second = lock.run(() => {
      inside.push('second in');
      return 'second';
    });
    assertNoResult(second);
    finish();
    await nextTurn();
    expect(successResultOf(second)).toBe('second');
    expect(inside).toEqual(['first in', 'first out', 'second in']);
    expect(lock.locked).toBe(false);
  });

  it('keeps the lock until the late firing of the Deferred with no canceller that fn returned', () => {
    const lock = new DeferredLock();
    const work = new Deferred<string>();
    const first = lock.run(() => work);
    first.cancel();
    failureResultOf(first, CancelledError);
    expect(lock.locked).toBe(true);
    work.callback('late'); // ignored (SPEC §1), and the work has ended
    expect(lock.locked).toBe(false);
  });

  it('releases at once when a canceller stopped the work fn returned', () => {
    const lock = new DeferredLock();
    const first = lock.run(() => new Deferred<string>(() => undefined));
    first.cancel();
    failureResultOf(first, CancelledError);
    expect(lock.locked).toBe(false);
  });
});

describe('DeferredSemaphore.run() cancelled', () => {
  it("keeps its token while fn's Promise is pending", async () => {
    const semaphore = new DeferredSemaphore(1);
    let finish!: () => void;
    const first = semaphore.run(() => new Promise<void>((resolve) => (finish = resolve)));
    first.cancel();
    failureResultOf(first, CancelledError);
    expect(semaphore.tokens).toBe(0);
    const second = semaphore.run(() => 'second');
    assertNoResult(second);
    finish();
    await nextTurn();
    expect(successResultOf(second)).toBe('second');
    expect(semaphore.tokens).toBe(1);
  });
});
