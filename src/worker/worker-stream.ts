/**
 * The task side of a stream in a worker thread: `emit` and `progress` of a task started by `reactor.stream`.
 *
 * Invariants:
 * - Items and progress values go out in call order as `StreamMessage`s on `parentPort` (one channel, FIFO); the
 *   shared words of the stream are laid out in `src/threads/wire.ts`.
 * - `emit` blocks in `Atomics.wait` while `window` items are emitted and not yet read — no event loop needed, so it
 *   works inside a synchronous CPU loop — and resumes once half the window is free. It wakes when the consumer reads (the read count changes) or the stream is
 *   aborted (then it throws `CancelledError`, as it does for a task already cancelled).
 * - `progress` never blocks: it keeps the latest value and posts it only when 50 ms passed since the last post (in a
 *   hot loop it reads the clock only every few calls); the value still pending when the task ends is posted by
 *   {@link closeWorkerStream}.
 * - {@link closeWorkerStream} runs as the task ends, before its outcome goes back: it writes how many messages were
 *   posted, which the main thread waits for before it lets the result through.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { CancelledError, DataCloneError } from '../errors.js';
import {
  streamAbortedWord,
  streamClosedWord,
  streamReadWord,
  streamSentWord,
  streamTag,
  streamTimesOffset,
  type StreamMessage,
  type StreamRequest,
} from '../threads/wire.js';
import { isTaskCancelled, type RunningTask } from './worker-state.js';

/** Progress values are posted at most this often (ms). */
const progressIntervalMs = 50;
const timeOrigin = performance.timeOrigin;

/** A running task's stream, as its worker keeps it. */
export interface WorkerStream {
  readonly id: number;
  readonly window: number;
  /** A blocked `emit` resumes when at most this many items are unread: half the window, rounded down. */
  readonly resumeAt: number;
  readonly words: Int32Array;
  readonly times: Float64Array;
  /** Items posted. */
  emitted: number;
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
    resumeAt: Math.floor(request.window / 2),
    words: new Int32Array(request.credit, 0, 4),
    times: new Float64Array(request.credit, streamTimesOffset, 2),
    emitted: 0,
    sent: 0,
    progressAt: Number.NEGATIVE_INFINITY,
    progressPending: false,
    progressValue: undefined,
    progressCountdown: 1,
    progressStride: 1,
    progressCheckedAt: Number.NEGATIVE_INFINITY,
  };
}

function post(task: RunningTask, stream: WorkerStream, kind: 0 | 1, value: unknown): void {
  const message: StreamMessage = { tag: streamTag, id: stream.id, kind, value };
  try {
    parentPort!.postMessage(message);
  } catch (error) {
    const what = kind === 0 ? `item ${stream.emitted + 1}` : 'a progress value';
    throw new DataCloneError(`Task \`${task.name}\` emitted ${what} that cannot be cloned to the main thread: ${(error as Error).message}`, { task: task.name }, { cause: error });
  }
  stream.sent++;
}

function cancelledError(task: RunningTask): CancelledError {
  return new CancelledError(`Task \`${task.name}\` was cancelled while it streamed`);
}

/** Waits in `Atomics.wait` until the window has room; throws when the stream is aborted meanwhile. */
function waitForCredit(task: RunningTask, stream: WorkerStream): void {
  const { words, times } = stream;
  const started = performance.now();
  times[1] = timeOrigin + started;
  try {
    for (;;) {
      const read = Atomics.load(words, streamReadWord);
      if (Atomics.load(words, streamAbortedWord) !== 0 || isTaskCancelled(task)) throw cancelledError(task);
      // Resume only once half the window is free (at least one slot): waking for every single read would make a
      // producer faster than its consumer ping-pong between the threads once per item.
      if (stream.emitted - read <= stream.resumeAt) return;
      Atomics.wait(words, streamReadWord, read);
    }
  } finally {
    times[0] = times[0]! + (performance.now() - started);
    times[1] = 0;
  }
}

/**
 * Sends `item` to the stream, first blocking while the window is full.
 * @param task - the running task.
 * @param stream - its stream.
 * @param item - the item (structured-cloneable).
 * @throws CancelledError when the task was cancelled; DataCloneError when `item` cannot be cloned.
 */
export function emitFromWorker(task: RunningTask, stream: WorkerStream, item: unknown): void {
  const words = stream.words;
  if (Atomics.load(words, streamAbortedWord) !== 0 || isTaskCancelled(task)) throw cancelledError(task);
  if (stream.emitted - Atomics.load(words, streamReadWord) >= stream.window) waitForCredit(task, stream);
  post(task, stream, 0, item);
  stream.emitted++;
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
    post(task, stream, 1, value);
  }
}

/**
 * Ends the stream as its task ends (before the outcome leaves): posts the pending progress value, then writes how
 * many messages the main thread must receive before it lets the result through.
 * @param task - the task that ends.
 * @param stream - its stream.
 */
export function closeWorkerStream(task: RunningTask, stream: WorkerStream): void {
  if (stream.progressPending) {
    stream.progressPending = false;
    try {
      post(task, stream, 1, stream.progressValue);
    } catch {
      // An uncloneable last value is dropped: the task's own outcome must still go back.
    }
  }
  Atomics.store(stream.words, streamSentWord, stream.sent);
  Atomics.store(stream.words, streamClosedWord, 1);
}
