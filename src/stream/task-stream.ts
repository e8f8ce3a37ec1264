/**
 * `TaskStream`: what `reactor.stream(task, ...args)` returns — the task's items as an async iterable, its
 * progress, its result (SPEC §9).
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import type { StreamBuffer } from './stream-buffer.js';

/**
 * A running task's partial results (`emit`), progress (`progress`) and final value, with backpressure.
 *
 * Why: a long task often has something to show before it ends — rows as they are parsed, frames as they are
 * rendered, a percentage. Items arrive in emit order, every one of them before `result` fires, and the last
 * progress value before it too. The task may run `streamWindow` items ahead of the consumer (in transit
 * included); then its `emit` blocks (a worker thread) or parks (a greenlet) until the consumer reads. Breaking out
 * of `for await` cancels the task, through the same ladder as cancelling a Deferred.
 *
 * @typeParam Item - the items the task emits.
 * @typeParam R - the task's result.
 * @example
 * ```ts
 * const s = reactor.stream(parseRows, file);
 * s.onProgress((p) => bar.update(p as number));
 * for await (const row of s) insert(row);
 * const total = await s.result;
 * ```
 */
export class TaskStream<Item = unknown, R = unknown> implements AsyncIterable<Item> {
  readonly #buffer: StreamBuffer<Item, R>;

  /** @param buffer - the stream's caller side (made by `reactor.stream`). */
  constructor(buffer: StreamBuffer<Item, R>) {
    this.#buffer = buffer;
  }

  /**
   * The task's return value, or its error; fires after every item has arrived (read or not) and after the last
   * progress value was delivered. Cancelling it cancels the stream.
   */
  get result(): Deferred<R> {
    return this.#buffer.result;
  }

  /**
   * Calls `listener` with each progress value the task reports (at most one per 50 ms, the latest wins; the last one
   * is delivered before `result` fires).
   *
   * @param listener - gets the value passed to `progress()`; an error it throws is reported to the reactor's
   *   `onError`, not to the task.
   * @returns a function that unsubscribes `listener`.
   */
  onProgress(listener: (value: unknown) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError(`Expected \`listener\` to be a function, got ${typeof listener}`);
    return this.#buffer.onProgress(listener);
  }

  /**
   * Cancels the task (a queued one never runs; a running one sees `cancelled()` and its blocked `emit` throws
   * `CancelledError`; a greenlet is killed at its next switch). The iteration then ends with `CancelledError`,
   * dropping items not read yet, and `result` errbacks with it. After the task ended, only drops unread items.
   */
  cancel(): void {
    this.#buffer.cancel();
  }

  /**
   * Iterates over the items in emit order. Ends when the task returned and every item was read; throws the task's
   * error (its class kept) after the items it emitted before throwing; throws `CancelledError` / `TimeoutError`
   * at once when the stream was cancelled or timed out — once: after it threw, `next()` ends `done`, as an async
   * generator's does. Leaving the loop early (`break`, `return`, a throw) cancels the task.
   *
   * @returns an async iterator over the items.
   */
  [Symbol.asyncIterator](): AsyncIterator<Item, undefined> {
    const buffer = this.#buffer;
    return {
      next: () => buffer.read(),
      return: () => {
        buffer.cancel();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
