/**
 * `deferLater`: run a function after a delay, as a Deferred.
 *
 * @module
 */
import type { Scheduler } from '../time/scheduler.js';
import { Deferred, type ChainResult } from './deferred.js';

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
 * @throws RangeError when `ms` is negative (from `clock.callLater`).
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
  const d = new Deferred<undefined>(() => {
    if (call.active()) call.cancel();
  });
  const call = clock.callLater(ms, () => d.callback(undefined));
  if (fn === undefined) return d as Deferred<ChainResult<R>>;
  return d.addCallback(() => fn(...args));
}
