/**
 * `waitForDeferred`: wait inside a greenlet for a Deferred, with a timeout that leaves it alone.
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { Failure } from '../deferred/failure.js';
import { TimeoutError } from '../errors.js';
import type { Scheduler } from '../time/scheduler.js';

const noop = (): undefined => undefined;

/**
 * A Deferred with `d`'s outcome — unwrapping a result that is itself a Deferred or thenable — or `TimeoutError`
 * after `timeoutMs`, without cancelling `d` (geventreactor's `waitForDeferred`).
 *
 * `d` is only observed: its own chain keeps its result, and a failure counts as handled.
 *
 * @param d - a Deferred, Promise or thenable.
 * @param timeoutMs - how long to wait; `undefined` for no limit.
 * @param clock - the scheduler for the timeout.
 * @returns a Deferred a greenlet can `yield` or `await`.
 */
export function waitForDeferred<T>(d: PromiseLike<T>, timeoutMs: number | undefined, clock: Scheduler): Deferred<T> {
  let timer: ReturnType<Scheduler['callLater']> | null = null;
  const result = new Deferred<T>(() => {
    if (timer?.active() === true) timer.cancel();
  });
  const settle = (value: unknown, failed: boolean): void => {
    if (result.called) return;
    if (!failed && typeof value === 'object' && value !== null) {
      let thenable: boolean;
      try {
        thenable = typeof (value as PromiseLike<unknown>).then === 'function';
      } catch (error) {
        settle(error, true); // its `then` getter threw: that is the outcome, as a Promise adopting it would reject
        return;
      }
      if (thenable) {
        follow(value as PromiseLike<unknown>); // nested: wait for the inner one
        return;
      }
    }
    if (timer?.active() === true) timer.cancel();
    if (failed) result.errback(value);
    else result.callback(value as T);
  };
  const follow = (source: PromiseLike<unknown>): void => {
    if (source instanceof Deferred) {
      source.addBoth((r: unknown) => {
        if (r instanceof Failure) {
          void source.then(undefined, noop); // observed: handled here
          settle(r, true);
        } else {
          settle(r, false);
        }
        return r;
      });
    } else {
      try {
        source.then(
          (v) => settle(v, false),
          (e) => settle(e, true),
        );
      } catch (error) {
        settle(error, true); // a `then` that throws rejects, as it would for a Promise adopting it
      }
    }
  };
  follow(d);
  if (timeoutMs !== undefined && !result.called) {
    timer = clock.callLater(timeoutMs, () => {
      if (!result.called) result.errback(new TimeoutError(`waitForDeferred timed out after ${timeoutMs} ms`));
    });
  }
  return result;
}
