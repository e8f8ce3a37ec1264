/**
 * `nudgeYoungGeneration`: lets V8 weigh the buffers a request moved into this worker, so they are freed by a
 * young-generation collection rather than by a full one.
 *
 * Why: V8 collects the young generation (a scavenge, a fraction of a millisecond) once the array buffers allocated
 * there add up to twice its semi-space size, but it checks that only when it allocates a buffer's memory itself. A
 * buffer that arrives in a transfer list (a task's `transfer` option, or a large argument copied and moved,
 * `src/threads/copy-large-buffers.ts`) is adopted, not allocated here: a worker that receives nothing else never
 * checks, and the buffers' bytes, dead as soon as their tasks end, pile up as external memory until V8 starts a full
 * mark-compact, about every 64 MiB: a pause of 7-11 ms on this thread, plus marking work on the process's helper
 * threads. Allocating a one-byte buffer as each such request arrives makes V8 check; the task's own buffers, alive
 * then, survive that scavenge and die in the next one.
 *
 * Measured on the `peers` 1 MiB row (8 calls at a time on 2 threads, fixed malloc thresholds, `--trace-gc`, 1,000
 * batches): 36-89 mark-compacts and 8 scavenges per worker without it, 1 mark-compact and 100-185 scavenges with it,
 * as a structured clone's buffers (allocated by the worker) get.
 *
 * @module
 */

/** Holds the last nudge's buffer, so that the allocation is never optimised away as unused. */
const held: { buffer: ArrayBuffer | undefined } = { buffer: undefined };

/**
 * Allocates a one-byte `ArrayBuffer`: V8 then checks whether the young generation's buffers are worth a scavenge.
 * Call it for a request that carried a transfer list.
 */
export function nudgeYoungGeneration(): void {
  held.buffer = new ArrayBuffer(1);
}
