/**
 * `blockingCallFromGreenlet`: from inside a greenlet, run a function in the reactor, outside every greenlet.
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { maybeDeferred } from '../deferred/maybe-deferred.js';
import { describeValue } from '../describe-value.js';
import type { Scheduler } from '../time/scheduler.js';
import type { Hub } from './hub.js';

/**
 * Run `fn(...args)` on the reactor's next turn, outside any greenlet, and hand its result (a value, Promise or
 * Deferred, or what it throws) to the calling greenlet.
 *
 * Why: code that must not run inside a greenlet (it would see `getCurrent()` or block a step) is deferred to the
 * reactor, as geventreactor's `blockingCallFromGreenlet`. Called outside a greenlet, it errbacks with `TypeError`.
 *
 * @param hub - the hub whose current greenlet is the caller.
 * @param clock - the reactor's scheduler (its next turn is a `callLater(0)`).
 * @param fn - the function.
 * @param args - its arguments.
 * @returns a Deferred the greenlet can `yield` or `await`.
 */
export function blockingCallFromGreenlet<A extends unknown[], R>(
  hub: Hub,
  clock: Scheduler,
  fn: (...args: A) => R,
  args: A,
): Deferred<Awaited<R>> {
  let call: ReturnType<Scheduler['callLater']> | null = null;
  const result = new Deferred<Awaited<R>>(() => {
    if (call?.active() === true) call.cancel();
  });
  if (typeof fn !== 'function') {
    result.errback(new TypeError(`Expected \`fn\` to be a function, got ${describeValue(fn)}`));
    return result;
  }
  if (hub.getCurrent() === null) {
    result.errback(new TypeError('blockingCallFromGreenlet() must be called from inside a greenlet of the reactor hub'));
    return result;
  }
  call = clock.callLater(0, () => {
    maybeDeferred(fn, ...args).addBoth((r: unknown) => {
      if (!result.called) result.callback(r as Awaited<R>);
      return undefined;
    });
  });
  return result;
}
