/**
 * `greenletDeferred`: the Deferred view of a greenlet that `reactor.deferToGreenlet` returns.
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { TimeoutError } from '../errors.js';
import type { Scheduler } from '../time/scheduler.js';
import { isGreenletExit, type Greenlet } from './greenlet.js';

const noop = (): undefined => undefined;

/** Options of {@link greenletDeferred}. */
export interface GreenletDeferredOptions {
  /** End the greenlet with `TimeoutError` after this long (a Task's `timeoutMs`). @defaultValue no limit */
  timeoutMs?: number | undefined;
  /** The scheduler for `timeoutMs`. */
  clock: Scheduler;
  /** The task name, for the timeout message. */
  name?: string;
}

/**
 * A Deferred that fires with a greenlet's outcome, geventreactor's way.
 *
 * Why not `greenlet.get()`: `deferToGreenlet` has stricter rules — a greenlet killed by `GreenletExit` errbacks
 * with it (rather than succeeding with it), cancelling the Deferred kills the greenlet (one not started never
 * runs) and errbacks at once with `CancelledError`, and a task's `timeoutMs` kills it and errbacks with
 * `TimeoutError`. A result that arrives after cancellation or timeout is dropped.
 *
 * @param g - the greenlet (possibly already dead, e.g. refused with `QueueFullError`).
 * @param options - timeout and clock.
 * @returns the Deferred.
 */
export function greenletDeferred<R>(g: Greenlet<R>, options: GreenletDeferredOptions): Deferred<R> {
  let timer: ReturnType<Scheduler['callLater']> | null = null;
  let cancelling = false;
  const d = new Deferred<R>(() => {
    cancelling = true; // the kill below may end the greenlet synchronously: the Deferred still says CancelledError
    if (timer?.active() === true) timer.cancel();
    void g.kill();
  });
  const settle = (dead: Greenlet<R>): void => {
    if (d.called || cancelling) return; // cancelled or timed out first: the late outcome is dropped
    if (timer?.active() === true) timer.cancel();
    if (!dead.successful()) d.errback(dead.exception);
    else if (isGreenletExit(dead.value)) d.errback(dead.value);
    else d.callback(dead.value as R);
  };
  if (g.dead) {
    g.link(noop); // observed here (e.g. refused with QueueFullError): report through the Deferred only
    settle(g);
    return d;
  }
  g.link(settle);
  const { timeoutMs } = options;
  if (timeoutMs !== undefined && !d.called) {
    timer = options.clock.callLater(timeoutMs, () => {
      if (d.called) return;
      d.errback(new TimeoutError(`Greenlet ${options.name ?? g.name} did not finish within ${timeoutMs} ms`));
      void g.kill();
    });
  }
  return d;
}
