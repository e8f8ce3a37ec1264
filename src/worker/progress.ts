/**
 * `progress(value)`: how far a task has got, on every path (SPEC §9).
 *
 * @module
 */
import { currentInProcessStream } from '../stream/in-process-stream.js';
import { progressFromWorker } from './worker-stream.js';
import { runningTask } from './worker-state.js';

/**
 * Reports the running task's progress to its stream's `onProgress` listeners.
 *
 * Cheap enough for a hot loop: it never blocks, the latest value wins, and at most one value per 50 ms travels
 * (the last one is always delivered, before the stream's `result`). Outside a stream it does nothing.
 *
 * @param value - any value (structured-cloneable when the task runs in a worker), e.g. a fraction or `{ done, total }`.
 * @throws DataCloneError in a worker when a value that must be sent cannot be cloned.
 * @example
 * ```ts
 * for (let i = 0; i < n; i++) { work(i); progress(i / n); }
 * ```
 */
export function progress(value: unknown): void {
  const task = runningTask();
  if (task !== undefined) {
    if (task.stream !== undefined) progressFromWorker(task, task.stream, value);
    return;
  }
  currentInProcessStream()?.progress(value);
}
