/**
 * `WorkerGate`: what a worker checks before it claims a task — is it doomed (the main thread decided to terminate
 * it) or retiring (past a `threads.recycle` limit)? Either way it starts no new task.
 *
 * Invariants:
 * - Checked before the claim of the task's slot: a task the gate turned away was never claimed, so it never ran; it
 *   is answered with a `'declined'` outcome and the main thread puts it back in line (not a retry, not a crash).
 * - Doomed: the main thread lists the worker's thread id in the shared doomed table before it terminates the worker
 *   (`wire.ts`, {@link doomedCountIndex}). A task whose check came before that entry started before the kill decision
 *   and dies with the worker as before; one whose check came after is declined (or, if the termination lands first,
 *   never claimed: it goes back in line as a task that never started).
 * - Retiring: the worker counts the tasks it starts and measures its heap after each task ends; past a limit it
 *   tells the main thread once ({@link RetireNotice}) and declines every task it has not claimed, except one whose
 *   arguments moved with it (a `transfer` list): that one runs, since it cannot go back.
 * - With no doomed worker and no recycle limit the check costs one `Atomics.load` and a comparison per task.
 *
 * @module
 */
import { getHeapStatistics } from 'node:v8';
import { doomedCountIndex, outcomeTag, retireTag, type RetireNotice, type TaskOutcome, type TaskWorkerData } from '../threads/wire.js';

/** The worker's gate in front of claiming tasks. */
export class WorkerGate {
  /** The outcome a turned-away task is answered with (names this worker). */
  readonly declined: TaskOutcome;
  readonly #doomed: Int32Array | undefined;
  readonly #threadId: number;
  readonly #maxTasks: number;
  readonly #maxHeapBytes: number;
  readonly #notify: (notice: RetireNotice) => void;
  #started = 0;
  #retiring = false;

  /**
   * @param data - the pool's worker data (doomed table, recycle limits).
   * @param threadId - this worker's thread id.
   * @param notify - sends the retire notice to the main thread (the worker's `parentPort`).
   */
  constructor(data: TaskWorkerData, threadId: number, notify: (notice: RetireNotice) => void) {
    this.#doomed = data.doomed === undefined ? undefined : new Int32Array(data.doomed);
    this.#threadId = threadId;
    this.#maxTasks = data.recycle?.maxTasks ?? Number.POSITIVE_INFINITY;
    this.#maxHeapBytes = (data.recycle?.maxHeapMb ?? Number.POSITIVE_INFINITY) * 1024 * 1024;
    this.#notify = notify;
    this.declined = { tag: outcomeTag, status: 'declined', threadId };
  }

  /**
   * Whether this worker may claim a task now.
   * @param moved - the task's arguments moved with it (a `transfer` list).
   * @returns false when the task must be declined.
   */
  admits(moved: boolean): boolean {
    if (this.#retiring && !moved) return false;
    const doomed = this.#doomed;
    return doomed === undefined || Atomics.load(doomed, doomedCountIndex) === 0 || !this.#listed(doomed);
  }

  #listed(doomed: Int32Array): boolean {
    for (let i = doomedCountIndex + 1; i < doomed.length; i++) if (Atomics.load(doomed, i) === this.#threadId) return true;
    return false;
  }

  /** A task was claimed and starts: it counts toward `maxTasks`. */
  started(): void {
    if (++this.#started >= this.#maxTasks) this.#retire('maxTasks');
  }

  /** A task ended: checks the heap limit (only when one is set). */
  ended(): void {
    if (this.#maxHeapBytes !== Number.POSITIVE_INFINITY && !this.#retiring && getHeapStatistics().used_heap_size > this.#maxHeapBytes) {
      this.#retire('maxHeapMb');
    }
  }

  #retire(reason: RetireNotice['reason']): void {
    if (this.#retiring) return;
    this.#retiring = true;
    this.#notify({ tag: retireTag, threadId: this.#threadId, reason });
  }
}
