/**
 * `deferLater`: run a function after a delay, as a Deferred.
 *
 * @module
 */
import { AlreadyCalledError } from '../errors.js';
import { safeString } from '../safe-string.js';
import type { Scheduler } from '../time/scheduler.js';
import { expectScheduler } from '../time/expect-scheduler.js';
import { Deferred, type ChainResult } from './deferred.js';
import { Failure } from './failure.js';
import { reportUnhandledFailure } from './unhandled-error-handler.js';

/**
 * Call `fn(...args)` after `ms` of `clock` time and fire with its result (Twisted's `task.deferLater`).
 *
 * The delayed-call counterpart of `maybeDeferred`: a throw fails the Deferred, a returned Deferred or Promise is
 * followed. Cancelling before the delay ends removes the delayed call, so `fn` never runs, and errbacks with
 * `CancelledError`.
 *
 * @param clock - the scheduler (a `Clock` in tests, the reactor in production).
 * @param ms - the delay in milliseconds.
 * @param fn - the function to call; omitted, the Deferred fires with `undefined`.
 * @param args - its arguments.
 * @returns a Deferred of `fn`'s result.
 * @throws RangeError when `ms` is negative or not finite (from `clock.callLater`); TypeError when `clock` is not a
 *   Scheduler, or `fn` is given and is not a function (nothing is scheduled then).
 * @example
 * ```ts
 * deferLater(reactor, 1_000, () => 'a second later').addCallback(console.log);
 * ```
 */
export function deferLater<A extends unknown[], R = undefined>(
  clock: Scheduler,
  ms: number,
  fn?: (...args: A) => R,
  ...args: A
): Deferred<ChainResult<R>> {
  expectScheduler(clock, 'clock');
  if (fn !== undefined && typeof fn !== 'function') {
    // Before the call is scheduled: a throw after it would leave a timer behind.
    throw new TypeError(`Expected \`fn\` to be a function, got \`${safeString(fn)}\` (${typeof fn})`);
  }
  const d = new Deferred<undefined>(() => {
    if (call.active()) call.cancel();
  });
  const call = clock.callLater(ms, () => {
    // Its caller may have fired `d` first (misuse). A throw here would escape the scheduler (`Clock.advance()`, or
    // an uncaught exception on real time): report the `AlreadyCalledError` instead; the caller's result stands.
    if (d.called) reportUnhandledFailure(new Failure(new AlreadyCalledError(firedFirst(ms))));
    else d.callback(undefined);
  });
  if (fn === undefined) return d as Deferred<ChainResult<R>>;
  return d.addCallback(() => fn(...args));
}

function firedFirst(ms: number): string {
  return `deferLater's Deferred was fired by its caller before its ${ms} ms passed; the timer found it already called`;
}
