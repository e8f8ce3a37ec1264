/**
 * Cancellation as a thread task sees it: `cancelled()`, `throwIfCancelled()` and `signal`.
 *
 * All three read the task's cancellation slot in shared memory, so a synchronous CPU loop that never yields to
 * the event loop still sees `reactor`-side cancellation at once. `signal` is one object per loaded copy of this
 * module that stands for the running task's own signal: each read or listener registration goes to the signal
 * of the task running at that moment (found through its async context when a worker runs several tasks at once),
 * made on the task's first look. So every task sees its own, whenever it first looks — also a task whose module
 * imports `greenreactor/worker` only while it already runs. Outside a thread task it never aborts.
 *
 * @module
 */
import { CancelledError } from '../errors.js';
import { taskSignal } from './task-signal.js';
import { isTaskCancelled, runningTask } from './worker-state.js';

const facade: AbortSignal = new AbortController().signal;
const ownAddEventListener = EventTarget.prototype.addEventListener.bind(facade);
const ownRemoveEventListener = EventTarget.prototype.removeEventListener.bind(facade);

/** The running task's own signal, made on its first look; `undefined` outside a thread task. */
function current(): AbortSignal | undefined {
  const task = runningTask();
  return task === undefined ? undefined : taskSignal(task);
}

// Outside a task the facade is a signal that never aborts: its own (native) members serve as they are.
Object.defineProperties(facade, {
  aborted: { get: (): boolean => current()?.aborted ?? false },
  reason: { get: (): unknown => current()?.reason },
  throwIfAborted: {
    value: (): void => {
      current()?.throwIfAborted();
    },
  },
  onabort: {
    get: (): unknown => current()?.onabort ?? null,
    set: (handler: ((this: AbortSignal, event: Event) => unknown) | null): void => {
      const own = current();
      if (own !== undefined) own.onabort = handler;
    },
  },
  addEventListener: {
    value: (...args: Parameters<AbortSignal['addEventListener']>): void => {
      const own = current();
      if (own === undefined) ownAddEventListener(...args);
      else own.addEventListener(...args);
    },
  },
  removeEventListener: {
    value: (...args: Parameters<AbortSignal['removeEventListener']>): void => {
      const own = current();
      if (own === undefined) ownRemoveEventListener(...args);
      else own.removeEventListener(...args);
    },
  },
});

/**
 * The `AbortSignal` of the running thread task.
 *
 * Why a signal as well as `cancelled()`: APIs such as `fetch`, `stream.pipeline` or `setTimeout` from
 * `node:timers/promises` take a signal. Its `aborted` reads shared memory, so it is exact inside a synchronous loop
 * too; its `'abort'` event fires while an async task awaits. It always stands for the task running where it is
 * read (a real `AbortSignal`, so APIs that check the class accept it); outside a thread task it never aborts.
 * `AbortSignal.any([signal])` does not follow it (it reads the signal's internal state): pass `signal` itself.
 *
 * @example
 * ```ts
 * import { signal } from 'greenreactor/worker';
 * export const download = defineTask(import.meta.url, 'download', async (url: string) =>
 *   (await fetch(url, { signal })).arrayBuffer());
 * ```
 */
export const signal: AbortSignal = facade;

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
