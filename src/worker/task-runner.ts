/**
 * `createTaskRunner`: how a worker runs one task it was sent (not a coalesced batch: `batch-runner.ts` runs those,
 * one call at a time, through this).
 *
 * Invariants:
 * - A success returns the task's value as is (Piscina moves a value marked with `transferResult`); a failure or a
 *   skip is thrown as a tagged `TaskOutcome`, so the main thread can tell a task's own failure from a worker that
 *   died. Run timings go to the shared `times` array, not into the reply.
 * - A task whose cancellation slot is already cancelled when it reaches the worker does not run (`'skipped'`);
 *   starting claims the slot by writing this thread's id into it, atomically. A task whose deadline passed before
 *   it reached the worker does not run either (`'expired'`). A task whose module this worker has not loaded yet
 *   claims its slot only once the module is loaded: a claimed task counts as started.
 * - A doomed worker (its termination decided) or a retiring one (past a `threads.recycle` limit) claims no new task:
 *   it answers `'declined'` and the task goes back in line (`worker-gate.ts`).
 * - A request carrying context runs its task inside the carriers' `restore` (after the task's module is loaded, so
 *   the carriers it imports are registered).
 * - A streamed task's stream (`reactor.stream`) is closed as the task ends, before its outcome leaves (its message
 *   count must be in shared memory by then: `worker-stream.ts`).
 * - A result that cannot be cloned is refused here as a `DataCloneError` failure (Piscina's post would throw in the
 *   worker's next tick and kill it).
 * - Task functions are cached per `moduleUrl#exportName`; once loaded, a synchronous task runs without a microtask
 *   hop. How a function is called (generators run to completion) is `call-to-completion.ts`.
 * - With several tasks per worker (`concurrentTasksPerWorker` > 1) each runs inside its own async context, where
 *   `greenreactor/worker` finds it (`worker-state.ts`).
 *
 * @module
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { restoreCarriedContext } from '../context/context-carrier.js';
import { isThenable } from '../is-thenable.js';
import { CancelledError, DataCloneError } from '../errors.js';
import { importTaskFunction } from '../task/import-task-function.js';
import { serializeError } from '../threads/error-transport.js';
import { outcomeTag, slotCancelledBit, slotEndedBit, slotKilledBit, slotThreadShift, type TaskOutcome, type TaskRequest } from '../threads/wire.js';
import { callToCompletion, type TaskFunction } from './call-to-completion.js';
import { findUncloneable } from './find-uncloneable.js';
import { LastTask } from './last-task.js';
import { watchTaskSlot } from './task-signal.js';
import type { WorkerGate } from './worker-gate.js';
import type { RunningTask, WorkerState } from './worker-state.js';
import { closeWorkerStream, openWorkerStream } from './worker-stream.js';
import { nudgeYoungGeneration } from './young-generation-nudge.js';

const skipped: TaskOutcome = { tag: outcomeTag, status: 'skipped' };
const expired: TaskOutcome = { tag: outcomeTag, status: 'expired' };

/** Never notified: a worker whose task lost the race to its kill waits on it until the termination lands. */
const never = new Int32Array(new SharedArrayBuffer(4));

/**
 * Makes the function that runs one task request in this worker (Piscina's handler for a request that is not a
 * batch).
 *
 * @param state - the worker state (slots, times, the running task).
 * @param gate - the worker's gate (doomed or retiring: claim nothing).
 * @param store - the async context that tells concurrent tasks apart; `undefined` when the worker runs one at a time.
 * @returns `runTask(request)`: the task's value (or a Promise of it); it throws a `TaskOutcome` when the task failed,
 *   was declined, or was cancelled or expired before it started.
 */
export function createTaskRunner(
  state: WorkerState,
  gate: WorkerGate,
  store: AsyncLocalStorage<RunningTask> | undefined,
): (request: TaskRequest) => unknown {
  const loaded = new Map<string, TaskFunction>();
  const timeOrigin = performance.timeOrigin;

  async function load(moduleUrl: string, exportName: string): Promise<TaskFunction> {
    const fn = (await importTaskFunction(moduleUrl, exportName)) as TaskFunction;
    loaded.set(`${moduleUrl}#${exportName}`, fn);
    return fn;
  }

  // Calls of one task in a row (the usual case) find its function without building the map's key (`LastTask`).
  const last = new LastTask<TaskFunction>();

  /** The task function of `moduleUrl#exportName` if this worker loaded it already. */
  function loadedFunction(moduleUrl: string, exportName: string): TaskFunction | undefined {
    const lastFn = last.get(moduleUrl, exportName);
    if (lastFn !== undefined) return lastFn;
    const fn = loaded.get(`${moduleUrl}#${exportName}`);
    return fn === undefined ? undefined : last.set(moduleUrl, exportName, fn);
  }

  /** Calls `fn` inside the carried context, if the request carries one (its module is loaded: carriers registered). */
  function callIn(request: TaskRequest, fn: TaskFunction, args: readonly unknown[]): unknown {
    return request.context === undefined
      ? callToCompletion(fn, args)
      : restoreCarriedContext(request.context, () => callToCompletion(fn, args));
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

  /**
   * `callMultipleInThread`: the calls one after another, stopping at the first that throws — or at the first not yet
   * started once the run was cancelled or timed out (its slot cancelled): a call that has not started never starts
   * then, as a queued task never runs (SPEC §5); the running one sees `cancelled()` like any task.
   */
  function runCalls(request: TaskRequest, calls: NonNullable<TaskRequest['calls']>): unknown {
    let index = 0;
    const next = (): unknown => {
      while (index < calls.length) {
        if (index > 0 && request.slot >= 0 && (Atomics.load(state.slots, request.slot) & slotCancelledBit) !== 0) {
          throw new CancelledError(`callMultipleInThread was cancelled: calls ${index + 1} to ${calls.length} did not start`);
        }
        const [moduleUrl, exportName, args] = calls[index++]!;
        const fn = loadedFunction(moduleUrl, exportName);
        const result =
          fn === undefined ? load(moduleUrl, exportName).then((f) => callIn(request, f, args)) : callIn(request, fn, args);
        if (isThenable(result)) return Promise.resolve(result).then(next);
      }
      return undefined;
    };
    return next();
  }

  /** Runs one claimed task; with several tasks per worker, inside its own async context (see `store`). */
  function run(task: RunningTask, request: TaskRequest, fn: TaskFunction | undefined): unknown {
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
    let thenable: boolean;
    try {
      thenable = isThenable(result);
    } catch (error) {
      // Its `then` getter threw (user code): the task fails with that, as a Promise resolved with it rejects. Left
      // to escape, it would end the worker as an uncaught error.
      end(task);
      return failed(error, request.slot, started);
    }
    if (!thenable) {
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

  /** Claims the slot of `request` (unless it was cancelled, expired, or this worker declines it), then runs it. */
  function start(request: TaskRequest, fn: TaskFunction | undefined): unknown {
    if (request.slot >= 0) {
      // A doomed or retiring worker claims nothing: the task never ran here and goes back in line.
      if (!gate.admits(request.moved === true)) throw gate.declined;
      if (Atomics.compareExchange(state.slots, request.slot, 0, state.threadId << slotThreadShift) !== 0) {
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
    return store === undefined ? run(task, request, fn) : store.run(task, run, task, request, fn);
  }

  return function runTask(request: TaskRequest): unknown {
    // Buffers that arrived moved, not allocated here: let V8 count them toward a young-generation collection.
    if (request.copied === true || request.moved === true) nudgeYoungGeneration();
    const fn = request.calls === undefined ? loadedFunction(request.moduleUrl, request.exportName) : undefined;
    if (fn === undefined && request.calls === undefined && request.slot >= 0) {
      // Its module is not loaded yet (a fresh worker): load it before claiming the slot. A first load is
      // asynchronous, and meanwhile the worker reads its next message; a task claimed and then stuck behind one that
      // blocks the thread would count as started although none of its code ran, and errback WorkerCrashedError when
      // the worker is killed instead of going back in line (SPEC §7). Unclaimed, it is re-queued, or skipped if
      // cancelled meanwhile. A load that fails is retried by `run`, which reports it as the task's failure.
      return load(request.moduleUrl, request.exportName).then(
        (loadedFn) => start(request, loadedFn),
        () => start(request, undefined),
      );
    }
    return start(request, fn);
  };
}
