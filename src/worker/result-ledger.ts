/**
 * `ResultLedger`: the worker's side of `coalesce.keepFinished` — each finished batched call's result, posted at once
 * on a port of the worker's own, so that no result held for the next flush dies with the worker.
 *
 * Why: a worker running a coalesced batch holds finished results to send them together (`result-flush.ts`). A later
 * call of the batch that hangs past its cancel grace (terminated) or runs the worker out of memory takes them with
 * it, and those calls errback `WorkerCrashedError` although they ran. A message posted on a `MessagePort` is in the
 * receiving thread's queue from then on, whatever becomes of its sender; so results posted here survive, and the
 * main thread reads them (`src/threads/result-ledgers.ts`) at each flush, reply or death. The cost is one message per
 * finished call (cloned, and read on the main thread), which is why it is an option, off by default.
 *
 * Invariants:
 * - The port's other end goes to the main thread on `parentPort` ({@link LedgerNotice}) as the worker starts, before
 *   it runs any task (and before Piscina's ready message on the same port): a death the main thread learns of on
 *   another channel (an uncaught error's report may overtake the worker's last `parentPort` messages) comes long
 *   after the hand-over was queued, where a hand-over made with the first result could be overtaken by it.
 * - Results go here and nowhere else: a flush or a reply then carries none (a declined call's outcome still goes in
 *   the reply, as the main thread hands declines back with it).
 *
 * @module
 */
import { MessageChannel, parentPort, threadId, workerData, type MessagePort } from 'node:worker_threads';
import { ledgerTag, type LedgerNotice, type TaskWorkerData } from '../threads/wire.js';

/** One worker's result ledger. */
export class ResultLedger {
  /** This worker's end. */
  readonly #port: MessagePort;

  /**
   * The ledger of the worker this code runs in, when its pool keeps finished results (`keepFinished` in its worker
   * data); its end goes to the main thread on `parentPort`.
   * @returns the ledger, or `undefined` (the pool holds results, or this is not a pool's worker).
   */
  static ofThisWorker(): ResultLedger | undefined {
    const port = parentPort;
    if (port === null || (workerData as TaskWorkerData | null | undefined)?.keepFinished !== true) return undefined;
    return new ResultLedger(threadId, (notice, transfer) => port.postMessage(notice, transfer as never));
  }

  /**
   * Opens the ledger and hands the main thread its end at once (the worker is starting).
   * @param threadId - this worker's thread id (the main thread forgets the ledger when that worker leaves).
   * @param handOver - posts the main thread's end on `parentPort`.
   */
  constructor(threadId: number, handOver: (notice: LedgerNotice, transfer: readonly unknown[]) => void) {
    const channel = new MessageChannel();
    this.#port = channel.port1;
    this.#port.unref(); // only ever posted on: it must not keep the worker's loop up
    handOver({ tag: ledgerTag, threadId, port: channel.port2 }, [channel.port2]);
  }

  /**
   * Posts one finished call's result.
   * @param slot - the call's slot.
   * @param ok - 1 for a success, 0 for an outcome.
   * @param value - the value or the outcome.
   * @param transfer - buffers the value moves (`transferResult`), if any.
   */
  record(slot: number, ok: 0 | 1, value: unknown, transfer: readonly unknown[] | undefined): void {
    this.#port.postMessage([slot, ok, value], transfer as never);
  }
}
