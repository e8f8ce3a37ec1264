/**
 * The unhandled-error handler is user code that the library calls where nothing can take an exception: from a
 * `FinalizationRegistry` callback (a collected Deferred), from a timer or a Promise reaction (a late firing, see
 * `deferred-fired-by-caller.test.ts`), from `cancel()`. What it throws is logged, never thrown; these pin that for
 * an async handler whose Promise rejects (it used to be an unhandled rejection, which ends the process by default)
 * and for a throwing handler while `console.error` throws too.
 *
 * @module
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { AlreadyCalledError, Clock, deferLater, setUnhandledErrorHandler } from '../../src/index.js';
import { nextTurn } from '../helpers/next-turn.js';

let restore: () => void = () => undefined;
afterEach(() => {
  restore();
  jest.restoreAllMocks();
});

/** A report through the handler, from a timer's function: deferLater's Deferred fired by its caller first. */
function reportFromATimer(clock: Clock): void {
  const d = deferLater(clock, 1);
  d.callback(undefined);
  clock.advance(1);
}

/** Collect the process's unhandled rejections until `done` settles and a turn has passed. */
async function unhandledRejectionsDuring(run: () => Promise<void>): Promise<unknown[]> {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  try {
    await run();
    await nextTurn();
  } finally {
    process.off('unhandledRejection', onRejection);
  }
  return rejections;
}

describe('setUnhandledErrorHandler()', () => {
  it("logs an async handler's rejection instead of leaving it unhandled", async () => {
    const logged: unknown[][] = [];
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(args);
    });
    let rejected!: () => void;
    const handlerDone = new Promise<void>((resolve) => {
      rejected = resolve;
    });
    const previous = setUnhandledErrorHandler(async () => {
      await Promise.resolve();
      rejected();
      throw new Error('the handler failed');
    });
    restore = () => setUnhandledErrorHandler(previous);
    const rejections = await unhandledRejectionsDuring(async () => {
      reportFromATimer(new Clock());
      await handlerDone;
    });
    expect(rejections).toEqual([]);
    expect(logged.some((args) => args.some((a) => a instanceof Error && a.message === 'the handler failed'))).toBe(true);
  });

  it('does not throw from the report when the handler and console.error both throw', () => {
    jest.spyOn(console, 'error').mockImplementation(() => {
      throw new Error('console.error failed');
    });
    let calls = 0;
    const previous = setUnhandledErrorHandler((failure) => {
      calls++;
      expect(failure.check(AlreadyCalledError)).toBe(AlreadyCalledError);
      throw new Error('the handler failed');
    });
    restore = () => setUnhandledErrorHandler(previous);
    expect(() => reportFromATimer(new Clock())).not.toThrow();
    expect(calls).toBe(1);
  });
});
