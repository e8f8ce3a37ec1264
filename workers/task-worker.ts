/**
 * The Piscina worker entry: sets the worker up, then hands each request to the runner that owns it. Piscina loads it
 * through `task-worker-loader.cts` (a CommonJS stub that `import()`s this module; that file says why).
 *
 * What runs here, once per worker: the worker state every copy of `greenreactor/worker` reads
 * (`src/worker/worker-state.ts`), the gate a doomed or retiring worker closes (`src/worker/worker-gate.ts`), the
 * TypeScript loader of the main process (`src/worker/inherited-imports.ts`), and the two runners — one task
 * (`src/worker/task-runner.ts`, which states the rules a task run keeps) and a coalesced batch of calls
 * (`src/worker/batch-runner.ts`). The protocol both threads speak is `src/threads/wire.ts`.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { TaskRequest, TaskWorkerData } from '../src/threads/wire.js';
import { BatchRunner } from '../src/worker/batch-runner.js';
import { applyInheritedImports } from '../src/worker/inherited-imports.js';
import { ResultFlush } from '../src/worker/result-flush.js';
import { createTaskRunner } from '../src/worker/task-runner.js';
import { installWorkerState, type RunningTask } from '../src/worker/worker-state.js';
import { WorkerGate } from '../src/worker/worker-gate.js';

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
// Doomed (being terminated) or retiring (threads.recycle): no new task is claimed here.
const gate = new WorkerGate(data, threadId, (notice) => parentPort!.postMessage(notice));
// Before any task module loads: make a TypeScript loader of the main process (node --import tsx) work here too.
await applyInheritedImports(process.execArgv);

const runOne = createTaskRunner(state, gate, store);
const batches = new BatchRunner(runOne, new ResultFlush(data.flushMs ?? 0, () => performance.now()), (message, transfer) =>
  parentPort!.postMessage(message, transfer as never),
);
// A worker that exits (process.exit, or an uncaught error: Node runs this before it reports the error) does not take
// finished batch-mates with it: their results, held or on their way, go on its result ledger, read before its runs fail.
process.on('exit', () => batches.sendLastWords());

/**
 * Piscina's handler.
 * @param request - the task to run, or a coalesced batch of calls.
 * @returns the task's value (or a Promise of it); for a batch, its `BatchResults`.
 * @throws a `TaskOutcome`: the task failed, was declined, or was cancelled or expired before it started.
 */
export default function runTask(request: TaskRequest): unknown {
  return request.batch === undefined ? runOne(request) : batches.run(request.batch);
}
