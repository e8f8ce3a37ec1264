/**
 * The functions the fault soak runs in worker threads (and, for the harmless ones, in-process).
 *
 * They are plain exports wrapped with `taskFrom` by the soak, so one module serves the built package
 * (`dist/src/soak/soak-tasks.js`) and a test that points the soak at that built copy. The ones that end their
 * worker refuse to run on the main thread: a routing mistake must fail a call, not end the process.
 *
 * @module
 */
import { isMainThread } from 'node:worker_threads';
import { callFromThread, cancelled } from '../worker/index.js';

/** The name the soak exposes on the main thread; a running {@link soakSpin} calls it with its call index. */
export const soakStartedName = 'greenreactor:soak:started';

/** How long a spinning task goes on at most when no cancellation reaches it (so a broken ladder cannot hang the soak). */
const spinCapMs = 5000;

/**
 * Returns its argument after a little work (a few hundred additions).
 * @param i - the call's index.
 * @returns `i`.
 */
export function soakValue(i: number): number {
  let sum = 0;
  for (let k = 0; k < 256; k++) sum += k;
  return sum >= 0 ? i : -1;
}

/**
 * Throws a `RangeError` naming the call.
 * @param i - the call's index.
 * @throws RangeError always.
 */
export function soakThrow(i: number): never {
  throw new RangeError(`soak call ${i} throws`);
}

/**
 * Ends its worker with `process.exit(70)`.
 * @param i - the call's index.
 * @returns never; on the main thread it throws instead.
 * @throws Error when run on the main thread.
 */
export function soakExit(i: number): never {
  if (isMainThread) throw new Error(`soak call ${i}: soakExit must run in a worker thread`);
  process.exit(70);
}

/**
 * Allocates until its worker runs out of memory (under the pool's `resourceLimits`).
 * @param i - the call's index.
 * @returns never; on the main thread it throws instead.
 * @throws Error when run on the main thread.
 */
export function soakOutOfMemory(i: number): never {
  if (isMainThread) throw new Error(`soak call ${i}: soakOutOfMemory must run in a worker thread`);
  // Small steps (64 KiB): an allocation that jumps far past the worker's heap limit aborts the whole process
  // instead of ending the worker (Node 20: "Reached heap limit" is then fatal, exit code 134). 512 KiB steps still
  // did that once in a run of the packed soak beside two CPU-bound processes; smaller steps leave Node's
  // near-heap-limit callback room to end the worker first.
  const hoard: number[][] = [];
  for (;;) hoard.push(new Array<number>(1 << 13).fill(i));
}

/**
 * Tells the main thread it started (when `announce`), then spins until its task is cancelled or timed out.
 *
 * A CPU loop that never yields to the event loop: only the shared-memory `cancelled()` can reach it.
 * @param i - the call's index.
 * @param announce - whether to call the main thread's {@link soakStartedName} first.
 * @returns `-1` when it stopped because it was cancelled, `-2` when nothing stopped it within 5 s.
 * @throws Error when run on the main thread (where nothing could cancel it).
 */
export function soakSpin(i: number, announce: boolean): number {
  if (isMainThread) throw new Error(`soak call ${i}: soakSpin must run in a worker thread`);
  if (announce) callFromThread(soakStartedName, i);
  const end = Date.now() + spinCapMs;
  while (!cancelled()) {
    if (Date.now() > end) return -2;
  }
  return -1;
}
