/**
 * `emit(item)`: a task's partial result, on every path (SPEC §9).
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import { currentInProcessStream } from '../stream/in-process-stream.js';
import { emitFromWorker } from './worker-stream.js';
import { runningTask } from './worker-state.js';

/**
 * Sends `item` to the consumer of the running task's stream (`reactor.stream`).
 *
 * Why it blocks: a task that produces faster than its consumer reads would otherwise fill memory. Up to the
 * stream's window (`streamWindow`, default 16) items may be emitted and not yet read; past it:
 * - in a worker thread `emit` blocks until the consumer reads (shared memory, so it works inside a synchronous CPU
 *   loop), and throws `CancelledError` if the stream is cancelled meanwhile (or was already);
 * - in a greenlet it returns a Deferred to `yield` (or `await`): the greenlet parks until the item is readable. A
 *   greenlet that does not yield it is never blocked: its items wait in memory, in order;
 * - inline (a synchronous call) it buffers.
 * Outside a stream (a plain `deferToThread`, `dispatch`, or no task at all) the item is discarded and nothing
 * blocks.
 *
 * @param item - the item; structured-cloneable when the task runs in a worker.
 * @returns `undefined`, or (in-process, window full) a Deferred firing when the item became readable.
 * @throws CancelledError in a worker whose task was cancelled; DataCloneError when a worker's item cannot be cloned.
 * @example
 * ```ts
 * export const rows = defineTask(import.meta.url, 'rows', function* (n: number) {
 *   for (let i = 0; i < n; i++) yield emit({ i }); // blocks in a worker, parks in a greenlet
 *   return n;
 * });
 * ```
 */
export function emit(item: unknown): Deferred<void> | undefined {
  const task = runningTask();
  if (task !== undefined) {
    if (task.stream !== undefined) emitFromWorker(task, task.stream, item);
    return undefined;
  }
  return currentInProcessStream()?.emit(item);
}
