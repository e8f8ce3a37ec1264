/**
 * `deadline()`: when the running task must be done, on every path (SPEC §10).
 *
 * @module
 */
import { scopedDeadline } from '../context/deadline-scope.js';
import { currentGreenletDeadline } from '../context/greenlet-deadlines.js';
import { runningTask } from './worker-state.js';

function earlier(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined || a <= b ? a : b;
}

/**
 * The running task's effective deadline: the earlier of its own `timeoutMs` (counted from dispatch) and the
 * `withDeadline` scope it was dispatched in.
 *
 * Works in a worker thread (the deadline travelled with the task), in a greenlet the reactor spawned, and in code
 * running inside `reactor.withDeadline` (inline calls). A long task can check it to stop early or size its work.
 *
 * @returns the deadline in ms since the epoch (`Date.now()` scale), or `undefined` when the task has neither.
 * @example
 * ```ts
 * const d = deadline();
 * while (moreWork() && (d === undefined || Date.now() < d - 5)) step();
 * ```
 */
export function deadline(): number | undefined {
  const task = runningTask();
  const scope = scopedDeadline()?.wallAt;
  if (task !== undefined) return earlier(task.deadline, scope);
  return earlier(currentGreenletDeadline(), scope);
}
