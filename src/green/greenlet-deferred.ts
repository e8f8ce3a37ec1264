/**
 * `greenletDeferred`: the Deferred view of a greenlet that `reactor.deferToGreenlet` returns.
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { TimeoutError } from '../errors.js';
import type { DelayedCall, Scheduler } from '../time/scheduler.js';
import { greenletControl, isGreenletExit, type Greenlet } from './greenlet.js';
import type { GreenletWatcher } from './greenlet-control.js';

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

/** The one canceller every {@link GreenletCall} shares (no closure per call). */
const cancelCall = (d: Deferred<any>): void => {
  (d as GreenletCall<unknown>).cancelGreenlet();
};

/**
 * The Deferred of one greenlet call: it holds its greenlet and timer itself and is the greenlet's death watcher,
 * so a call costs this one object rather than a closure scope with a canceller, a settler and their shared variables.
 */
class GreenletCall<R> extends Deferred<R> implements GreenletWatcher {
  readonly #greenlet: Greenlet<R>;
  #timer: DelayedCall | null = null;
  #cancelling = false;

  constructor(g: Greenlet<R>) {
    super(cancelCall);
    this.#greenlet = g;
  }

  /** The canceller: kill the greenlet; the Deferred still says CancelledError if the kill ends it synchronously. */
  cancelGreenlet(): void {
    this.#cancelling = true;
    this.#stopTimer();
    void this.#greenlet.kill();
  }

  /** The greenlet died: fire with its outcome, unless cancelled or timed out first (the late outcome is dropped). */
  greenletDied(dead: Greenlet<R>): void {
    if (this.called || this.#cancelling) return;
    this.#stopTimer();
    if (!dead.successful()) this.errback(dead.exception);
    else if (isGreenletExit(dead.value)) this.errback(dead.value);
    else this.callback(dead.value as R);
  }

  /** Arm the task's `timeoutMs`: past it, errback with `TimeoutError` and kill the greenlet. */
  armTimeout(clock: Scheduler, timeoutMs: number, name: string): void {
    this.#timer = clock.callLater(timeoutMs, () => {
      if (this.called) return;
      this.errback(new TimeoutError(`Greenlet ${name} did not finish within ${timeoutMs} ms`));
      void this.#greenlet.kill();
    });
  }

  #stopTimer(): void {
    const timer = this.#timer;
    if (timer !== null && timer.active()) timer.cancel();
  }
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
  const d = new GreenletCall<R>(g);
  if (g.dead) {
    g.link(noop); // observed here (e.g. refused with QueueFullError): report through the Deferred only
    d.greenletDied(g);
    return d;
  }
  greenletControl.watch(g, d); // observes it, as a link does
  const { timeoutMs } = options;
  if (timeoutMs !== undefined && !d.called) d.armTimeout(options.clock, timeoutMs, options.name ?? g.name);
  return d;
}
