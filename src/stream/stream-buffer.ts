/**
 * `StreamBuffer`: the caller's side of one stream — the items that arrived and were not read yet, the readers
 * waiting for one, the progress listeners and the `result` Deferred.
 *
 * Invariants:
 * - Who calls what: the producer of the stream (`thread-stream.ts` for a worker, `in-process-stream.ts` for a
 *   greenlet or an inline call) calls `push`, `progress`, `succeed`, `fail` and `abort`; `TaskStream` (the
 *   consumer's view) calls `read`, `onProgress`, `cancel` and `dropUnread`. The producer learns of each item read
 *   through the `onRead` it passes in — its credit for the window.
 * - Items are read in the order pushed; each is read once (several iterators share the one queue).
 * - `result` fires once, only when the producer ends the stream: after every item it pushed (so every item has
 *   arrived before `result`) and after its last `progress`.
 * - The end is one of three states: `'succeeded'` and `'failed'` (the task's own outcome: items still unread stay
 *   readable, then the iteration ends — done, or throwing the task's error), `'aborted'` (cancelled, timed out:
 *   unread items are dropped and the next read throws at once). Nothing is pushed after the end.
 * - The end's error is thrown to the readers waiting when it comes, or else to the next read; every read after that
 *   ends `done` (the iteration threw: it is over, as an async generator's is).
 * - An error a reader received, or a cancellation the consumer asked for, counts as observed: `result` does not
 *   report it as an unhandled failure when it is garbage-collected.
 *
 * @module
 */
import { Deferred, observe } from '../deferred/deferred.js';

/** Where a stream is: items may still come, or how it ended. */
export type StreamBufferState = 'open' | 'succeeded' | 'failed' | 'aborted';

/** What a stream needs from its producer. */
export interface StreamProducerHooks {
  /** Told once per item the consumer read (the window's credit). */
  onRead(): void;
  /**
   * Called when the consumer reads and no item is buffered while the stream is open: a producer whose items wait
   * elsewhere (a worker's port) pushes those that are there, and otherwise arranges to push the next one when it
   * comes. Optional: a producer that pushes every item as it comes has nothing to do.
   */
  fill?(): void;
  /** Stops the task (the consumer cancelled the stream, or `result`); it must end the stream with `abort`. */
  cancel(): void;
  /** Receives an error thrown by a progress listener (nothing else could carry it). */
  onError(error: unknown): void;
}

const noop = (): void => undefined;

/** The caller's side of one stream (see the module comment for who calls what). */
export class StreamBuffer<Item = unknown, R = unknown> {
  /** Fires once with the task's value, or errbacks with its error (after every item arrived). */
  readonly result: Deferred<R>;
  #items: Item[] = [];
  #head = 0;
  #readers: Array<{ resolve: (r: IteratorResult<Item, undefined>) => void; reject: (e: unknown) => void }> = [];
  #listeners: Array<(value: unknown) => void> = [];
  #state: StreamBufferState = 'open';
  #error: unknown;
  #hooks: StreamProducerHooks;
  #cancelRequested = false;
  /** The end's error reached a reader: later reads end done (an async iterator that threw is finished). */
  #errorRead = false;

  /** @param hooks - the producer's credit, cancel and error sink. */
  constructor(hooks: StreamProducerHooks) {
    this.#hooks = hooks;
    this.result = new Deferred<R>(() => {
      this.#requestCancel();
    });
  }

  /** Where the stream is. */
  get state(): StreamBufferState {
    return this.#state;
  }

  /** Whether a reader waits for an item (none was buffered when it asked). */
  get waiting(): boolean {
    return this.#readers.length > 0;
  }

  /** Items that arrived and were not read yet. */
  get unread(): number {
    return this.#items.length - this.#head;
  }

  /**
   * A new item, in emit order; ignored once the stream ended.
   * @param item - the item.
   */
  push(item: Item): void {
    if (this.#state !== 'open') return;
    const reader = this.#readers.shift();
    if (reader !== undefined) {
      reader.resolve({ value: item, done: false });
      this.#hooks.onRead();
      return;
    }
    this.#items.push(item);
  }

  /**
   * A progress value: every listener gets it now; ignored once the stream ended.
   * @param value - the task's latest progress value.
   */
  progress(value: unknown): void {
    if (this.#state !== 'open') return;
    // A snapshot, as EventEmitter takes: a listener that unsubscribes (itself or another) while this value is
    // delivered must not make the next one miss it (at most one delivery per 50 ms: the copy costs nothing).
    for (const listener of this.#listeners.slice()) {
      try {
        listener(value);
      } catch (error) {
        this.#hooks.onError(error);
      }
    }
  }

  /**
   * The task returned: waiting readers end, `result` fires with `value`.
   * @param value - the task's value.
   */
  succeed(value: R): void {
    if (this.#state !== 'open') return;
    this.#state = 'succeeded';
    for (const reader of this.#readers.splice(0)) reader.resolve({ value: undefined, done: true });
    if (!this.result.called) this.result.callback(value);
  }

  /**
   * The task failed with its own error: unread items stay readable, then reads throw `error`; `result` errbacks.
   * @param error - the task's error.
   */
  fail(error: unknown): void {
    this.#end('failed', error);
  }

  /**
   * The stream was cancelled or timed out: unread items are dropped, reads throw `error`; `result` errbacks.
   * @param error - `CancelledError` or `TimeoutError`.
   */
  abort(error: unknown): void {
    this.#end('aborted', error);
  }

  #end(state: 'failed' | 'aborted', error: unknown): void {
    if (this.#state !== 'open') return;
    this.#state = state;
    this.#error = error;
    if (state === 'aborted') this.dropUnread();
    const readers = this.#readers.splice(0);
    if (readers.length > 0) this.#errorRead = true;
    for (const reader of readers) reader.reject(error);
    if (!this.result.called) this.result.errback(error);
    if (readers.length > 0 || this.#cancelRequested) observe(this.result, noop);
  }

  /**
   * The next item: at once when one is buffered; else when one arrives or the stream ends.
   * @returns the item, or `done` once the stream succeeded and every item was read; rejects with the error of a
   *   stream that failed (after its unread items) or was aborted — once: after a read threw it, reads end `done`, as
   *   an async generator's `next()` does after it threw (a `for await` loop entered again ends at once).
   */
  read(): Promise<IteratorResult<Item, undefined>> {
    if (this.#head < this.#items.length) {
      const item = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as Item; // let it go: the consumer has it now
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      if (this.#state === 'open') this.#hooks.onRead();
      return Promise.resolve({ value: item, done: false });
    }
    if (this.#state === 'open') {
      if (this.#hooks.fill !== undefined && this.#readers.length === 0) {
        this.#hooks.fill();
        if (this.#head < this.#items.length || this.#state !== 'open') return this.read();
      }
      return new Promise((resolve, reject) => this.#readers.push({ resolve, reject }));
    }
    if (this.#state === 'succeeded' || this.#errorRead) return Promise.resolve({ value: undefined, done: true });
    this.#errorRead = true;
    observe(this.result, noop);
    return Promise.reject(this.#error);
  }

  /**
   * Adds a progress listener.
   * @param listener - gets each progress value delivered from now on.
   * @returns a function that removes it.
   */
  onProgress(listener: (value: unknown) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** The consumer cancels: a running task is stopped (the producer then aborts); unread items are dropped. */
  cancel(): void {
    if (this.#state === 'open') this.#requestCancel();
    else this.dropUnread();
  }

  /** Drops the items not read yet. */
  dropUnread(): void {
    this.#items = [];
    this.#head = 0;
  }

  #requestCancel(): void {
    if (this.#state !== 'open' || this.#cancelRequested) return;
    this.#cancelRequested = true;
    this.#hooks.cancel();
  }
}
