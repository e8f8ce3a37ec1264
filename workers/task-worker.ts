/**
 * The Piscina worker entry: runs `Task`s by module URL and export name.
 *
 * Invariants:
 * - A success returns the task's value as is (Piscina moves a value marked with `transferResult`); a failure or a
 *   skip is thrown as a tagged `TaskOutcome`, so the main thread can tell a task's own failure from a worker that
 *   died. Run timings go to the shared `times` array, not into the reply.
 * - A task whose cancellation slot is already cancelled when it reaches the worker does not run (`'skipped'`);
 *   starting claims the slot by writing this thread's id into it, atomically. A task whose deadline passed before
 *   it reached the worker does not run either (`'expired'`).
 * - A doomed worker (its termination decided) or a retiring one (past a `threads.recycle` limit) claims no new task:
 *   it answers `'declined'` and the task goes back in line (`src/worker/worker-gate.ts`).
 * - A request carrying context runs its task inside the carriers' `restore` (after the task's module is loaded, so
 *   the carriers it imports are registered).
 * - A streamed task's stream (`reactor.stream`) is closed as the task ends, before its outcome leaves (its message
 *   count must be in shared memory by then: `src/worker/worker-stream.ts`).
 * - Imports are cached per `moduleUrl#exportName`; once loaded, a synchronous task runs without a microtask hop.
 * - Plain functions return their value, async functions are awaited, generators run to completion (a yielded
 *   Promise/thenable is awaited and its value sent back in, anything else is sent straight back).
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { DataCloneError } from '../src/errors.js';
import { isGenerator } from '../src/deferred/is-generator.js';
import { isThenable } from '../src/deferred/is-thenable.js';
import { importTaskFunction } from '../src/task/import-task-function.js';
import { restoreCarriedContext } from '../src/context/context-carrier.js';
import { serializeError } from '../src/threads/error-transport.js';
import { applyInheritedImports } from '../src/worker/inherited-imports.js';
import {
  batchStride,
  batchTag,
  outcomeTag,
  slotKilledBit,
  slotEndedBit,
  slotThreadShift,
  type BatchCallLimits,
  type BatchResults,
  type TaskOutcome,
  type TaskRequest,
  type TaskWorkerData,
} from '../src/threads/wire.js';
import { movable, openMovable } from '../src/worker/piscina-movable.js';
import { ResultFlush } from '../src/worker/result-flush.js';
import { watchTaskSlot } from '../src/worker/task-signal.js';
import { findUncloneable } from '../src/worker/find-uncloneable.js';
import { installWorkerState, type RunningTask } from '../src/worker/worker-state.js';
import { WorkerGate } from '../src/worker/worker-gate.js';
import { closeWorkerStream, openWorkerStream } from '../src/worker/worker-stream.js';

type Fn = (...args: unknown[]) => unknown;

const data = workerData as TaskWorkerData;
const store = data.concurrency > 1 ? new AsyncLocalStorage<RunningTask>() : undefined;
const state = installWorkerState({
  slots: new Int32Array(data.slots),
  times: new Float64Array(data.times),
  threadId,
  current: undefined,
  lookup: store === undefined ? undefined : () => store.getStore(),
  channel: undefined,
});
const loaded = new Map<string, Fn>();
// Doomed (being terminated) or retiring (threads.recycle): no new task is claimed here.
const gate = new WorkerGate(data, threadId, (notice) => parentPort!.postMessage(notice));
// Before any task module loads: make a TypeScript loader of the main process (node --import tsx) work here too.
await applyInheritedImports(process.execArgv);
const skipped: TaskOutcome = { tag: outcomeTag, status: 'skipped' };
const expired: TaskOutcome = { tag: outcomeTag, status: 'expired' };
const timeOrigin = performance.timeOrigin;

async function load(moduleUrl: string, exportName: string): Promise<Fn> {
  const fn = (await importTaskFunction(moduleUrl, exportName)) as Fn;
  loaded.set(`${moduleUrl}#${exportName}`, fn);
  return fn;
}

/** Runs a generator to completion; synchronously until it yields a thenable, then asynchronously. */
function drive(gen: Generator<unknown, unknown, unknown>): unknown {
  let step = gen.next();
  while (step.done !== true) {
    if (isThenable(step.value)) return driveAsync(gen, step.value);
    step = gen.next(step.value);
  }
  return step.value;
}

async function driveAsync(gen: Generator<unknown, unknown, unknown>, waiting: PromiseLike<unknown>): Promise<unknown> {
  let step: IteratorResult<unknown, unknown>;
  try {
    step = gen.next(await waiting);
  } catch (error) {
    step = gen.throw(error);
  }
  while (step.done !== true) {
    if (isThenable(step.value)) {
      try {
        step = gen.next(await step.value);
      } catch (error) {
        step = gen.throw(error);
      }
    } else {
      step = gen.next(step.value);
    }
  }
  return step.value;
}

function call(fn: Fn, args: readonly unknown[]): unknown {
  const result = fn(...args);
  return isGenerator(result) ? drive(result) : result;
}

/** Never notified: a worker whose task lost the race to its kill waits on it until the termination lands. */
const never = new Int32Array(new SharedArrayBuffer(4));

/** Calls `fn` inside the carried context, if the request carries one (its module is loaded: carriers registered). */
function callIn(request: TaskRequest, fn: Fn, args: readonly unknown[]): unknown {
  return request.context === undefined ? call(fn, args) : restoreCarriedContext(request.context, () => call(fn, args));
}

/**
 * Records when the task of `slot` started and how long it ran (for the main thread's stats), then marks it ended.
 * If the main thread already decided to terminate this worker (the task outlived its cancel grace), the outcome
 * must never reach Piscina — it would hand this doomed worker another task — so the thread blocks until it dies.
 */
function timed(slot: number, started: number): void {
  if (slot < 0) return;
  state.times[2 * slot] = timeOrigin + started;
  state.times[2 * slot + 1] = performance.now() - started;
  if ((Atomics.or(state.slots, slot, slotEndedBit) & slotKilledBit) !== 0) {
    for (;;) Atomics.wait(never, 0, 0);
  }
  gate.ended();
}

function succeeded(value: unknown, task: RunningTask, started: number): unknown {
  const uncloneable = findUncloneable(value);
  if (uncloneable !== undefined) {
    // Refused here rather than by Piscina's post, which would throw in the worker's next tick and kill it.
    return failed(
      new DataCloneError(
        `The result of task \`${task.name}\` could not be cloned back to the main thread (result${uncloneable}); the task ran to ` +
          'completion but its value was dropped. Return plain data, typed arrays or buffers (mark a buffer or a MessagePort with transferResult to move it)',
        { task: task.name },
      ),
      task.slot,
      started,
    );
  }
  timed(task.slot, started);
  return value;
}

function failed(error: unknown, slot: number, started: number): never {
  timed(slot, started);
  throw { tag: outcomeTag, status: 'failed', error: serializeError(error) } satisfies TaskOutcome;
}

function end(task: RunningTask): void {
  if (task.stream !== undefined && task.live) closeWorkerStream(task.stream); // streams: before the outcome leaves
  task.live = false;
  if (state.current === task) state.current = undefined;
}

function runCalls(request: TaskRequest, calls: NonNullable<TaskRequest['calls']>): unknown {
  let index = 0;
  const next = (): unknown => {
    while (index < calls.length) {
      const [moduleUrl, exportName, args] = calls[index++]!;
      const fn = loaded.get(`${moduleUrl}#${exportName}`);
      const result = fn === undefined ? load(moduleUrl, exportName).then((f) => callIn(request, f, args)) : callIn(request, fn, args);
      if (isThenable(result)) return Promise.resolve(result).then(next);
    }
    return undefined;
  };
  return next();
}

/** Runs one claimed task; with several tasks per worker, inside its own async context (see `lookup`). */
function run(task: RunningTask, request: TaskRequest, fn: Fn | undefined): unknown {
  const started = performance.now();
  state.current = task;
  let result: unknown;
  try {
    if (request.calls !== undefined) result = runCalls(request, request.calls);
    else if (fn === undefined) result = load(request.moduleUrl, request.exportName).then((f) => callIn(request, f, request.args));
    else result = callIn(request, fn, request.args);
  } catch (error) {
    end(task);
    return failed(error, request.slot, started);
  }
  if (!isThenable(result)) {
    end(task);
    return succeeded(result, task, started);
  }
  // Async: fire the task's signal's abort event when its slot is cancelled (the signal may be made only later).
  watchTaskSlot(task);
  return Promise.resolve(result).then(
    (value) => {
      end(task);
      return succeeded(value, task, started);
    },
    (error: unknown) => {
      end(task);
      return failed(error, request.slot, started);
    },
  );
}

/** When results held by a batch leave (`coalesce.flushMs`; without it, before every call that may run long). */
const flush = new ResultFlush(data.flushMs ?? 0, () => performance.now());
/** Results of batched calls not sent yet, and the buffers they move (`transferResult`). */
let held: unknown[] = [];
let heldTransfers: unknown[] | undefined;

/** Sends the held results now, if any (see `ResultFlush`). */
function sendHeld(): void {
  if (!flush.holding) return;
  parentPort!.postMessage({ tag: batchTag, results: held } satisfies BatchResults, (heldTransfers ?? []) as never);
  held = [];
  heldTransfers = undefined;
  flush.flushed();
}

// A task that ends the worker (process.exit) does not take finished batch-mates with it: their results leave first.
process.on('exit', sendHeld);

function hold(slot: number, ok: 0 | 1, value: unknown): void {
  const moved = ok === 1 ? openMovable(value) : undefined;
  if (moved !== undefined) {
    // transferResult: its buffers move with the message that carries it.
    (heldTransfers ??= []).push(...moved.transfer);
    value = moved.value;
  }
  held.push(slot, ok, value);
  flush.held();
}

/**
 * Runs the calls of a coalesced batch one after another, each as a task of its own (its slot claimed, skipped when
 * cancelled or expired, its context restored, its outcome recorded). Finished results are held and leave together
 * (`ResultFlush` says when: before a call that may run long, before awaiting an async one), so a later call that
 * crashes the worker or outlives its cancel grace (a hard kill) takes no result with it that had time to matter;
 * what is held at the end is the batch's reply.
 */
function runBatch(batch: readonly unknown[]): unknown {
  const n = batch.length / batchStride;
  let i = 0;
  let key = '';
  let started = 0;
  const ended = (slot: number, ok: 0 | 1, value: unknown): void => {
    flush.learn(key, performance.now() - started);
    hold(slot, ok, value);
  };
  const next = (): unknown => {
    while (i < n) {
      const at = batchStride * i++;
      const moduleUrl = batch[at] as string;
      const exportName = batch[at + 1] as string;
      const slot = batch[at + 3] as number;
      const limits = batch[at + 4] as BatchCallLimits | undefined;
      key = `${moduleUrl}#${exportName}`;
      if (flush.before(key)) sendHeld();
      started = performance.now();
      let value: unknown;
      try {
        const request: TaskRequest = { moduleUrl, exportName, args: batch[at + 2] as unknown[], slot };
        value = runTask(limits === undefined ? request : { ...request, ...limits });
      } catch (outcome) {
        ended(slot, 0, outcome);
        continue;
      }
      if (isThenable(value)) {
        sendHeld(); // the worker waits: nothing held meanwhile
        return Promise.resolve(value).then(
          (v) => {
            ended(slot, 1, v);
            return next();
          },
          (outcome: unknown) => {
            ended(slot, 0, outcome);
            return next();
          },
        );
      }
      ended(slot, 1, value);
    }
    const reply: BatchResults = { tag: batchTag, results: held };
    const transfers = heldTransfers;
    held = [];
    heldTransfers = undefined;
    flush.flushed();
    return transfers === undefined ? reply : movable(reply, transfers);
  };
  return next();
}

/**
 * Piscina's handler: claims the task's slot, then runs the task and reports how it ended.
 * @param request - the task to run (or a coalesced batch of them).
 * @returns the task's value (or a Promise of it); for a batch, its `BatchResults`.
 * @throws a `TaskOutcome`: the task failed, or was cancelled before it started.
 */
export default function runTask(request: TaskRequest): unknown {
  if (request.batch !== undefined) return runBatch(request.batch);
  if (request.slot >= 0) {
    // A doomed or retiring worker claims nothing: the task never ran here and goes back in line.
    if (!gate.admits(request.moved === true)) throw gate.declined;
    if (Atomics.compareExchange(state.slots, request.slot, 0, threadId << slotThreadShift) !== 0) {
      throw skipped; // cancelled while queued: it never runs
    }
    gate.started();
  }
  if (request.startBy !== undefined && Date.now() >= request.startBy) {
    timed(request.slot, performance.now());
    throw expired; // its deadline passed while it waited: it never runs
  }
  const task: RunningTask = { slot: request.slot, name: request.exportName, controller: undefined, live: true, deadline: request.deadline };
  if (request.stream !== undefined) task.stream = openWorkerStream(request.stream); // streams
  const fn = loaded.get(`${request.moduleUrl}#${request.exportName}`);
  return store === undefined ? run(task, request, fn) : store.run(task, run, task, request, fn);
}
