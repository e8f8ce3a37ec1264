import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import { liveDeadlineScopes, runUntilWallTime, runWithDeadline, scopedDeadline } from '../../src/context/deadline-scope.js';
import { Clock } from '../../src/time/clock.js';
import { nextTurn } from '../helpers/next-turn.js';

describe('runUntilWallTime()', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('keeps the wall time it is given exactly, however far Date.now() moves while the scope opens', () => {
    const clock = new Clock();
    clock.advance(300);
    // Every read of the wall clock is 7 ms later than the one before: a conversion to "ms from now" and back would
    // land 7 ms (or more) past the deadline it was given.
    let wall = 1_000;
    jest.spyOn(Date, 'now').mockImplementation(() => (wall += 7) - 7);
    const seen = runUntilWallTime(clock, 5_000, () => scopedDeadline());
    expect(seen?.wallAt).toBe(5_000);
    expect(seen?.at).toBe(300 + 4_000);
    expect(seen?.clock).toBe(clock);
  });

  it('leaves no time when the wall time has already passed', () => {
    const clock = new Clock();
    const seen = runUntilWallTime(clock, Date.now() - 50, () => scopedDeadline());
    expect(seen?.at).toBe(clock.now());
  });

  it('keeps an enclosing scope that ends first, and replaces one that ends later', () => {
    const clock = new Clock();
    const earlier = runWithDeadline(clock, 1_000, () => runUntilWallTime(clock, Date.now() + 60_000, () => scopedDeadline()));
    expect(earlier?.at).toBe(1_000);
    const wallAt = Date.now() + 1_000;
    const later = runWithDeadline(clock, 60_000, () => runUntilWallTime(clock, wallAt, () => scopedDeadline()));
    expect(later?.wallAt).toBe(wallAt);
  });

  it('ends with the function it ran: no scope outside it', () => {
    runUntilWallTime(new Clock(), Date.now() + 1_000, () => undefined);
    expect(scopedDeadline()).toBeUndefined();
  });
});

describe('deadline scopes once none is alive', () => {
  const gc = (globalThis as { gc?: () => void }).gc;

  /** Collects garbage and lets finalizers run until every scope made so far is gone (or 50 tries). */
  async function collectScopes(): Promise<number> {
    for (let i = 0; i < 50 && liveDeadlineScopes() > 0; i += 1) {
      gc?.();
      await nextTurn();
    }
    return liveDeadlineScopes();
  }

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('runs under --expose-gc (the tests below collect scopes)', () => {
    expect(typeof gc).toBe('function');
  });

  it('stops reading the storage, and disables it, once every scope has been collected', async () => {
    const clock = new Clock();
    const read = jest.spyOn(AsyncLocalStorage.prototype, 'getStore');
    await runWithDeadline(clock, 1_000, async () => {
      await Promise.resolve();
      expect(scopedDeadline()?.at).toBe(1_000);
    });
    // The deadline storage is the one that read the scope back. (Other test files' copies of the module, in this
    // worker, may disable storages of their own meanwhile: only this one's calls count.)
    const storage = read.mock.contexts.at(-1);
    read.mockRestore();
    const disable = jest.spyOn(AsyncLocalStorage.prototype, 'disable');
    expect(await collectScopes()).toBe(0);
    expect(disable.mock.contexts.filter((self) => self === storage)).toHaveLength(1);
    const getStore = jest.spyOn(AsyncLocalStorage.prototype, 'getStore');
    expect(scopedDeadline()).toBeUndefined();
    expect(getStore).not.toHaveBeenCalled();
  });

  it('keeps a scope an unfinished continuation holds while other scopes are collected', async () => {
    expect(await collectScopes()).toBe(0);
    const clock = new Clock();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = runWithDeadline(clock, 2_000, async () => {
      await gate;
      return scopedDeadline()?.at;
    });
    await runWithDeadline(clock, 5_000, async () => {
      await Promise.resolve();
    });
    expect(liveDeadlineScopes()).toBe(2);
    // The finished scope goes; the held one stays, and with it the storage.
    for (let i = 0; i < 50 && liveDeadlineScopes() > 1; i += 1) {
      gc?.();
      await nextTurn();
    }
    expect(liveDeadlineScopes()).toBe(1);
    release();
    expect(await held).toBe(2_000);
  });

  it('opens scopes again after the storage was disabled', async () => {
    expect(await collectScopes()).toBe(0);
    const clock = new Clock();
    const seen = await runWithDeadline(clock, 3_000, async () => {
      await nextTurn();
      return scopedDeadline()?.at;
    });
    expect(seen).toBe(3_000);
  });
});
