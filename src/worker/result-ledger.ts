/**
 * `ResultLedger`: a worker's own port to the main thread for batched results that must outlive the worker — each
 * finished result at once with `coalesce.keepFinished`, and, in every coalescing pool, the worker's last words: the
 * results that had not reached the main thread when the worker exits.
 *
 * Why: a worker running a coalesced batch holds finished results to send them together (`result-flush.ts`). A later
 * call of the batch that hangs past its cancel grace (terminated) or runs the worker out of memory takes them with
 * it, and those calls errback `WorkerCrashedError` although they ran. A message posted on a `MessagePort` is in the
 * receiving thread's queue from then on, whatever becomes of its sender; so results posted here survive, and the
 * main thread reads them (`src/threads/result-ledgers.ts`) at each flush, reply or death. The cost is one message per
 * finished call (cloned, and read on the main thread), which is why it is an option, off by default.
 *
 * Without the option the ledger still carries a worker's last words ({@link ResultLedger.lastWords}): a worker that
 * dies of an uncaught error (or calls `process.exit`) runs its exit handler before Node reports the error, and the
 * results it held, flushed or returned in a reply that had not reached the main thread go here. Sent anywhere else
 * they could be lost: the error's report travels on the worker's internal channel and can overtake a flush on
 * `parentPort`, and Piscina drops a reply still on its way from a worker it saw fail. The main thread reads the
 * ledger of a worker as it leaves the pool, before the pool fails that worker's runs.
 *
 * Invariants:
 * - The port's other end goes to the main thread on `parentPort` ({@link LedgerNotice}) as the worker starts, before
 *   it runs any task (and before Piscina's ready message on the same port): a death the main thread learns of on
 *   another channel (an uncaught error's report may overtake the worker's last `parentPort` messages) comes long
 *   after the hand-over was queued, where a hand-over made with the first result could be overtaken by it.
 * - With `keepFinished`, results go here and nowhere else: a flush or a reply then carries none (a declined call's
 *   outcome still goes in the reply, as the main thread hands declines back with it).
 * - Last words carry a result only while its slot still names this thread and says it ended (the main thread has
 *   not released it: the result has not reached it), and only the newest result of each slot; the main thread
 *   checks the same of each result it reads here, so a result is never given to a run it does not belong to.
 *
 * @module
 */
import { MessageChannel, parentPort, threadId, workerData, type MessagePort } from 'node:worker_threads';
import { ledgerTag, slotEndedBit, slotThreadShift, type LedgerNotice, type TaskWorkerData } from '../threads/wire.js';

/** One worker's result ledger. */
export class ResultLedger {
  /** Whether each finished result is posted here at once (`coalesce.keepFinished`); else only last words are. */
  readonly keepsFinished: boolean;
  /** This worker's thread id. */
  readonly threadId: number;
  /** This worker's end. */
  readonly #port: MessagePort;
  /** The pool's cancellation slots (`wire.ts`): whose result has not reached the main thread yet. */
  readonly #slots: Int32Array;

  /**
   * The ledger of the worker this code runs in, when its pool coalesces calls (`flushMs` in its worker data); its end
   * goes to the main thread on `parentPort`.
   * @returns the ledger, or `undefined` (the pool does not coalesce, or this is not a pool's worker).
   */
  static ofThisWorker(): ResultLedger | undefined {
    const port = parentPort;
    const data = workerData as TaskWorkerData | null | undefined;
    if (port === null || data?.flushMs === undefined) return undefined;
    return new ResultLedger(threadId, (notice, transfer) => port.postMessage(notice, transfer as never), data.keepFinished === true, new Int32Array(data.slots));
  }

  /**
   * Opens the ledger and hands the main thread its end at once (the worker is starting).
   * @param threadId - this worker's thread id (the main thread forgets the ledger when that worker leaves).
   * @param handOver - posts the main thread's end on `parentPort`.
   * @param keepsFinished - whether each finished result goes here at once (`coalesce.keepFinished`).
   * @param slots - the pool's cancellation slots (last words carry only results the main thread has not received).
   */
  constructor(
    threadId: number,
    handOver: (notice: LedgerNotice, transfer: readonly unknown[]) => void,
    keepsFinished = true,
    slots: Int32Array = new Int32Array(0),
  ) {
    this.keepsFinished = keepsFinished;
    this.threadId = threadId;
    this.#slots = slots;
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

  /**
   * Whether the call of `slot` ran here and its result has not reached the main thread: the slot still names this
   * thread and says the call ended (the main thread puts a slot back to 0 once the result reached it).
   * @param slot - the call's slot.
   */
  unreceived(slot: number): boolean {
    const word = Atomics.load(this.#slots, slot);
    return word >>> slotThreadShift === this.threadId && (word & slotEndedBit) !== 0;
  }

  /**
   * Posts the worker's last words (it is exiting): of `sent`, oldest first, the newest result of each slot the main
   * thread has not received ({@link ResultLedger.unreceived}).
   * @param sent - lists of `slot, ok, value` triples, each with the buffers its values move (`transferResult`).
   */
  lastWords(sent: ReadonlyArray<{ readonly results: readonly unknown[]; readonly transfer: readonly unknown[] | undefined }>): void {
    const newest = new Map<number, [ok: unknown, value: unknown]>();
    const transfer: unknown[] = [];
    for (const { results, transfer: moved } of sent) {
      let any = false;
      for (let i = 0; i + 2 < results.length; i += 3) {
        const slot = results[i] as number;
        if (!this.unreceived(slot)) continue;
        newest.delete(slot); // re-inserted last: the triples keep the order they left in
        newest.set(slot, [results[i + 1], results[i + 2]]);
        any = true;
      }
      if (any && moved !== undefined) transfer.push(...moved);
    }
    if (newest.size === 0) return;
    const results: unknown[] = [];
    for (const [slot, [ok, value]] of newest) results.push(slot, ok, value);
    try {
      this.#port.postMessage(results, transfer as never);
    } catch {
      // A buffer already moved (a reply Piscina posted) cannot be moved again: each result then goes alone, copied;
      // one that still cannot be cloned is lost with the worker, as before.
      for (let i = 0; i < results.length; i += 3) {
        try {
          this.#port.postMessage(results.slice(i, i + 3));
        } catch {
          // lost with the worker
        }
      }
    }
  }
}
