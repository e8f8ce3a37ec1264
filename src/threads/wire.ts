/**
 * The thread boundary's protocol: every message shape and shared-memory layout between the main thread
 * (`src/threads/`) and the worker side (`src/worker/`, `workers/task-worker.ts`).
 *
 * Both sides import this file (and `error-transport.ts`, the error encoding it names); neither imports the other —
 * an ESLint `no-restricted-imports` rule keeps it so (Piscina's `symbols.ts` + `types.ts` model). Change a shape
 * here and both sides follow.
 *
 * - Task messages: a {@link TaskRequest} goes out through Piscina; a success comes back as the task's value itself,
 *   a failure or a skip as a tagged {@link TaskOutcome}; any other rejection of Piscina's promise means the worker
 *   or the message failed — a crash, not a thrown error.
 * - Cancellation slots: one `Int32` per task in flight, in a growable `SharedArrayBuffer` handed to every worker
 *   once ({@link TaskWorkerData}). A slot reads 0 while its task is queued. The worker claims it before running
 *   the task with a compare-and-swap from 0 to `threadId << slotThreadShift` (so a slot already cancelled is never
 *   claimed: the task is skipped). The main thread sets {@link slotCancelledBit} to cancel, and calls
 *   `Atomics.notify` when {@link slotWaiterBit} says a worker waits on the slot (`Atomics.waitAsync`, set by an
 *   awaiting async task). The main thread puts the slot back to 0 only once the task's reply (or its worker's
 *   death) has reached it. Reading a slot needs no event loop, so a synchronous CPU loop sees a cancel at once.
 * - Ending versus killing: a task that ran sets {@link slotEndedBit} (`Atomics.or`) before its outcome goes back to
 *   Piscina; the main thread, before terminating the worker of a cancelled task still running after the grace,
 *   sets {@link slotKilledBit} the same way. Whichever `or` comes first wins, and the other side sees it in the
 *   value its `or` returns: an ended task's worker is never terminated (its reply may already be on the way, and
 *   Piscina would hand the doomed worker its next task), and a worker whose task lost the race never replies — it
 *   blocks until the termination lands, so Piscina never marks it free.
 * - Run timings: per slot two `Float64`s in a second growable buffer, `[2·slot]` = when the task started (ms since
 *   the epoch), `[2·slot + 1]` = how long it ran (ms), written by the worker as the task ends and read by the main
 *   thread before it releases the slot; timings take no room in the messages.
 * - Deadlines and context: a task's effective deadline and its carried context ride in its request, only when it has
 *   them (no field otherwise); a call into the main thread carries the worker's context the same way.
 * - Streams (`reactor.stream`, SPEC §9): a {@link StreamRequest} in the task's request; items go out bare on a port of
 *   the stream's own, progress values as {@link StreamMessage}s on the worker's `parentPort`; the window's credit and
 *   the stream's end count live in the stream's own shared words (see {@link streamReadWord}).
 * - Calls into the main thread: {@link ThreadCallRequest} on the worker's `parentPort` (tagged {@link callTag}),
 *   answered by {@link ThreadCallReply} on a port the worker sends with its first call.
 *
 * @module
 */
import type { MessagePort } from 'node:worker_threads';
import type { CarriedContext } from '../context/context-carrier.js';
import type { SerializedError } from './error-transport.js';

/** Bit 0 of a slot: the main thread cancelled the task. */
export const slotCancelledBit = 1;
/** Bit 1 of a slot: a worker waits on the slot (`Atomics.waitAsync`); the main thread must `notify`. */
export const slotWaiterBit = 2;
/** Bit 2 of a slot: the task ran and ended in its worker (its outcome is on the way to the main thread). */
export const slotEndedBit = 4;
/** Bit 3 of a slot: the main thread decided to terminate the worker running the task (its grace is over). */
export const slotKilledBit = 8;
/** A slot holds the id of the thread running its task shifted left by this many bits (0 while queued). */
export const slotThreadShift = 4;

/** What the pool hands every worker at start (Piscina's `workerData`). */
export interface TaskWorkerData {
  /** The pool's cancellation slots (growable; views made without a length follow it). */
  readonly slots: SharedArrayBuffer;
  /** The pool's per-slot run timings (growable). */
  readonly times: SharedArrayBuffer;
  /** `concurrentTasksPerWorker`: above 1, the worker finds the running task through its async context. */
  readonly concurrency: number;
  /**
   * `coalesce.flushMs`: a worker running a batch sends finished results at least this often (see
   * {@link TaskRequest.batch}); absent when coalescing is off.
   */
  readonly flushMs?: number;
  /**
   * The pool's doomed-worker table ({@link doomedCountIndex}): threads the main thread decided to terminate. A worker
   * listed there starts no new task: it answers each one it has not claimed with a `'declined'` outcome.
   */
  readonly doomed?: SharedArrayBuffer;
  /** `threads.recycle` limits the worker measures itself (task count, heap); see {@link RetireNotice}. */
  readonly recycle?: WorkerRecycleLimits;
  /**
   * `coalesce.keepFinished`: the worker posts each finished batched result on its result ledger ({@link LedgerNotice});
   * without it, only its last words.
   */
  readonly keepFinished?: true;
}

/**
 * The doomed-worker table: `Int32` word {@link doomedCountIndex} holds how many entries are in use (0 on the fast
 * path: nothing to scan), the other words hold the thread ids of doomed workers (0 = free). The main thread adds a
 * thread id before it terminates that worker, and clears it once the worker has exited. A worker checks it before
 * claiming a task's slot: a task it did not claim after its worker was doomed never ran and goes back in line.
 */
export const doomedCountIndex = 0;

/** The limits of `threads.recycle` that a worker checks itself (the age limit is the main thread's, on its clock). */
export interface WorkerRecycleLimits {
  /** Tasks a worker starts before it retires (it starts no more: later ones are declined). */
  readonly maxTasks?: number;
  /** Heap in use (MiB, garbage not yet collected included), measured after each task; past it the worker retires. */
  readonly maxHeapMb?: number;
}

/** Tag of a worker's notice that it passed a `threads.recycle` limit and starts no more tasks. */
export const retireTag = '@greenreactor/retire';

/** Sent once on `parentPort` by a worker that passed a recycle limit: the main thread replaces it. */
export interface RetireNotice {
  readonly tag: typeof retireTag;
  readonly threadId: number;
  readonly reason: 'maxTasks' | 'maxHeapMb';
}

/**
 * Tells whether a worker message is a {@link RetireNotice}.
 * @param message - a message a worker posted on its `parentPort`.
 */
export function isRetireNotice(message: unknown): message is RetireNotice {
  return typeof message === 'object' && message !== null && (message as { tag?: unknown }).tag === retireTag;
}

/** Run one export: `moduleUrl#exportName(...args)`, guarded by cancellation slot `slot`. */
export interface TaskRequest {
  readonly moduleUrl: string;
  readonly exportName: string;
  readonly args: readonly unknown[];
  /** The task's cancellation slot (every task has one). */
  readonly slot: number;
  /** When set, run these calls one after another instead (callMultipleInThread); stop at the first error. */
  readonly calls?: ReadonlyArray<readonly [moduleUrl: string, exportName: string, args: readonly unknown[]]>;
  /** The task's effective deadline (ms since the epoch), set only when it has one: what `deadline()` reads. */
  readonly deadline?: number | undefined;
  /**
   * Present when the pool's clock is real time: the worker does not start the task at or after this instant (ms
   * since the epoch) and reports `'expired'` — for a main thread too busy to fire the task's timer in time.
   */
  readonly startBy?: number | undefined;
  /** Values of the caller's context carriers by name (`src/context/context-carrier.ts`); set only when captured. */
  readonly context?: CarriedContext | undefined;
  /** Present only for `reactor.stream`: where the task's `emit`/`progress` go (see {@link StreamRequest}). */
  readonly stream?: StreamRequest;
  /**
   * When set, a coalesced batch: independent calls, flat, {@link batchStride} entries each — `moduleUrl, exportName,
   * args, slot, limits` (`limits`: the call's own {@link BatchCallLimits}, or `undefined`). Each call claims its own
   * slot (a cancelled one is skipped), keeps its own deadline, `startBy` and context, and has its own outcome.
   * Finished results are held and sent together in a {@link BatchResults} message on the worker's `parentPort`
   * before a call that may run long starts (one of a task this worker has not timed yet, or one expected to take
   * the held results past `flushMs`), and before the worker awaits an async call; what is left is the batch's
   * reply. A worker that exits (an uncaught error, `process.exit`) posts what it holds, and what left but has not
   * reached the main thread, on its result ledger ({@link LedgerNotice}). With `coalesce.keepFinished` each result is
   * posted on the ledger as it finishes instead: the flushes and the reply then carry only declines.
   */
  readonly batch?: readonly unknown[];
  /**
   * Present when the call's arguments moved with it (a `transfer` list): a retiring worker still runs it (it could
   * not go back in line: its buffers are here), where it declines other calls past its limit.
   */
  readonly moved?: true;
  /**
   * Present when the call's large buffer arguments were copied on the main thread and moved with it
   * (`copy-large-buffers.ts`). With {@link TaskRequest.moved}, it tells the worker that buffers arrived that it did not
   * allocate (`src/worker/young-generation-nudge.ts`).
   */
  readonly copied?: true;
  /**
   * Present on the message of a call sent alone after its coalesced batch was refused: the clone mark, an accessor
   * put last that the main thread's structured clone reads once everything before it was cloned (`clone-mark.ts`),
   * so the pool tells this call's own refusal from a dead worker (its arguments and carried values are traced too,
   * to name the one the clone stopped in). `undefined` in the worker, unread.
   */
  readonly cloned?: undefined;
}

/** Entries per call in {@link TaskRequest.batch}. */
export const batchStride = 5;

/** What a batched call carries besides its arguments: the fields of {@link TaskRequest} it has, none other. */
export interface BatchCallLimits {
  readonly deadline?: number;
  readonly startBy?: number;
  readonly context?: CarriedContext;
}

/** Tag of the results of batched calls (the batch's reply, and the flushes on `parentPort` before it). */
export const batchTag = '@greenreactor/batch';

/**
 * Results of calls of a batch, flat, three entries each — `slot, ok, value`: `ok` is 1 for a success (`value` is
 * the task's value) and 0 otherwise (`value` is a {@link TaskOutcome}). Calls whose results went in an earlier
 * flush are not repeated; each call's result comes exactly once, unless its worker died first.
 */
export interface BatchResults {
  readonly tag: typeof batchTag;
  readonly results: readonly unknown[];
  /**
   * Set on a flush (a `parentPort` message; a reply has none): the worker that sent it. The main thread gives each of
   * its results only to the run whose slot that worker ran and ended (a call skipped or declined there: a slot no
   * thread claimed) — a flush that arrives after its worker's death was handled (the report of an uncaught error can
   * overtake it) finds its slots released, maybe reused by other runs, and is dropped (the worker's last words
   * brought its results first: {@link LedgerNotice}).
   */
  readonly threadId?: number;
}

/**
 * Tells whether a message (a reply, or a worker's `parentPort` message) carries results of batched calls.
 * @param value - the message.
 */
export function isBatchResults(value: unknown): value is BatchResults {
  return typeof value === 'object' && value !== null && (value as { tag?: unknown }).tag === batchTag;
}

/** Tag of a worker's hand-over of its result ledger (coalescing pools). */
export const ledgerTag = '@greenreactor/ledger';

/**
 * Sent once on `parentPort` by a worker of a pool that coalesces calls as it starts (before it runs any task, and
 * before Piscina's ready message on the same port): the main thread's end of the worker's result ledger, a
 * `MessagePort` nobody listens on.
 *
 * With `coalesce.keepFinished` the ledger keeps what a worker holds for the next flush (see
 * {@link TaskRequest.batch}) safe from the worker's end: each finished batched call's result is posted on it at
 * once, one `[slot, ok, value]` triple per message (the
 * {@link BatchResults} layout), and a posted message is in the main thread's queue whatever becomes of its sender
 * (terminated after a cancel grace, out of memory, `process.exit`). The main thread reads it with
 * `receiveMessageOnPort` — when a flush or a batch's reply arrives (those then carry only declines), when a worker's
 * message is rejected (its death) and before `close()` gives up on a run — so a result is read at the same moments
 * as without the ledger, or at a death instead of being lost (Piscina may learn of a death on another channel, an
 * uncaught error's report, before the worker's last messages on `parentPort`: the ledger was handed over long before).
 *
 * Without `coalesce.keepFinished` the ledger carries only a worker's last words: as it exits (an uncaught error, or
 * `process.exit`: Node runs the exit handler before it reports the error), the results it held, and those that left
 * in a flush or a reply but have not reached the main thread (their slots not released), `slot, ok, value` triples
 * in one message. The main thread reads the ledger when the worker leaves the pool, before it fails the worker's
 * runs, and gives each result only to the run whose slot that worker ran and ended (the worker sends a result
 * again after a flush or a reply that may still arrive, or may never: the slot tells).
 */
export interface LedgerNotice {
  readonly tag: typeof ledgerTag;
  readonly threadId: number;
  readonly port: MessagePort;
}

/**
 * Tells whether a worker message is a {@link LedgerNotice}.
 * @param message - a message a worker posted on its `parentPort`.
 */
export function isLedgerNotice(message: unknown): message is LedgerNotice {
  return typeof message === 'object' && message !== null && (message as { tag?: unknown }).tag === ledgerTag;
}

/** Tag of what the worker entry throws to report a task's outcome other than success. */
export const outcomeTag = '@greenreactor/outcome';

/**
 * How a task ended when it did not succeed, as the worker entry reports it.
 *
 * A success is the task's value itself, returned to Piscina as is (so a value marked with `transferResult` is
 * moved by Piscina, and nothing wraps or copies it). Anything else is thrown as one of these plain objects, which
 * Piscina clones as the task's error: the task's own error (flattened, to keep its fidelity), "skipped" (the
 * slot was cancelled before the task started: it did not run) or "expired" (its deadline passed before it started:
 * it did not run) or "declined" (its worker was doomed or retiring and did not claim it: it did not run and goes back
 * in line, naming the worker so that it gets no more tasks). Piscina rejections that are not tagged this way
 * are the worker's death, a full queue or an uncloneable message.
 */
export type TaskOutcome =
  | { readonly tag: typeof outcomeTag; readonly status: 'failed'; readonly error: SerializedError }
  | { readonly tag: typeof outcomeTag; readonly status: 'skipped' }
  | { readonly tag: typeof outcomeTag; readonly status: 'expired' }
  | { readonly tag: typeof outcomeTag; readonly status: 'declined'; readonly threadId: number };

/**
 * Tells whether a Piscina rejection is a task outcome reported by the worker entry.
 * @param value - what Piscina rejected with.
 */
export function isTaskOutcome(value: unknown): value is TaskOutcome {
  return typeof value === 'object' && value !== null && (value as { tag?: unknown }).tag === outcomeTag;
}

/** Tag on worker → main messages that belong to greenreactor (Piscina forwards other worker messages too). */
export const callTag = '@greenreactor/call';

/** A worker's call into a function the main thread exposed. */
export interface ThreadCallRequest {
  readonly tag: typeof callTag;
  /** Call id, unique per worker; the reply carries it. */
  readonly id: number;
  readonly threadId: number;
  readonly name: string;
  readonly args: readonly unknown[];
  /** `true` for `blockingCallFromThread` (a reply is awaited), `false` for `callFromThread`. */
  readonly wait: boolean;
  /** Values of the worker's context carriers, restored around the exposed function; present only when captured. */
  readonly context?: CarriedContext;
  /** Sent with a worker's first call: the port to reply on and the word to notify after replying. */
  readonly channel?: { readonly replies: MessagePort; readonly wake: Int32Array };
}

/** The main thread's answer to a blocking call. */
export type ThreadCallReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

// --- streams --- (SPEC §9: reactor.stream; main side src/stream/thread-stream.ts, task side src/worker/worker-stream.ts)

/** Tag on worker → main messages of a stream (its first items, progress values, its items' port, rings). */
export const streamTag = '@greenreactor/stream';

/**
 * The shared words of one stream: an `Int32Array` of {@link streamWordCount} words over
 * {@link StreamRequest.credit} (index constants below) and a `Float64Array` over the same buffer from byte
 * {@link streamTimesOffset}.
 *
 * A short stream's items travel on `parentPort` ({@link StreamMessage} `kind` 0). A long one's (past 32 items, or once
 * its window filled) travel on a `MessagePort` of their own, bare (no wrapper): the worker makes a channel, posts the
 * item on one end and hands the other end over on `parentPort` ({@link StreamMessage} `kind` 2), after every item it
 * sent there, so the main thread takes the items in emit order. Nobody
 * listens on the main thread's end: the consumer pulls items from it with `receiveMessageOnPort` as it reads, so a
 * fast stream costs one clone per item and no event per item. A posted item is in the main thread's queue at once,
 * so when the task's outcome arrives every item is already readable there.
 *
 * - `[streamReadWord]`: items the consumer has read (the main thread adds 1 per read; the worker's `emit` blocks
 *   while `emitted - read >= window`).
 * - `[streamWantWord]`: 0, or the read count a blocked `emit` waits for (it sleeps on this word); the main thread
 *   clears it and notifies once, when a read reaches it or when the consumer stops reading before (credit comes back
 *   in batches, one wake-up per block, not one per item). On abort the main thread clears it after setting
 *   `[streamAbortedWord]`, so a worker about to sleep returns at once and sees the abort.
 * - `[streamAbortedWord]`: 1 once the stream was cancelled or timed out (a waiting `emit` wakes and throws).
 * - `[streamBellWord]`: 1 while the consumer waits for an item and found none; the worker's next `emit` clears it
 *   and rings (a {@link StreamMessage} of `kind` 3 on `parentPort`), so an idle consumer wakes without a message
 *   per item.
 * - `[streamEmittedWord]`: items the worker has posted so far (stats).
 * - `[streamSentWord]`: how many stream messages the worker posted on `parentPort` (items, progress values, the port
 *   hand-over, rings), written after each post; as the task ends, before its outcome goes back, `[streamClosedWord]`
 *   becomes 1 (the count is final). A worker that dies leaves the count of what it had posted. The
 *   outcome travels on Piscina's reply port, a different channel: the main thread holds the result until it has
 *   received that many messages (so it has the items' port and the last progress value), then takes every item
 *   left on the port — a result can never overtake an item.
 * - Float64 `[0]`: total ms the worker spent blocked in `emit`; `[1]`: when the current block began (ms since the
 *   epoch), 0 while not blocked — so `stats()` shows a block still in progress.
 *
 * The words each thread writes often live on cache lines of their own (64 bytes apart): the read count (the main
 * thread, once per item read), the emitted count (the worker, once per item), the rest (written a few times per
 * stream). Sharing one line, every read and every emit made that line bounce between the two cores.
 */
export const streamReadWord = 0;
/** See {@link streamReadWord}. */
export const streamEmittedWord = 16;
/** See {@link streamReadWord}. */
export const streamAbortedWord = 32;
/** See {@link streamReadWord}. */
export const streamSentWord = 33;
/** See {@link streamReadWord}. */
export const streamClosedWord = 34;
/** See {@link streamReadWord}. */
export const streamWantWord = 35;
/** See {@link streamReadWord}. */
export const streamBellWord = 36;
/** How many `Int32` words a stream has. */
export const streamWordCount = 37;
/** Byte offset of the stream's two `Float64` timing words. */
export const streamTimesOffset = 192;
/** Size in bytes of a stream's shared buffer. */
export const streamCreditBytes = 208;

/** What a streamed task's request carries. */
export interface StreamRequest {
  /** The stream's id (unique in the main thread); every `StreamMessage` carries it. */
  readonly id: number;
  /** `streamWindow`: how many items may be emitted and not yet read. */
  readonly window: number;
  /** The stream's shared words (their layout is documented at `streamReadWord` in `src/threads/wire.ts`). */
  readonly credit: SharedArrayBuffer;
}

/**
 * A message of stream `id` on the worker's `parentPort`: an item (`kind` 0), a progress value (`kind` 1), the port its
 * further items travel on (`kind` 2, `value` is the `MessagePort`), or a ring for a consumer waiting for an item
 * (`kind` 3).
 */
export interface StreamMessage {
  readonly tag: typeof streamTag;
  readonly id: number;
  readonly kind: 0 | 1 | 2 | 3;
  readonly value: unknown;
}

/**
 * Tells whether a worker message belongs to a stream.
 * @param message - a message a worker posted on its `parentPort`.
 */
export function isStreamMessage(message: unknown): message is StreamMessage {
  return typeof message === 'object' && message !== null && (message as { tag?: unknown }).tag === streamTag;
}
