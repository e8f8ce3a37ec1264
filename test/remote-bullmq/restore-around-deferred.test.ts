import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, describe, expect, it } from '@jest/globals';
import { defineContextCarrier, removeContextCarrier } from '../../src/context/context-carrier.js';
import { restoreAroundDeferred } from '../../src/remote-bullmq/restore-around-deferred.js';
import { Deferred } from '../../src/deferred/deferred.js';
import { CancelledError, ContextCarrierError } from '../../src/errors.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { nextTurn } from '../helpers/next-turn.js';
import { watchUnhandled } from '../threads/thread-test-kit.js';

/** What the asynchronous carrier's restore does after its await: restore the store and run, or fail, or skip run. */
type How = 'run' | 'reject' | 'never';
const store = new AsyncLocalStorage<How>();
defineContextCarrier<How>('test.restoreDeferred.async', {
  capture: () => store.getStore(),
  restore: async (how, run) => {
    await Promise.resolve();
    if (how === 'reject') throw new Error('restore failed before run');
    if (how === 'never') return 'not run';
    return store.run(how, run);
  },
});

afterAll(() => {
  removeContextCarrier('test.restoreDeferred.async');
});

/** Starts a call carried with `how`, counting how many times the call itself was started. */
function countedStart(how: How): { d: Deferred<string>; starts: () => number } {
  let started = 0;
  const d = restoreAroundDeferred({ 'test.restoreDeferred.async': how }, () => {
    started++;
    return new Deferred<string>();
  });
  return { d, starts: () => started };
}

describe('restoreAroundDeferred()', () => {
  it("returns the call's own Deferred when nothing is carried", () => {
    const call = new Deferred<number>();
    expect(restoreAroundDeferred(undefined, () => call)).toBe(call);
  });

  it('fires with the outcome of a call an asynchronous restore started, in the carried context', async () => {
    const call = new Deferred<string>();
    let seen: How | undefined;
    const d = restoreAroundDeferred({ 'test.restoreDeferred.async': 'run' }, () => {
      seen = store.getStore();
      return call;
    });
    await nextTurn();
    expect(seen).toBe('run');
    call.callback('done');
    expect(successResultOf(d)).toBe('done');
  });

  it("fails with the call's error, and leaves no unhandled rejection behind", async () => {
    const watch = watchUnhandled();
    try {
      const call = new Deferred<string>();
      const d = restoreAroundDeferred({ 'test.restoreDeferred.async': 'run' }, () => call);
      await nextTurn();
      call.errback(new RangeError('task failed'));
      expect(failureResultOf(d, RangeError).value).toHaveProperty('message', 'task failed');
      await nextTurn();
      expect(watch.escaped).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  it('fails with the error of a restore that rejects before calling run, and never starts the call', async () => {
    const watch = watchUnhandled();
    try {
      const { d, starts } = countedStart('reject');
      await nextTurn();
      expect(failureResultOf(d).value).toHaveProperty('message', 'restore failed before run');
      expect(starts()).toBe(0);
      expect(watch.escaped).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  it('fails with ContextCarrierError when an asynchronous restore never calls run', async () => {
    const d = restoreAroundDeferred({ 'test.restoreDeferred.async': 'never' }, () => new Deferred<string>());
    await nextTurn();
    expect(failureResultOf(d, ContextCarrierError).value).toBeInstanceOf(ContextCarrierError);
  });

  it('never starts a call cancelled before its restore ran it', async () => {
    const watch = watchUnhandled();
    try {
      const { d, starts } = countedStart('run');
      d.cancel();
      expect(failureResultOf(d, CancelledError).value).toBeInstanceOf(CancelledError);
      await nextTurn();
      expect(starts()).toBe(0);
      expect(watch.escaped).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  it('cancels the call it started when cancelled', async () => {
    let cancelled = 0;
    const call = new Deferred<string>(() => cancelled++);
    const d = restoreAroundDeferred({ 'test.restoreDeferred.async': 'run' }, () => call);
    await nextTurn();
    d.cancel();
    expect(cancelled).toBe(1);
    expect(failureResultOf(d, CancelledError).value).toBeInstanceOf(CancelledError);
  });
});
