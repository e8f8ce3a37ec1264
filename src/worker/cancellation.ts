/**
 * Cancellation as a thread task sees it: `cancelled()`, `throwIfCancelled()` and `signal`.
 *
 * All three read the task's cancellation slot in shared memory, so a synchronous CPU loop that never yields to
 * the event loop still sees `reactor`-side cancellation at once. `signal` is a live binding: the worker entry
 * points it at the running task's `AbortSignal` as each task starts; outside a thread task it is a signal that
 * never aborts.
 *
 * @module
 */
import { isMainThread } from 'node:worker_threads';
import { CancelledError } from '../errors.js';
import { registerSignalBinding } from './signal-bindings.js';
import { isTaskCancelled, runningTask } from './worker-state.js';

const neverAborts: AbortSignal = new AbortController().signal;

/**
 * The `AbortSignal` of the running thread task.
 *
 * Why a signal as well as `cancelled()`: APIs such as `fetch`, `stream.pipeline` or `setTimeout` from
 * `node:timers/promises` take a signal. Its `aborted` reads shared memory, so it is exact inside a synchronous loop
 * too; its `'abort'` event fires while an async task awaits. Outside a thread task it never aborts.
 *
 * @example
 * ```ts
 * import { signal } from 'greenreactor/worker';
 * export const download = defineTask(import.meta.url, 'download', async (url: string) =>
 *   (await fetch(url, { signal })).arrayBuffer());
 * ```
 */
export let signal: AbortSignal = neverAborts;

// Each loaded copy of this module registers how to repoint its own `signal`; only in a worker, and it opens nothing.
if (!isMainThread) {
  registerSignalBinding((s) => {
    signal = s ?? neverAborts;
  });
}

/**
 * Tells whether the running thread task was cancelled.
 *
 * Cheap enough to call in every iteration of a hot loop (one atomic load). After a cancellation the task has
 * `cancelGraceMs` to stop on its own before its worker is terminated.
 *
 * @returns true when the task's Deferred was cancelled or timed out; always false outside a thread task.
 * @example
 * ```ts
 * for (let i = 0; i < n && !cancelled(); i++) work(i);
 * ```
 */
export function cancelled(): boolean {
  const task = runningTask();
  return task !== undefined && isTaskCancelled(task);
}

/**
 * Throws `CancelledError` when the running thread task was cancelled; does nothing otherwise.
 *
 * @throws CancelledError once the task's Deferred was cancelled or timed out.
 * @example
 * ```ts
 * for (const row of rows) { throwIfCancelled(); insert(row); }
 * ```
 */
export function throwIfCancelled(): void {
  const task = runningTask();
  if (task !== undefined && isTaskCancelled(task)) {
    throw new CancelledError(`Task \`${task.name}\` was cancelled`);
  }
}
