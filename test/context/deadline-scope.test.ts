import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { runUntilWallTime, runWithDeadline, scopedDeadline } from '../../src/context/deadline-scope.js';
import { Clock } from '../../src/time/clock.js';

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
