/**
 * `waitForDeferred`: wait inside a greenlet for a Deferred, with a timeout that leaves it alone.
 *
 * @module
 */
import { Deferred, isDeferred } from '../deferred/deferred.js';
import { isFailure } from '../deferred/failure.js';
import { fail } from '../deferred/fail.js';
import { succeed } from '../deferred/succeed.js';
import { TimeoutError } from '../errors.js';
import { isThenable } from '../is-thenable.js';
import { newHubWait, type Hub } from './hub.js';
import { observeOutcome } from './hub-wait.js';
import type { Scheduler } from '../time/scheduler.js';

const noop = (): undefined => undefined;

/**
 * A Deferred with `d`'s outcome — unwrapping a result that is itself a Deferred or thenable — or `TimeoutError`
 * after `timeoutMs`, without cancelling `d` (geventreactor's `waitForDeferred`).
 *
 * `d` is only observed: its own chain keeps its result, and a failure the wait takes counts as handled (one that
 * comes after the wait ended — it timed out, or its greenlet was killed — is left for `d`'s owner).
 *
 * @param d - a Deferred, Promise or thenable.
 * @param timeoutMs - how long to wait; `undefined` for no limit.
 * @param clock - the scheduler for the timeout.
 * @param hub - the hub whose greenlets wait: given, the Deferred is a hub wait, so an async greenlet of that hub
 *   awaiting it is killable there (without it, `await` of it in an async greenlet is a foreign await).
 * @returns a Deferred a greenlet can `yield` or `await` (an outcome already there comes back at once).
 */
export function waitForDeferred<T>(d: PromiseLike<T>, timeoutMs: number | undefined, clock: Scheduler, hub?: Hub): Deferred<T> {
  let timer: ReturnType<Scheduler['callLater']> | null = null;
  let result: Deferred<T> | null = null; // made once `d` is known to be still pending
  let early: { value: unknown; failed: boolean } | null = null;
  const settle = (value: unknown, failed: boolean): void => {
    if (early !== null || result?.called === true) return;
    if (!failed) {
      let thenable: boolean;
      try {
        thenable = isThenable(value);
      } catch (error) {
        settle(error, true); // its `then` getter threw: that is the outcome, as a Promise adopting it would reject
        return;
      }
      if (thenable) {
        follow(value as PromiseLike<unknown>); // nested: wait for the inner one
        return;
      }
    }
    if (result === null) {
      early = { value, failed };
      return;
    }
    if (timer?.active() === true) timer.cancel();
    if (failed) result.errback(value);
    else result.callback(value as T);
  };
  const follow = (source: PromiseLike<unknown>): void => {
    if (isDeferred(source)) {
      observeOutcome(source, (r: unknown) => {
        if (isFailure(r)) {
          // Observed, and handled when the wait takes it; not once the wait ended (timed out, its greenlet killed):
          // then it reached nobody, and is reported when `source` is collected unless its owner handles it.
          if (early === null && result?.called !== true) void source.then(undefined, noop);
          settle(r, true);
        } else {
          settle(r, false);
        }
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
  if (early !== null) {
    const { value, failed } = early as { value: unknown; failed: boolean };
    return failed ? fail<T>(value) : succeed(value as T);
  }
  const stop = (): void => {
    if (timer?.active() === true) timer.cancel();
  };
  // With the hub: a hub wait, so a greenlet of that hub waiting on it is killable there (the kill only stops the
  // wait, as the timeout does: `d` is left alone).
  const w = hub === undefined ? new Deferred<T>(stop) : newHubWait<T>(hub, stop, stop);
  result = w;
  if (timeoutMs !== undefined) {
    timer = clock.callLater(timeoutMs, () => {
      if (!w.called) w.errback(new TimeoutError(`waitForDeferred timed out after ${timeoutMs} ms`));
    });
  }
  return w;
}
