/**
 * The worker-side state every copy of `greenreactor/worker` reads: which task runs now, its cancellation slot.
 *
 * Invariants:
 * - The state lives on one `globalThis[Symbol.for('greenreactor.worker')]` key, so two copies of this module (the
 *   built `dist/` and a TypeScript source loaded through tsx) see the same running task.
 * - Only the worker entry (`workers/task-worker.ts`) installs it; importing this module installs nothing, opens no
 *   handle and starts nothing. On the main thread, or in a worker greenreactor did not start, there is no state:
 *   `cancelled()` is false and `signal` never aborts.
 * - A task's cancellation slot is read as `src/threads/wire.ts` lays it out (the one place the layout is written).
 *
 * Who writes which field, who reads it, and when (all on the worker's one thread, except the shared memory):
 * - `slots`, `times`, `threadId`, `lookup`: set once by the worker entry (`workers/task-worker.ts`) at start, never
 *   replaced. In `slots` the main thread (`src/threads/cancel-slots.ts`) frees a slot and sets its cancelled and
 *   killed bits; the worker's task runner (`task-runner.ts`) claims the slot (compare-exchange to its
 *   thread id) and sets its ended bit; `task-signal.ts` sets its waiter bit (so a cancel notifies it);
 *   `cancellation.ts` and {@link isTaskCancelled} only read it (atomically). In `times` only the task runner writes a slot's pair, `[startedAt, runMs]`, as the task ends
 *   (before its ended bit); the main thread reads the pair (`cancel-slots.ts`) for the run's wait and run times once
 *   its outcome arrived (`thread-task-run.ts`).
 * - `current`: written only by the task runner — set as a task starts, cleared as it ends (`end`: only if it is still
 *   the task ended); read through {@link runningTask} by the worker-side API (`cancelled`, `signal`, `emit`,
 *   `progress`, `deadline`, `transferResult`). With several tasks per worker, `lookup` (the runner's
 *   `AsyncLocalStorage`) is read instead, and `current` only says which task's synchronous code runs.
 * - `channel`: written only by `thread-calls.ts` — made on the first call back into the main thread, dropped again
 *   when that first message was refused by the clone (its reply port was never sent); read there only.
 * - A {@link RunningTask}'s `live` and `stream`: written by the task runner (`stream` as the task starts, `live` false
 *   as it ends, after its stream closed); `controller`: written only by `task-signal.ts` on the first look at
 *   `signal`. All read by the worker-side APIs of that task, while it runs.
 *
 * @module
 */
import { slotCancelledBit } from '../threads/wire.js';
import type { WorkerStream } from './worker-stream.js';

/** What the worker knows about the task it runs right now. */
export interface RunningTask {
  /** Index of the task's cancellation slot, or -1 when it has none. */
  readonly slot: number;
  /** The task's name, for error messages. */
  readonly name: string;
  /** The task's controller, made when its `signal` is first needed; aborted when the slot is cancelled. */
  controller: AbortController | undefined;
  /** False once the task returned, so late wake-ups of its slot are ignored. */
  live: boolean;
  /** Its effective deadline (ms since the epoch) as dispatched, for `deadline()`; `undefined` when it has none. */
  readonly deadline?: number | undefined;
  /** Its stream when it was started by `reactor.stream` (`src/worker/worker-stream.ts`); `undefined` otherwise. */
  stream?: WorkerStream | undefined;
}

/** The channel a worker uses for `blockingCallFromThread` / `callFromThread`, made on first use. */
export interface CallChannel {
  /** Port the main thread replies on; read synchronously with `receiveMessageOnPort`. */
  readonly replies: import('node:worker_threads').MessagePort;
  /** One `Int32` the main thread bumps and notifies after each reply. */
  readonly wake: Int32Array;
  /** Id of the next call (replies carry it, so a stale reply never answers a later call). */
  nextId: number;
}

/** The state a greenreactor worker installs on `globalThis`. */
export interface WorkerState {
  /** The pool's cancellation slots (shared with the main thread). */
  readonly slots: Int32Array;
  /** Per slot: [startedAt (ms since the epoch), runMs], written as a task ends (shared with the main thread). */
  readonly times: Float64Array;
  /** This worker's thread id (slot values carry it while the task runs). */
  readonly threadId: number;
  /** The task running now (synchronously, or the single async task of a worker running one at a time). */
  current: RunningTask | undefined;
  /** Looks up the running task when a worker runs several async tasks at once (AsyncLocalStorage); else undefined. */
  lookup: (() => RunningTask | undefined) | undefined;
  /** The call channel, made on the first call back into the main thread. */
  channel: CallChannel | undefined;
}

const stateKey = Symbol.for('greenreactor.worker');

/**
 * The worker state, or `undefined` outside a greenreactor worker.
 * @returns the state installed by the worker entry, if any.
 */
export function workerState(): WorkerState | undefined {
  return (globalThis as Record<symbol, WorkerState | undefined>)[stateKey];
}

/**
 * Installs the worker state; called once by the worker entry when the worker starts.
 * @param state - the state to install.
 * @returns the installed state (an existing one wins, so two copies of the entry agree).
 */
export function installWorkerState(state: WorkerState): WorkerState {
  const holder = globalThis as Record<symbol, WorkerState | undefined>;
  holder[stateKey] ??= state;
  return holder[stateKey];
}

/**
 * The task running now in this worker, if any.
 * @returns the running task, or `undefined` outside a thread task.
 */
export function runningTask(): RunningTask | undefined {
  const state = workerState();
  if (state === undefined) return undefined;
  // With several tasks per worker only the async context says whose code runs: outside any task's, none.
  return state.lookup === undefined ? state.current : state.lookup();
}

/**
 * Whether the main thread has cancelled (or timed out) `task`, read from shared memory (one atomic load).
 * @param task - a running task.
 * @returns true once its slot's cancelled bit is set; false outside a greenreactor worker or without a slot.
 */
export function isTaskCancelled(task: RunningTask): boolean {
  const state = workerState();
  if (state === undefined || task.slot < 0) return false;
  return (Atomics.load(state.slots, task.slot) & slotCancelledBit) !== 0;
}
