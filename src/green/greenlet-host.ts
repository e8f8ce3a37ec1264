/**
 * `GreenletHost`: the hub's side of the hub–greenlet contract — what a hub does for the greenlets it made.
 *
 * Who may call what:
 * - Only a `Greenlet`, from its own methods, calls these, and only on the host it was constructed with; a lazy
 *   `GreenletCall` (greenlet-call.ts) calls `materialize` and `dropCall`, and only from its canceller.
 * - Each method is called in a fixed place of the greenlet's lifecycle (see `greenlet-state.ts`):
 *   `schedule` when the greenlet becomes `'queued'` (`requeue` instead when it does so by switching in its own
 *   synchronous step: a bare `yield` or its own `cooperate()`); `parkedDelta(+1)`/`(-1)` exactly when it enters/leaves
 *   `'parked'`; `callTracked` to make its first call when that may be an async function; `died` exactly once, when it becomes
 *   `'dead'` (before its links run); `reportError` for an
 *   exception nobody observed or a link that threw; `newWait` to make the Deferred of a `join`/`get`/`kill`;
 *   `inGreenlet` before `then` makes one for `await greenlet`.
 * - The hub never calls back into the greenlet from these methods except through `GreenletControl`
 *   (`greenlet-control.ts`), the other direction of the contract.
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import type { Scheduler } from '../time/scheduler.js';
import type { Greenlet } from './greenlet.js';
import type { GreenletCall } from './greenlet-call.js';

/** What a hub provides to its greenlets; implemented by `Hub`, called only by `Greenlet`. */
export interface GreenletHost {
  /** The hub's scheduler, for `join`/`get` timeouts. */
  readonly clock: Scheduler;
  /** The greenlet became `'queued'`: append it to the run queue (and start a pass if the hub is idle). */
  schedule(g: Greenlet<any>): void;
  /**
   * The greenlet switched in its own synchronous step (a bare `yield`, its own `cooperate()`) and became `'queued'`:
   * append it to the run queue. Steps run only in the hub's pass, so there is never a pass to start: the run loop's
   * hottest path skips `schedule`'s test (the switch row: 0.97-0.98x the time).
   */
  requeue(g: Greenlet<any>): void;
  /** The greenlet entered (+1) or left (-1) `'parked'`: keep the parked counter. */
  parkedDelta(delta: number): void;
  /**
   * The greenlet became `'dead'` (called once, before its links run); `tracked` as for {@link callTracked};
   * `notifies`: it has links or watchers to notify now (the hub ends the step's timing here when it died in its own
   * synchronous step, so the callbacks they run are not charged to it).
   */
  died(g: Greenlet<any>, tracked: boolean, notifies: boolean): void;
  /**
   * Call the greenlet's function (its first step) under the hub's greenlet identity, so that the continuations of an
   * async function stay known as this greenlet's after any number of foreign awaits. Called at most once per
   * greenlet, and never for a generator function (whose steps the hub always runs itself).
   * @returns what `fn` returns.
   * @throws what `fn` throws.
   */
  callTracked(g: Greenlet<any>, fn: (...args: any[]) => unknown, args: unknown[]): unknown;
  /** Report an error nobody handled (an escaping exception, a throwing link) on the hub's `'error'`. */
  reportError(error: unknown, g: Greenlet<any>): void;
  /**
   * A Deferred for a waiter on the greenlet (its `join`/`get`/`kill`): a hub wait, so an async greenlet awaiting it
   * resumes in its turn and stays killable meanwhile — the greenlet itself too (its own kill goes in there, and a
   * wait for its own death stays killable and ends on its timeout).
   */
  newWait<T>(canceller: (d: Deferred<T>) => void, onAbandon: () => void): Deferred<T>;
  /** @returns true while code of one of this hub's greenlets runs (a hub wait made now would be its own). */
  inGreenlet(): boolean;
  /** A lazy call running its function is cancelled: give it its greenlet now (to kill). @returns the greenlet. */
  materialize(call: GreenletCall<any>): Greenlet<any>;
  /** A lazy call still queued is cancelled: it never runs, and is alive no more. */
  dropCall(): void;
}
