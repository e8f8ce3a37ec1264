/**
 * `ThreadStream`: the main thread's side of a stream whose task runs in a worker (SPEC §9).
 *
 * Invariants:
 * - The task's items and progress values arrive as `StreamMessage`s on the worker's `parentPort` (the pool passes
 *   them to {@link deliverStreamMessage}); its outcome arrives on Piscina's reply port, a different channel, so it
 *   can overtake them. The worker writes how many messages it posted into the stream's shared words before its
 *   outcome leaves (`src/threads/wire.ts`); the outcome of a task that ended in its worker is held here until that
 *   many messages arrived — a result never overtakes an item, nor the last progress value.
 * - Credit: each item the consumer reads adds 1 to the shared read count and wakes a worker blocked in `emit`.
 * - A stream cancelled or timed out is aborted at once: its shared abort word wakes a blocked `emit` (which throws
 *   `CancelledError`), unread items are dropped, and messages still on the way are ignored (the stream leaves the
 *   registry).
 * - A stream's Deferred is consumed here (its failure goes to the stream's `result`, never reported twice).
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { Deferred } from '../deferred/deferred.js';
import { CancelledError } from '../errors.js';
import type { Failure } from '../deferred/failure.js';
import {
  streamAbortedWord,
  streamClosedWord,
  streamCreditBytes,
  streamReadWord,
  streamSentWord,
  streamTimesOffset,
  type StreamMessage,
  type StreamRequest,
} from '../threads/wire.js';
import { StreamBuffer } from './stream-buffer.js';
import type { LiveStream, StreamTaskCounters } from './stream-stats.js';

const live = new Map<number, ThreadStream>();
let nextId = 1;
const timeOrigin = performance.timeOrigin;

/**
 * Hands a worker's stream message to its stream; a message of a stream that ended (cancelled) is ignored.
 * @param message - an item or progress value a worker posted.
 */
export function deliverStreamMessage(message: StreamMessage): void {
  live.get(message.id)?.receive(message);
}

function isAbort(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_CANCELLED' || code === 'ERR_TIMEOUT';
}

/** One streamed thread task, from its request to the end of its stream. */
export class ThreadStream implements LiveStream {
  /** The caller's side. */
  readonly buffer: StreamBuffer;
  /** What the task's request carries. */
  readonly request: StreamRequest;
  readonly #words: Int32Array;
  readonly #times: Float64Array;
  readonly #counters: StreamTaskCounters;
  #run: Deferred<unknown> | undefined;
  /** Messages received (items and progress). */
  #received = 0;
  /** The outcome held until `#expected` messages arrived. */
  #held: (() => void) | undefined;
  #expected = 0;

  /**
   * @param window - `streamWindow`.
   * @param counters - the task's stream stats.
   * @param onError - receives errors of progress listeners.
   */
  constructor(window: number, counters: StreamTaskCounters, onError: (error: unknown) => void) {
    const credit = new SharedArrayBuffer(streamCreditBytes);
    this.#words = new Int32Array(credit, 0, 4);
    this.#times = new Float64Array(credit, streamTimesOffset, 2);
    this.request = { id: nextId++, window, credit };
    this.#counters = counters;
    this.buffer = new StreamBuffer({
      onRead: () => {
        Atomics.add(this.#words, streamReadWord, 1);
        Atomics.notify(this.#words, streamReadWord);
      },
      cancel: () => {
        if (this.#run !== undefined) this.#run.cancel();
        else this.#abort(new CancelledError('The stream was cancelled before its task was sent'));
      },
      onError,
    });
    live.set(this.request.id, this);
    counters.live.add(this);
  }

  /**
   * Follows the task's run: its outcome ends the stream (held until every message arrived, when the task ended in
   * its worker).
   * @param run - the run's Deferred (consumed here).
   */
  attach(run: Deferred<unknown>): void {
    this.#run = run;
    run.addCallbacks(
      (value) => {
        this.#settle(() => this.buffer.succeed(value));
        return undefined;
      },
      (failure: Failure) => {
        const error = failure.value;
        if (Atomics.load(this.#words, streamClosedWord) === 1 && !isAbort(error)) this.#settle(() => this.buffer.fail(error));
        else if (isAbort(error) || this.buffer.state !== 'open') this.#abort(error);
        else {
          this.#end();
          this.buffer.fail(error); // the worker died, or the task never ran: what arrived stays readable
        }
        return undefined;
      },
    );
  }

  /** @returns ms the worker has spent blocked in `emit`, a block in progress counted up to now. */
  blockedMs(): number {
    const since = this.#times[1]!;
    return this.#times[0]! + (since > 0 ? Math.max(0, timeOrigin + performance.now() - since) : 0);
  }

  /**
   * One message from the worker.
   * @param message - an item or a progress value.
   */
  receive(message: StreamMessage): void {
    this.#received++;
    if (message.kind === 0) {
      this.#counters.items++;
      this.buffer.push(message.value);
    } else {
      this.buffer.progress(message.value);
    }
    if (this.#held !== undefined && this.#received >= this.#expected) this.#release();
  }

  /** Ends the stream with `end` once every message the worker posted has arrived. */
  #settle(end: () => void): void {
    this.#expected = Atomics.load(this.#words, streamSentWord);
    this.#held = end;
    if (this.#received >= this.#expected) this.#release();
  }

  #release(): void {
    const end = this.#held!;
    this.#held = undefined;
    this.#end();
    end();
  }

  #abort(error: unknown): void {
    Atomics.store(this.#words, streamAbortedWord, 1);
    // Change the word a blocked emit waits on: a worker reading it just before the store cannot sleep through this.
    Atomics.add(this.#words, streamReadWord, 1);
    Atomics.notify(this.#words, streamReadWord);
    this.#held = undefined;
    this.#end();
    this.buffer.abort(error);
  }

  #end(): void {
    live.delete(this.request.id);
    this.#counters.finish(this);
  }
}
