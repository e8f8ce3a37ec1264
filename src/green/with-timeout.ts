/**
 * `withTimeout`: wait for something, at most so long (gevent's `with_timeout`).
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
import { Failure } from '../deferred/failure.js';
import { TimeoutError } from '../errors.js';
import { getDefaultHub } from './default-hub.js';
import { Greenlet } from './greenlet.js';
import type { Hub } from './hub.js';

/**
 * Wait for `waitable`, failing with `TimeoutError` after `ms` of hub clock time.
 *
 * On timeout a Deferred is cancelled and a Greenlet killed (with `GreenletExit`); a Promise cannot be stopped and
 * its late outcome is dropped. Like gevent, the timeout can only take effect when the loop gets control — at a
 * switch point of the greenlet that is running — never in the middle of a step.
 *
 * @param waitable - a Greenlet, Deferred, Promise or any thenable.
 * @param ms - the time limit.
 * @param hub - whose clock to use; default: the default reactor's hub.
 * @returns a Deferred with the waitable's outcome, or errbacking with `TimeoutError`.
 * @example
 * ```ts
 * const page = yield withTimeout(fetchPage(url), 5000);
 * ```
 */
export function withTimeout<T>(waitable: PromiseLike<T> | Greenlet<T>, ms: number, hub?: Hub): Deferred<T> {
  if (typeof ms !== 'number' || !(ms >= 0)) {
    return fail<T>(new TypeError(`Expected \`ms\` to be a number >= 0, got \`${String(ms)}\` (${typeof ms})`));
  }
  const result = new Deferred<T>(() => {
    if (timer?.active() === true) timer.cancel();
    if (waitable instanceof Greenlet) void waitable.kill();
    else if (waitable instanceof Deferred) waitable.cancel();
  });
  const settle = (value: unknown, failed: boolean): void => {
    if (result.called) return;
    if (timer?.active() === true) timer.cancel();
    if (failed) result.errback(value);
    else result.callback(value as T);
  };
  let timer: ReturnType<Hub['clock']['callLater']> | null = null;
  const source = waitable instanceof Greenlet ? waitable.get() : waitable;
  if (source instanceof Deferred) {
    source.addBoth((r: unknown) => {
      settle(r, r instanceof Failure);
      return undefined; // taken over: its outcome lives on in `result`
    });
  } else {
    source.then(
      (v) => settle(v, false),
      (e) => settle(e, true),
    );
  }
  if (result.called) return result;
  timer = (hub ?? getDefaultHub()).clock.callLater(ms, () => {
    if (result.called) return;
    result.errback(new TimeoutError(`Timed out after ${ms} ms`));
    if (waitable instanceof Greenlet) void waitable.kill();
    else if (waitable instanceof Deferred) waitable.cancel();
  });
  return result;
}
