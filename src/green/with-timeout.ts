/**
 * `withTimeout`: wait for something, at most so long (gevent's `with_timeout`).
 *
 * @module
 */
import { inspect } from 'node:util';
import { Deferred, isDeferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
import { isThenable } from '../is-thenable.js';
import { isFailure } from '../deferred/failure.js';
import { describeValue } from '../describe-value.js';
import { succeed } from '../deferred/succeed.js';
import { TimeoutError } from '../errors.js';
import { getDefaultHub } from './default-hub.js';
import { followThenable } from './follow-thenable.js';
import { Greenlet, isGreenlet } from './greenlet.js';
import { newHubWait, type Hub } from './hub.js';
import { HubWait, takeOutcome } from './hub-wait.js';
import type { DelayedCall } from '../time/scheduler.js';

/**
 * Wait for `waitable`, failing with `TimeoutError` after `ms` of hub clock time.
 *
 * On timeout a Deferred is cancelled and a Greenlet killed (with `GreenletExit`); a Promise cannot be stopped and
 * its late outcome is dropped. The Deferred it returns is a hub wait: an async greenlet awaiting it is killable
 * there, and a greenlet killed while waiting on it abandons the hub wait it wraps, so `withTimeout(sem.acquire(), ms)`
 * or `withTimeout(q.get(), ms)` of a killed greenlet leaves the line, or hands on the token or item it was just given
 * (gevent's rule for a killed waiter). An outcome already there when it is called comes back at once, not as a
 * wait. Like gevent, the timeout can only take effect when the loop gets control — at a switch point of the
 * greenlet that is running — never in the middle of a step.
 *
 * @param waitable - a Greenlet, Deferred, Promise or any thenable.
 * @param ms - the time limit.
 * @param hub - whose clock to use; default: the default reactor's hub.
 * @returns a Deferred with the waitable's outcome, or errbacking with `TimeoutError`; errbacking `TypeError` when
 *   `waitable` is none of those or `ms` is not a number >= 0 (what a thenable's `then` throws: with that).
 * @example
 * ```ts
 * const page = yield withTimeout(fetchPage(url), 5000);
 * ```
 */
export function withTimeout<T>(waitable: PromiseLike<T> | Greenlet<T>, ms: number, hub?: Hub): Deferred<T> {
  if (typeof ms !== 'number' || !(ms >= 0)) {
    return fail<T>(new TypeError(`Expected \`ms\` to be a number >= 0, got ${describeValue(ms)}`));
  }
  let result: Deferred<T> | null = null; // made once the source is known to be still pending
  let early: { value: unknown; failed: boolean } | null = null;
  let timer: DelayedCall | null = null;
  const settle = (value: unknown, failed: boolean): void => {
    if (result === null) {
      early = { value, failed };
      return;
    }
    if (result.called) return;
    if (timer?.active() === true) timer.cancel();
    if (failed) result.errback(value);
    else result.callback(value as T);
  };
  if (!(isGreenlet(waitable))) {
    let thenable: boolean;
    try {
      thenable = isThenable(waitable);
    } catch (error: unknown) {
      return fail<T>(error); // its `then` getter threw: that is the outcome, as awaiting it would reject
    }
    if (!thenable) {
      return fail<T>(
        new TypeError(`Expected \`waitable\` to be a Greenlet, Deferred, Promise or thenable, got \`${inspect(waitable)}\` (${typeof waitable})`),
      );
    }
  }
  const source = isGreenlet(waitable) ? waitable.get() : waitable;
  if (isDeferred(source)) {
    takeOutcome(source, (r: unknown) => settle(r, isFailure(r))); // its outcome lives on in `result`
  } else {
    followThenable(
      source,
      (v) => settle(v, false),
      (e) => settle(e, true),
    );
  }
  if (early !== null) {
    const { value, failed } = early as { value: unknown; failed: boolean };
    return failed ? fail<T>(value) : succeed(value as T);
  }
  const h = hub ?? getDefaultHub();
  // A hub wait: a greenlet waiting on it is killable there (an async one too), and a kill abandons the wait inside
  // (a primitive's waiter leaves its line, or hands on what it was already given: gevent's rule), as it would had
  // the greenlet waited on it directly.
  result = newHubWait<T>(
    h,
    () => {
      if (timer?.active() === true) timer.cancel();
      if (isGreenlet(waitable)) void waitable.kill();
      else if (isDeferred(waitable)) waitable.cancel();
    },
    () => {
      if (timer?.active() === true) timer.cancel();
      if (source instanceof HubWait) source.abandon();
    },
  );
  // The wait it wraps was left with it: it fires with the kill too (if it had no outcome yet), as it would have.
  if (source instanceof HubWait) (result as HubWait<T>).onDropped((exception) => source.dropped(exception));
  const d = result;
  timer = h.clock.callLater(ms, () => {
    if (d.called) return;
    d.errback(new TimeoutError(`Timed out after ${ms} ms`));
    if (isGreenlet(waitable)) void waitable.kill();
    else if (isDeferred(waitable)) waitable.cancel();
  });
  return d;
}
