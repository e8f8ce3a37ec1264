/**
 * `RealTimeScheduler` with a time source that misbehaves: a `now` option that holds still (documented, for tests),
 * goes backwards, returns NaN or throws must not freeze the process in one timer turn, leave a timer re-arming for
 * ever with nothing run, or throw out of a timer; one that is bad from the start is refused when constructed.
 *
 * @module
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { RealTimeScheduler, type DelayedCall } from '../../src/index.js';

const pending: DelayedCall[] = [];
afterEach(() => {
  for (const call of pending.splice(0)) if (call.active()) call.cancel();
  jest.restoreAllMocks();
});

/** Resolves when `fn` is called; rejects after `ms` of real time (a guard against a hang, not a synchronisation). */
function calledWithin(ms: number): { fn: () => void; called: Promise<void> } {
  let fn!: () => void;
  const called = new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`not called within ${ms} ms`)), ms);
    fn = () => {
      clearTimeout(guard);
      resolve();
    };
  });
  return { fn, called };
}

/** A call that schedules itself again with 0 ms, up to `limit` runs; `runs()` counts them. */
function selfRescheduling(scheduler: RealTimeScheduler, limit: number): { runs: () => number; firstTurn: Promise<number> } {
  let runs = 0;
  let firstTurn!: Promise<number>;
  const run = (): void => {
    runs++;
    if (runs === 1) firstTurn = new Promise((resolve) => queueMicrotask(() => resolve(runs)));
    if (runs < limit) pending.push(scheduler.callLater(0, run));
  };
  pending.push(scheduler.callLater(0, run));
  return {
    runs: () => runs,
    get firstTurn() {
      return firstTurn;
    },
  };
}

describe('RealTimeScheduler', () => {
  describe('with a time source that holds still', () => {
    it('runs a 0 ms call that a call schedules on a later timer turn, not in the same one', async () => {
      const t = performance.now();
      const scheduler = new RealTimeScheduler({ now: () => t });
      const done = calledWithin(10_000);
      const loop = selfRescheduling(scheduler, 1000);
      pending.push(scheduler.callLater(0, () => setImmediate(done.fn)));
      await done.called;
      expect(await loop.firstTurn).toBe(1);
    });
  });

  describe('with a time source that goes backwards', () => {
    it('runs a 0 ms call that a call schedules on a later timer turn', async () => {
      const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      let t = 1e6;
      const scheduler = new RealTimeScheduler({ now: () => (t -= 1) });
      const done = calledWithin(10_000);
      const loop = selfRescheduling(scheduler, 1000);
      pending.push(scheduler.callLater(0, () => setImmediate(done.fn)));
      await done.called;
      expect(await loop.firstTurn).toBe(1);
      expect(warn).toHaveBeenCalledTimes(1);
    });

    it('still runs a call due later (time goes on at the rate of real time)', async () => {
      jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      let t = 1e6;
      const scheduler = new RealTimeScheduler({ now: () => (t -= 1) });
      const done = calledWithin(10_000);
      pending.push(scheduler.callLater(20, done.fn));
      await done.called;
    });
  });

  describe.each([
    ['returns NaN', () => Number.NaN],
    ['returns a string', () => '5' as unknown as number],
    ['returns Infinity', () => Number.POSITIVE_INFINITY],
    [
      'throws',
      () => {
        throw new Error('clock broke');
      },
    ],
  ])('with a time source that %s after it worked', (_, broken) => {
    it('runs a call due later, and throws out of neither callLater() nor the timer', async () => {
      let source: () => number = () => performance.now();
      const scheduler = new RealTimeScheduler({ now: () => source() });
      const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        const first = calledWithin(10_000);
        pending.push(scheduler.callLater(20, first.fn));
        source = broken; // breaks while the timer is armed
        await first.called;
        const second = calledWithin(10_000);
        pending.push(scheduler.callLater(5, second.fn)); // and while it is broken
        await second.called;
        expect(Number.isFinite(scheduler.now())).toBe(true);
        expect(warn.mock.calls.map(([, options]) => (options as { code?: string }).code)).toEqual(['ERR_TIME_SOURCE']);
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe('new RealTimeScheduler({ now })', () => {
    it.each([
      ['a time source returning NaN', { now: () => Number.NaN }],
      ['a time source that throws', { now: (): number => { throw new Error('no clock'); } }],
      ['a `now` that is not a function', { now: 5 as unknown as () => number }],
    ])('throws TypeError for %s', (_, options) => {
      expect(() => new RealTimeScheduler(options)).toThrow(TypeError);
    });
  });
});
