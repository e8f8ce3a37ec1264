/**
 * `ThreadStream`: the main thread's side of a stream whose task runs in a worker (SPEC §9).
 *
 * Invariants:
 * - A short stream's items arrive as `StreamMessage`s on the worker's `parentPort` (the pool passes them on through
 *   `src/threads/stream-receivers.ts`), as do progress values, rings and the port the worker hands over once its stream
 *   proved long (after every item it sent the other way, so order holds). Nobody listens on that port: items are
 *   pulled from it with `receiveMessageOnPort` when the consumer reads and none is buffered, and when the worker
 *   rings (it rings only after the consumer found nothing there and set the shared bell word).
 * - The outcome arrives on Piscina's reply port, a different channel, so it can overtake those messages; so can the
 *   crash of a worker that died (an uncaught exception reaches Piscina on the worker's internal channel). The worker
 *   counts each message it posts in the stream's shared words (`src/threads/wire.ts`); an outcome — a result, a
 *   failure, a crash — is held here until that many arrived, then every item left on the port (a posted item is
 *   queued there at once) is taken into the stream: neither a result nor a crash overtakes an item, nor the last
 *   progress value. (A dead worker's messages still arrive: Node delivers what is queued before the worker's exit.)
 * - Credit: each item the consumer reads adds 1 to the shared read count; a worker blocked in `emit` is woken once:
 *   when the count reaches the one it waits for (at most an eighth of the window unread), or, when the consumer
 *   stops reading before that (the event loop turned after a read), with the room there is.
 * - A stream cancelled or timed out is aborted at once: its shared abort word wakes a blocked `emit` (which throws
 *   `CancelledError`), unread items are dropped, and messages still on the way are ignored (the stream leaves the
 *   registry). That holds also while a task's outcome is held for its last messages: the cancel ends the stream
 *   there, since cancelling the run, already fired, would do nothing.
 * - A stream's Deferred is consumed here (its failure goes to the stream's `result`, never reported twice).
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Deferred } from '../deferred/deferred.js';
import { CancelledError } from '../errors.js';
import { maxTimerDelayMs } from '../max-timer-delay.js';
import type { Failure } from '../deferred/failure.js';
import {
  streamAbortedWord,
  streamBellWord,
  streamClosedWord,
  streamCreditBytes,
  streamEmittedWord,
  streamReadWord,
  streamSentWord,
  streamTimesOffset,
  streamWantWord,
  streamWordCount,
  type StreamMessage,
  type StreamRequest,
} from '../threads/wire.js';
import { dropStreamReceiver, registerStreamReceiver, type StreamReceiver } from '../threads/stream-receivers.js';
import { StreamBuffer } from './stream-buffer.js';
import type { LiveStream, StreamTaskCounters } from './stream-stats.js';
import { endedByAbort } from './ended-by-abort.js';

let nextId = 1;
const timeOrigin = performance.timeOrigin;

function noop(): void {}

/** One streamed thread task, from its request to the end of its stream. */
export class ThreadStream implements LiveStream, StreamReceiver {
  /** The caller's side. */
  readonly buffer: StreamBuffer;
  /** What the task's request carries. */
  readonly request: StreamRequest;
  readonly #words: Int32Array;
  readonly #times: Float64Array;
  readonly #counters: StreamTaskCounters;
  #run: Deferred<unknown> | undefined;
  /** The main thread's end of the items' port, once the worker handed it over. */
  #port: MessagePort | undefined;
  /** Messages received on `parentPort` (progress, the port, rings). */
  #received = 0;
  /** The outcome held until `#expected` messages arrived. */
  #held: (() => void) | undefined;
  #expected = 0;
  /** A check is scheduled that lets a blocked emit go if the consumer stopped reading. */
  #letGoLater = false;
  /** A timer that keeps the process alive while a held outcome waits for the worker's last messages. */
  #keepAlive: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param window - `streamWindow`.
   * @param counters - the task's stream stats.
   * @param onError - receives errors of progress listeners.
   */
  constructor(window: number, counters: StreamTaskCounters, onError: (error: unknown) => void) {
    const credit = new SharedArrayBuffer(streamCreditBytes);
    this.#words = new Int32Array(credit, 0, streamWordCount);
    this.#times = new Float64Array(credit, streamTimesOffset, 2);
    this.request = { id: nextId++, window, credit };
    this.#counters = counters;
    this.buffer = new StreamBuffer({
      onRead: () => {
        const words = this.#words;
        const read = Atomics.add(words, streamReadWord, 1) + 1;
        const want = Atomics.load(words, streamWantWord);
        if (want === 0) return;
        // Wake a blocked emit once: the reads that follow before it is up must not each notify again (a notify
        // takes a process-wide lock; it was most of a read's cost).
        if (read >= want) this.#letGo(want);
        // A consumer that stops reading before the count is reached (the event loop turns) lets it go with the
        // room there is.
        else if (!this.#letGoLater) {
          this.#letGoLater = true;
          setImmediate(this.#onPause);
        }
      },
      fill: () => this.#fill(),
      cancel: () => {
        const run = this.#run;
        if (run !== undefined && !run.called) run.cancel();
        // Not sent yet, or the task ended and its outcome is held for messages still on the way (cancelling the fired
        // run would do nothing): end the stream here.
        else this.#abort(new CancelledError(run === undefined ? 'The stream was cancelled before its task was sent' : 'The stream was cancelled'));
      },
      onError,
    });
    registerStreamReceiver(this.request.id, this);
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
        const ended = Atomics.load(this.#words, streamClosedWord) === 1;
        if (endedByAbort(error) || (!ended && this.buffer.state !== 'open')) this.#abort(error);
        // The task failed, its worker died, or it never ran: what it posted stays readable — waited for, since the
        // failure or the crash (Piscina's reply on the worker's error) can overtake the messages still on the way.
        else this.#settle(() => this.buffer.fail(error));
        return undefined;
      },
    );
  }

  /** Wakes the emit blocked on read count `want`, once (whoever clears the word first notifies). */
  #letGo(want: number): void {
    const words = this.#words;
    if (Atomics.compareExchange(words, streamWantWord, want, 0) === want) Atomics.notify(words, streamWantWord);
  }

  readonly #onPause = (): void => {
    this.#letGoLater = false;
    const want = Atomics.load(this.#words, streamWantWord);
    if (want !== 0) this.#letGo(want);
  };

  /** @returns the items the worker has posted so far. */
  items(): number {
    return Atomics.load(this.#words, streamEmittedWord);
  }

  /** @returns ms the worker has spent blocked in `emit`, a block in progress counted up to now. */
  blockedMs(): number {
    const since = this.#times[1]!;
    return this.#times[0]! + (since > 0 ? Math.max(0, timeOrigin + performance.now() - since) : 0);
  }

  /**
   * One message from the worker on `parentPort`.
   * @param message - an item, a progress value, the items' port, or a ring.
   */
  receive(message: StreamMessage): void {
    this.#received++;
    if (message.kind === 0) this.buffer.push(message.value);
    else if (message.kind === 1) this.buffer.progress(message.value);
    else {
      if (message.kind === 2) this.#port = message.value as MessagePort;
      // A ring may come after the consumer already took the item it was for: a reader still waiting re-arms the bell.
      if (this.#drain() === 0 && this.buffer.waiting) this.#fill();
    }
    if (this.#held !== undefined && this.#received >= this.#expected) this.#release();
  }

  /** The consumer waits for an item: take those on the port, or have the worker ring after its next one. */
  #fill(): void {
    // No port yet: its hand-over will wake the consumer.
    if (this.#port === undefined || this.#drain() > 0) return;
    // Nothing there: ask the worker to ring after its next item, then look once more (it may have posted one before
    // it could see the bell).
    Atomics.store(this.#words, streamBellWord, 1);
    if (this.#drain() > 0) Atomics.store(this.#words, streamBellWord, 0);
  }

  /** Takes every item waiting on the port into the stream. @returns how many. */
  #drain(): number {
    const port = this.#port;
    if (port === undefined) return 0;
    let n = 0;
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      n++;
      this.buffer.push(m.message);
    }
    return n;
  }

  /** Ends the stream with `end` once every message the worker posted has arrived. */
  #settle(end: () => void): void {
    this.#expected = Atomics.load(this.#words, streamSentWord);
    this.#held = end;
    if (this.#received >= this.#expected) this.#release();
    // The messages still to come are queued on the worker's port, but Piscina unrefs an idle worker: with nothing
    // else alive the process would exit before they are handled, leaving `result` unsettled. Hold the loop open until
    // they are (a moment: they were posted before the outcome).
    else this.#keepAlive = setTimeout(noop, maxTimerDelayMs);
  }

  #release(): void {
    const end = this.#held!;
    this.#held = undefined;
    this.#drain();
    this.#end();
    end();
  }

  #abort(error: unknown): void {
    Atomics.store(this.#words, streamAbortedWord, 1);
    // Clear the word a blocked emit sleeps on: a worker about to sleep then returns at once, or sees the abort.
    Atomics.store(this.#words, streamWantWord, 0);
    Atomics.notify(this.#words, streamWantWord);
    this.#held = undefined;
    this.#end();
    this.buffer.abort(error);
  }

  #end(): void {
    if (this.#keepAlive !== undefined) {
      clearTimeout(this.#keepAlive);
      this.#keepAlive = undefined;
    }
    dropStreamReceiver(this.request.id);
    this.#counters.finish(this);
    if (this.#port !== undefined) {
      this.#port.close();
      this.#port = undefined;
    }
  }
}
