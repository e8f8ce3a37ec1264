import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { keepAlive } from '../../src/time/keep-alive.js';

afterEach(() => {
  jest.restoreAllMocks();
});

describe('keepAlive()', () => {
  it("holds one ref'd timer until the returned function releases it", () => {
    const armed = jest.spyOn(globalThis, 'setInterval');
    const cleared = jest.spyOn(globalThis, 'clearInterval');
    const release = keepAlive();
    expect(armed).toHaveBeenCalledTimes(1);
    const timer = armed.mock.results[0]!.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(true);
    release();
    expect(cleared).toHaveBeenCalledWith(timer);
  });

  it('does nothing when released again', () => {
    const cleared = jest.spyOn(globalThis, 'clearInterval');
    const release = keepAlive();
    release();
    release();
    expect(cleared).toHaveBeenCalledTimes(1);
  });
});
