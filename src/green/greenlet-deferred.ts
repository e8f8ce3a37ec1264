/**
 * `greenletDeferred`: the Deferred view of a greenlet that `reactor.deferToGreenlet` returns.
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import type { Task } from '../task/task.js';
import type { CallDeadline } from '../context/call-deadline.js';
import type { Scheduler } from '../time/scheduler.js';
import { greenletControl, type Greenlet } from './greenlet.js';
import { GreenletCall } from './greenlet-call.js';
import { hubControl, spawnWithArgs, type GreenletFunction, type Hub } from './hub.js';

const noop = (): undefined => undefined;

/** Options of {@link greenletDeferred}. */
export interface GreenletDeferredOptions {
  /** End the greenlet with `TimeoutError` after this long (a Task's `timeoutMs`). @defaultValue no limit */
  timeoutMs?: number | undefined;
  /** The scheduler for `timeoutMs`. */
  clock: Scheduler;
  /** The task name, for the timeout message. */
  name?: string;
  /**
   * The call's limit as `callDeadline` made it, when it set `timeoutMs`: the timeout's message then says which limit
   * passed (the task's `timeoutMs`, or the deadline of the caller's `withDeadline` scope), as on the other routes.
   */
  deadline?: CallDeadline | undefined;
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
  const call = new GreenletCall<R>(g);
  if (g.dead) {
    g.link(noop); // observed here (e.g. refused with QueueFullError): report through the Deferred only
    call.greenletDied(g);
    return call.deferred;
  }
  greenletControl.watch(g, call); // observes it, as a link does
  const { timeoutMs } = options;
  if (timeoutMs !== undefined && !call.deferred.called) call.armTimeout(options.clock, timeoutMs, options.name ?? g.name, options.deadline);
  return call.deferred;
}

/**
 * @internal `greenletDeferred(spawnWithArgs(hub, fn, args), options)` for a call with no time limit (the reactor's
 * `deferToGreenlet` and green dispatch): a plain function (or a Task of one) is a lazy {@link GreenletCall} (no
 * Greenlet unless something needs one; see there); anything else, or a spawn the hub refuses, takes the eager way.
 * @param hub - the hub.
 * @param fn - the function or Task.
 * @param args - its arguments (the caller's own array: kept as it is, so the caller must not change it).
 * @param options - the clock (no timeout).
 * @returns the Deferred.
 * @throws TypeError when `fn` is neither a function nor a Task.
 */
export function callInGreenlet<R>(hub: Hub, fn: GreenletFunction<any[], R> | Task<any[], R>, args: unknown[], options: GreenletDeferredOptions): Deferred<R> {
  return hubControl.spawnCall<R>(hub, fn, args)?.deferred ?? greenletDeferred(spawnWithArgs(hub, fn, args), options);
}
