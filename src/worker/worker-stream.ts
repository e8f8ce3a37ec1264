/**
 * The task side of a stream in a worker thread: `emit` and `progress` of a task started by `reactor.stream`.
 *
 * Invariants:
 * - Items go out in emit order: the first ones (up to {@link itemsBeforePort}, and until the window first fills) as
 *   `StreamMessage`s on `parentPort`, the rest bare on a `MessagePort` of the stream's own, whose other end is handed
 *   to the main thread on `parentPort` after the last item sent there (so the main thread takes them in order);
 *   progress values go out as `StreamMessage`s on `parentPort`. The shared words of the stream are laid out in
 *   `src/threads/wire.ts`.
 * - An item is posted at once (never held back to fill a batch): the consumer may see it while the task still runs.
 *   After posting, `emit` rings the consumer (one message on `parentPort`) only when the consumer said it waits for
 *   an item and found none; otherwise it pulls the items itself as it reads.
 * - `emit` blocks in `Atomics.wait` while `window` items are emitted and not yet read — no event loop needed, so it
 *   works inside a synchronous CPU loop — and resumes once at most an eighth of the window is unread (it writes the
 *   read count it waits for, so the consumer wakes it once, not once per item read). It loads the shared read count
 *   only when the count it saw last says the window may be full. It wakes early when the stream is aborted (then it
 *   throws `CancelledError`, as it does for a task already cancelled).
 * - `progress` never blocks: it keeps the latest value and posts it only when 50 ms passed since the last post (in a
 *   hot loop it reads the clock only every few calls); the value still pending when the task ends is posted by
 *   {@link closeWorkerStream}.
 * - Each message posted on `parentPort` is counted in the stream's shared words at once; {@link closeWorkerStream} runs
 *   as the task ends, before its outcome goes back, and marks the count final. The main thread waits for that many
 *   messages before it lets the outcome through — a result, or the crash of a worker that died while items were on
 *   the way.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { MessageChannel, parentPort, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { CancelledError, DataCloneError } from '../errors.js';
import { thrownMessage } from '../task/thrown-message.js';
import {
  streamAbortedWord,
  streamBellWord,
  streamClosedWord,
  streamEmittedWord,
  streamReadWord,
  streamSentWord,
  streamTag,
  streamTimesOffset,
  streamWantWord,
  streamWordCount,
  type StreamMessage,
  type StreamRequest,
} from '../threads/wire.js';
import { openMovable } from './piscina-movable.js';
import { isTaskCancelled, type RunningTask } from './worker-state.js';

/**
 * A stream's first items travel on `parentPort` with its other messages; from this item on (or once its window
 * filled) they go on a port of the stream's own: making and handing over a channel costs more than a few messages,
 * and pays off only for a stream with many items.
 */
const itemsBeforePort = 32;

/** Progress values are posted at most this often (ms). */
const progressIntervalMs = 50;
const timeOrigin = performance.timeOrigin;

/** A running task's stream, as its worker keeps it. */
export interface WorkerStream {
  readonly id: number;
  readonly window: number;
  /**
   * A blocked `emit` resumes when at most this many items are unread: an eighth of the window, rounded down. Each
   * resume costs a wake-up of this thread (tens of µs on a busy machine) and often one of the consumer's; resuming
   * later moves more items per wake-up. Measured with window 16 (`bench/streams.bench.ts`, hand-written loop): resuming
   * at 2 unread moved ~1.5× the items/s of resuming at 8; with window 256 the two were even.
   */
  readonly resumeAt: number;
  readonly words: Int32Array;
  readonly times: Float64Array;
  /** The worker's end of the items' port, once made. */
  port: MessagePort | undefined;
  /** The next item goes on a port (the window filled once). */
  portNow: boolean;
  /** Items posted. */
  emitted: number;
  /**
   * The consumer's read count when last loaded: the true count is at least this, so while `emitted - readSeen` is
   * under the window `emit` needs not look at the shared word (which the main thread writes at every read).
   */
  readSeen: number;
  /** Messages posted (items and progress). */
  sent: number;
  /** When the last progress value was posted (`performance.now()`). */
  progressAt: number;
  /** A progress value waits to be posted. */
  progressPending: boolean;
  progressValue: unknown;
  /** Calls of `progress` left before the clock is read again. */
  progressCountdown: number;
  /** How many calls apart the clock is read: doubles (up to 64) while calls come faster than one per ms. */
  progressStride: number;
  /** When the clock was last read by `progress` (`performance.now()`). */
  progressCheckedAt: number;
}

/**
 * The worker's state of a stream from its request.
 * @param request - the `stream` field of the task's request.
 * @returns the stream.
 */
export function openWorkerStream(request: StreamRequest): WorkerStream {
  return {
    id: request.id,
    window: request.window,
    resumeAt: Math.floor(request.window / 8),
    words: new Int32Array(request.credit, 0, streamWordCount),
    times: new Float64Array(request.credit, streamTimesOffset, 2),
    port: undefined,
    portNow: false,
    emitted: 0,
    readSeen: 0,
    sent: 0,
    progressAt: Number.NEGATIVE_INFINITY,
    progressPending: false,
    progressValue: undefined,
    progressCountdown: 1,
    progressStride: 1,
    progressCheckedAt: Number.NEGATIVE_INFINITY,
  };
}

function post(stream: WorkerStream, kind: 0 | 1 | 2 | 3, value: unknown, transfer?: readonly TransferListItem[]): void {
  const message: StreamMessage = { tag: streamTag, id: stream.id, kind, value };
  parentPort!.postMessage(message, transfer);
  // Counted as it is posted, not only as the task ends: a worker that dies (an uncaught exception) leaves the count
  // of what is on the way, which the main thread waits for before it ends the stream with the crash.
  Atomics.store(stream.words, streamSentWord, ++stream.sent);
}

function uncloneable(task: RunningTask, what: string, error: unknown): DataCloneError {
  // `thrownMessage`: a getter of the item may throw anything (`null`, an object whose `message` getter throws).
  return new DataCloneError(`Task \`${task.name}\` emitted ${what} that cannot be cloned to the main thread: ${thrownMessage(error)}`, { task: task.name }, { cause: error });
}

function cancelledError(task: RunningTask): CancelledError {
  return new CancelledError(`Task \`${task.name}\` was cancelled while it streamed`);
}

/** Waits in `Atomics.wait` until the window has room; throws when the stream is aborted meanwhile. */
function waitForCredit(task: RunningTask, stream: WorkerStream): void {
  const { words, times } = stream;
  const started = performance.now();
  times[1] = timeOrigin + started;
  // Resume only once most of the window is free (see `resumeAt`): waking for every single read would make a
  // producer faster than its consumer ping-pong between the threads once per item. The consumer reads this word and
  // notifies once, clearing it first (so it is written again before each wait): when its read count reaches it, or
  // when it stops reading before that (then any room in the window lets this emit go).
  const want = stream.emitted - stream.resumeAt;
  try {
    for (;;) {
      Atomics.store(words, streamWantWord, want);
      let read = Atomics.load(words, streamReadWord);
      if (Atomics.load(words, streamAbortedWord) !== 0 || isTaskCancelled(task)) throw cancelledError(task);
      stream.readSeen = read;
      if (stream.emitted - read <= stream.resumeAt) return;
      // Sleep on the word the consumer clears when it lets us go (a wake-up cannot be lost: cleared before we sleep,
      // the wait returns at once).
      Atomics.wait(words, streamWantWord, want);
      if (Atomics.load(words, streamWantWord) === 0) {
        // The consumer let us go (or aborted): go on if the window has any room.
        read = Atomics.load(words, streamReadWord);
        if (Atomics.load(words, streamAbortedWord) !== 0 || isTaskCancelled(task)) throw cancelledError(task);
        stream.readSeen = read;
        if (stream.emitted - read < stream.window) return;
      }
    }
  } finally {
    Atomics.store(words, streamWantWord, 0);
    times[0] = times[0]! + (performance.now() - started);
    times[1] = 0;
  }
}

/**
 * Sends `item` to the stream, first blocking while the window is full.
 * @param task - the running task.
 * @param stream - its stream.
 * @param item - the item (structured-cloneable; marked with `transferResult`, its buffer or port moves).
 * @throws CancelledError when the task was cancelled; DataCloneError when `item` cannot be cloned.
 */
export function emitFromWorker(task: RunningTask, stream: WorkerStream, item: unknown): void {
  // An item marked with `transferResult` moves, as a result does: its mark holds it under symbols, which the clone
  // leaves out (it would arrive as an empty object).
  const moved = openMovable(item);
  const value = moved === undefined ? item : moved.value;
  const transfer = moved?.transfer as readonly TransferListItem[] | undefined;
  const words = stream.words;
  if (Atomics.load(words, streamAbortedWord) !== 0 || isTaskCancelled(task)) throw cancelledError(task);
  let port = stream.port;
  if (stream.emitted - stream.readSeen >= stream.window && stream.emitted - (stream.readSeen = Atomics.load(words, streamReadWord)) >= stream.window) {
    waitForCredit(task, stream);
    stream.portNow = true; // a stream that fills its window is a long or fast one: its items move to a port
  }
  if (port === undefined && !stream.portNow && stream.emitted < itemsBeforePort) {
    // A short stream's items travel with its other messages (no channel to make and hand over).
    try {
      post(stream, 0, value, transfer);
    } catch (error) {
      throw uncloneable(task, `item ${stream.emitted + 1}`, error);
    }
    Atomics.store(words, streamEmittedWord, ++stream.emitted);
  } else if (port === undefined) {
    const channel = new MessageChannel();
    port = channel.port1;
    try {
      postItem(task, stream, port, value, transfer);
    } catch (error) {
      channel.port1.close();
      throw error;
    }
    // The item is already queued on the other end: it travels with it.
    post(stream, 2, channel.port2, [channel.port2]);
    stream.port = port; // the hand-over wakes the consumer (it sets the bell only once it has the port)
  } else {
    postItem(task, stream, port, value, transfer);
    if (Atomics.load(words, streamBellWord) !== 0 && Atomics.exchange(words, streamBellWord, 0) !== 0) post(stream, 3, undefined);
  }
}

function postItem(task: RunningTask, stream: WorkerStream, port: MessagePort, item: unknown, transfer: readonly TransferListItem[] | undefined): void {
  try {
    port.postMessage(item, transfer);
  } catch (error) {
    throw uncloneable(task, `item ${stream.emitted + 1}`, error);
  }
  Atomics.store(stream.words, streamEmittedWord, ++stream.emitted);
}

/**
 * Records `value` as the task's progress; posts it when 50 ms passed since the last post.
 * @param task - the running task.
 * @param stream - its stream.
 * @param value - the progress value (structured-cloneable).
 * @throws DataCloneError when `value` cannot be cloned (only when it is posted).
 */
export function progressFromWorker(task: RunningTask, stream: WorkerStream, value: unknown): void {
  stream.progressValue = value;
  stream.progressPending = true;
  if (--stream.progressCountdown > 0) return;
  // Reading the clock is most of the cost of a call in a hot loop: while calls come faster than one per ms, read
  // it only every `progressStride` calls (at most 64); calls further apart read it every time.
  const now = performance.now();
  stream.progressStride = now - stream.progressCheckedAt < 1 ? Math.min(stream.progressStride * 2, 64) : 1;
  stream.progressCountdown = stream.progressStride;
  stream.progressCheckedAt = now;
  if (now - stream.progressAt >= progressIntervalMs) {
    stream.progressAt = now;
    stream.progressPending = false;
    try {
      post(stream, 1, value);
    } catch (error) {
      throw uncloneable(task, 'a progress value', error);
    }
  }
}

/**
 * Ends the stream as its task ends (before the outcome leaves): posts the pending progress value, then writes how
 * many messages the main thread must receive before it lets the result through.
 * @param stream - the stream of the task that ends.
 */
export function closeWorkerStream(stream: WorkerStream): void {
  if (stream.progressPending) {
    stream.progressPending = false;
    try {
      post(stream, 1, stream.progressValue);
    } catch {
      // An uncloneable last value is dropped: the task's own outcome must still go back.
    }
  }
  Atomics.store(stream.words, streamClosedWord, 1);
}
