/**
 * Bad arguments that cannot be turned into a string (an object whose `toString` throws, one with no prototype) given
 * to the synchronous Deferred and time methods: each must throw its own named error (`TypeError`, `RangeError`) with
 * its message, not whatever building that message threw (the value's own error, or "Cannot convert object to
 * primitive value"), and must schedule or add nothing.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import {
  Clock,
  Deferred,
  DeferredSemaphore,
  RealTimeScheduler,
  inlineCallbacks,
  setUnhandledErrorHandler,
} from '../../src/index.js';

class HostileError extends Error {}

const hostileValues: Array<[string, () => unknown]> = [
  ['an object whose toString throws', () => ({ toString: () => { throw new HostileError('toString'); } })],
  ['an object without a prototype', () => Object.create(null) as unknown],
];

const entryPoints: Array<[string, (value: any) => unknown, ErrorConstructor | RangeErrorConstructor, RegExp]> = [
  ['Deferred.addCallback()', (v) => new Deferred().addCallback(v), TypeError, /^Expected `callback` to be a function/],
  ['Deferred.addErrback()', (v) => new Deferred().addErrback(v), TypeError, /^Expected `errback` to be a function/],
  ['Deferred.addBoth()', (v) => new Deferred().addBoth(v), TypeError, /^Expected `handler` to be a function/],
  ['Deferred.addCallbacks()', (v) => new Deferred().addCallbacks(null, v), TypeError, /^Expected `errback` to be a function/],
  ['Deferred.addTimeout()', (v) => new Deferred().addTimeout(v, new Clock()), RangeError, /^Expected `ms` to be/],
  ['new DeferredSemaphore()', (v) => new DeferredSemaphore(v), RangeError, /^Expected `tokens` to be/],
  ['inlineCallbacks()', (v) => inlineCallbacks(v), TypeError, /^Expected `generatorFunction` to be/],
  ['setUnhandledErrorHandler()', (v) => setUnhandledErrorHandler(v), TypeError, /^Expected `fn` to be a function or null/],
  ['Clock.callLater() (the delay)', (v) => new Clock().callLater(v, () => undefined), RangeError, /^Expected `ms` to be/],
  ['Clock.callLater() (the function)', (v) => new Clock().callLater(0, v), TypeError, /^Expected `fn` to be a function/],
  ['Clock.advance()', (v) => new Clock().advance(v), RangeError, /^Expected `ms` to be/],
  ['DelayedCall.delay()', (v) => new Clock().callLater(1, () => undefined).delay(v), RangeError, /^Expected `ms` to be/],
  ['DelayedCall.reset()', (v) => new Clock().callLater(1, () => undefined).reset(v), RangeError, /^Expected `ms` to be/],
];

describe.each(hostileValues)('given %s', (_what, make) => {
  it.each(entryPoints)('%s throws its own named error', (_name, call, type, message) => {
    let thrown: unknown;
    try {
      call(make());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(type);
    expect((thrown as Error).message).toMatch(message);
  });

  it('RealTimeScheduler.callLater() throws TypeError for the function and schedules nothing', () => {
    const scheduler = new RealTimeScheduler();
    expect(() => scheduler.callLater(0, make() as () => void)).toThrow(/^Expected `fn` to be a function/);
    expect(scheduler.pendingCount).toBe(0);
  });
});
