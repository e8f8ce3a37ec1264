/**
 * `callDeadline`: the one place a dispatch turns the task's `timeoutMs` and the caller's deadline scope into the
 * time the call may take (SPEC §10: `min(task timeoutMs, time left)`), for every route.
 *
 * @module
 */
import { scopedDeadline } from './deadline-scope.js';
import { RealTimeScheduler } from '../time/real-time-scheduler.js';
import type { Scheduler } from '../time/scheduler.js';

/** The limits of one call: how long from now (on the route's clock) and when, on `Date.now()`'s scale. */
export interface CallDeadline {
  /** Milliseconds the call may take from now; 0 or less: the deadline already passed, so the call must not run. */
  readonly timeoutMs: number;
  /** The same instant in ms since the epoch: what `deadline()` returns inside the task. */
  readonly wallAt: number;
  /** Whether the caller's `withDeadline` scope (rather than the task's own `timeoutMs`) set the limit. */
  readonly fromScope: boolean;
  /**
   * Whether the route's clock is real time, so `wallAt` and the route's timer agree and a worker may refuse to start
   * the call after `wallAt` (a backstop for a main thread too busy to fire the timer). With a virtual clock (tests)
   * only the route's timer ends the call.
   */
  readonly onWallClock: boolean;
}

/**
 * The limits of a call dispatched now.
 *
 * Costs one storage read when no `withDeadline` was ever used and the task has no `timeoutMs`.
 *
 * @param taskTimeoutMs - the task's own `timeoutMs` (counted from now, its dispatch), if any.
 * @param clock - the route's clock (`timeoutMs` counts on it).
 * @returns the limits, or `undefined` when the call has none.
 */
export function callDeadline(taskTimeoutMs: number | undefined, clock: Pick<Scheduler, 'now'>): CallDeadline | undefined {
  const scope = scopedDeadline();
  if (scope === undefined && taskTimeoutMs === undefined) return undefined;
  const onWallClock = clock instanceof RealTimeScheduler;
  const left = scope === undefined ? Number.POSITIVE_INFINITY : scope.at - scope.clock.now();
  if (taskTimeoutMs !== undefined && taskTimeoutMs <= left) {
    return { timeoutMs: taskTimeoutMs, wallAt: Date.now() + taskTimeoutMs, fromScope: false, onWallClock };
  }
  return { timeoutMs: left, wallAt: scope!.wallAt, fromScope: true, onWallClock };
}

/**
 * The message of the `TimeoutError` a call gets when its limit passes.
 * @param name - the task's name.
 * @param limit - the call's limits.
 * @returns the message.
 */
export function deadlineMessage(name: string, limit: CallDeadline): string {
  return limit.fromScope
    ? `Task \`${name}\` did not finish before the deadline of its withDeadline scope`
    : `Task \`${name}\` did not finish within ${limit.timeoutMs} ms`;
}
