/**
 * `ResultLedgers`: the main thread's side of the workers' result ledgers (every coalescing pool) — each finished
 * batched result with `coalesce.keepFinished`, and a worker's last words as it exits (`src/worker/result-ledger.ts`).
 *
 * Why and the protocol: see {@link LedgerNotice} in `wire.ts` (the worker's side is `src/worker/result-ledger.ts`).
 * Nobody listens on a ledger's port (a listener would cost an event per result, and keep the loop up): the pool reads
 * every ledger with `receiveMessageOnPort` when a worker's flush or a batch's reply arrives (with `keepFinished`),
 * when a message is rejected (a worker died: what it posted before is all there), when a worker leaves the pool
 * (before Piscina fails its runs: its last words are there), and before `close()` gives up on the runs still out.
 *
 * Invariants:
 * - A ledger is read to its end each time, so a result is read no later than the flush or reply that would have
 *   carried it without the ledger; results go to the pool's `BatchSlots` by slot, each only to the run whose slot
 *   the ledger's worker ran and ended (the slot is released once a result reached its run, so a result the worker
 *   sent twice — in a flush or reply, and in its last words — settles its run once, and never another run's).
 * - A worker's ledger is read one last time and closed once the worker has left the pool, and every ledger on
 *   `close()`: no port stays open.
 *
 * @module
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { LedgerNotice } from './wire.js';

/** The result ledgers of one pool's workers. */
export class ResultLedgers {
  readonly #ports = new Map<number, MessagePort>();
  readonly #deliver: (results: readonly unknown[], threadId: number) => void;

  /**
   * @param deliver - settles the runs of `slot, ok, value` triples that the worker `threadId` ran (the pool's
   *   `BatchSlots.deliver`).
   */
  constructor(deliver: (results: readonly unknown[], threadId: number) => void) {
    this.#deliver = deliver;
  }

  /**
   * A worker handed over its ledger: kept, and read at once (a flush or reply of that worker may have come first).
   * @param notice - the hand-over.
   */
  add(notice: LedgerNotice): void {
    this.#ports.get(notice.threadId)?.close();
    this.#ports.set(notice.threadId, notice.port);
    this.#read(notice.port, notice.threadId);
  }

  /** Reads every ledger to its end. */
  readAll(): void {
    if (this.#ports.size === 0) return;
    for (const [threadId, port] of this.#ports) this.#read(port, threadId);
  }

  /**
   * A worker left the pool: the ledgers of workers no longer among `live` are read a last time and closed (the one
   * that left may no longer know its own thread id: Node forgets the id of an exited thread).
   * @param live - the thread ids of the workers still in the pool.
   */
  keepOnly(live: ReadonlySet<number>): void {
    for (const threadId of [...this.#ports.keys()]) if (!live.has(threadId)) this.#forget(threadId);
  }

  #forget(threadId: number): void {
    const port = this.#ports.get(threadId);
    if (port === undefined) return;
    this.#ports.delete(threadId);
    this.#read(port, threadId);
    port.close();
  }

  /** Reads every ledger a last time and closes them (the pool is closing). */
  close(): void {
    for (const threadId of [...this.#ports.keys()]) this.#forget(threadId);
  }

  #read(port: MessagePort, threadId: number): void {
    for (let entry = receiveMessageOnPort(port); entry !== undefined; entry = receiveMessageOnPort(port)) {
      this.#deliver(entry.message as readonly unknown[], threadId);
    }
  }
}
