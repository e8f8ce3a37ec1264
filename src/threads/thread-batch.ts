/**
 * `ThreadBatch`: several waiting runs sent to a worker in one message (coalescing, SPEC §7 `threads.coalesce`).
 *
 * Invariants:
 * - Each run keeps its own slot, Deferred, timeout, dispatch site and stats: the batch is only the envelope. A run
 *   whose slot is cancelled before the worker reaches it is skipped there; each result settles its own run.
 * - Results come back by slot, in the batch's reply or in earlier flushes (see `wire.ts`), each settling its run
 *   once; the pool routes them ({@link BatchSlots}). A result that came another way than the reply (a flush, a
 *   worker's ledger) is given only to a run its worker ran and ended: it can arrive after its worker's death was
 *   handled, its slot released and taken by another run.
 * - Runs the worker declined (it is retiring or doomed: they never started) are handed back together, with the
 *   batch's reply: once a worker declined a call it declines the rest of the batch and sends nothing early
 *   (`src/worker/batch-runner.ts`), so the reply carries every decline, and held results still on the way on the
 *   worker's port (the two messages may cross) are only ones that ran. The reply hands them back before the pool
 *   sends the next share of its queue ({@link PostedReceiver.handsBack}): calls made after them, sent meanwhile to
 *   the replacement, would overtake them. Should declines come without a reply (the worker died), they are handed
 *   back once nothing else is outstanding.
 * - If the worker dies (a crash, or a kill after a run's cancel grace), every run still without its result is
 *   told so: one that never claimed its slot goes back in line, one that started errbacks `WorkerCrashedError`
 *   (or is retried, with `retries`) — `ThreadTaskRun.handleRejection` decides.
 * - If the message is refused because a call in it cannot be cloned (no call ran), only the calls that cannot be
 *   cloned errback `DataCloneError`; the others go back in line, each to travel alone from then on (so a call whose
 *   getter throws only inside the clone fails alone, its refusal told by its own clone mark: `clone-mark.ts`).
 *
 * @module
 */
import type { PostedReceiver, ThreadTaskHost, ThreadTaskRun } from './thread-task-run.js';
import { batchStride, isTaskOutcome, type TaskRequest } from './wire.js';
import { mayBeRefusal } from './dispatch-fault.js';

/** One posted batch: how many of its runs still wait for their result. */
interface BatchRecord {
  outstanding: number;
  /**
   * Holds the event loop open once the batch's reply came while results of earlier calls are still on the way on
   * the worker's `parentPort` (Piscina unrefs an idle worker, so its messages alone would not keep the process up).
   */
  keepAlive: ReturnType<typeof setInterval> | undefined;
  /** Runs the worker declined, with their outcome, handed back once nothing else is outstanding. */
  declined: Array<[ThreadTaskRun, unknown]> | undefined;
}

/** Hands back a batch's declined runs (in the order they were declined; the pool's line orders them anyway). */
function handBack(batch: BatchRecord): void {
  const declined = batch.declined;
  if (declined === undefined) return;
  batch.declined = undefined;
  for (const [run, outcome] of declined) run.handleRejection(outcome);
}

/**
 * Whether a list of batch results (`slot, ok, value` triples) declines a call.
 * @param results - the flat triples.
 * @returns true when one of them is a `'declined'` outcome.
 */
function carriesDecline(results: readonly unknown[]): boolean {
  for (let i = 1; i + 1 < results.length; i += 3) {
    if (results[i] === 0) {
      const value = results[i + 1];
      if (isTaskOutcome(value) && value.status === 'declined') return true;
    }
  }
  return false;
}

/** Whether a batch result (`ok`, `value`) says its call ran: anything but a skip (cancelled while queued) or a decline. */
function ran(ok: unknown, value: unknown): boolean {
  return ok === 1 || !isTaskOutcome(value) || (value.status !== 'skipped' && value.status !== 'declined');
}

/** The pool's map from slot to the batched run holding it, while its result is still to come. */
export class BatchSlots {
  readonly #runs: Array<ThreadTaskRun | undefined> = [];
  readonly #batches: Array<BatchRecord | undefined> = [];

  /**
   * Records that `run` holds `slot` inside a batch.
   * @param slot - its slot.
   * @param run - the run.
   * @param batch - its batch.
   */
  hold(slot: number, run: ThreadTaskRun, batch: BatchRecord): void {
    this.#runs[slot] = run;
    this.#batches[slot] = batch;
  }

  /**
   * Whether `run` still holds `slot` (its result has not come back).
   * @param slot - the slot.
   * @param run - the run.
   */
  holds(slot: number, run: ThreadTaskRun): boolean {
    return this.#runs[slot] === run;
  }

  /**
   * Forgets a slot (its result arrived, or its worker died).
   * @param slot - the slot.
   * @param holder - when given, only if this run still holds it (a slot freed by its result may hold another run).
   * @returns the run that held it, if it was still held.
   */
  take(slot: number, holder?: ThreadTaskRun): ThreadTaskRun | undefined {
    const run = this.#runs[slot];
    if (run === undefined || (holder !== undefined && run !== holder)) return undefined;
    this.#runs[slot] = undefined;
    const batch = this.#batches[slot]!;
    this.#batches[slot] = undefined;
    if (--batch.outstanding === 0 && batch.keepAlive !== undefined) {
      clearInterval(batch.keepAlive);
      batch.keepAlive = undefined;
    }
    return run;
  }

  /**
   * Settles the runs of a list of batch results (`slot, ok, value` triples); a slot no longer held is skipped.
   * @param results - the flat triples.
   * @param sentFor - for results that did not come in their batch's reply (a flush, a ledger): whether the sending
   *   worker's result for a slot belongs to the run now holding it — for a call it says ran (`ran`), the slot names
   *   that worker and says the call ended; for one it says never started (skipped when cancelled, or declined), the
   *   slot names no thread. Any other result is skipped: it is for an earlier holder of the slot.
   */
  deliver(results: readonly unknown[], sentFor?: (slot: number, ran: boolean) => boolean): void {
    for (let i = 0; i + 2 < results.length; i += 3) {
      const slot = results[i] as number;
      if (sentFor !== undefined && this.#runs[slot] !== undefined && !sentFor(slot, ran(results[i + 1], results[i + 2]))) continue;
      const batch = this.#batches[slot];
      const run = this.take(slot);
      if (run === undefined) continue;
      const value = results[i + 2];
      if (results[i + 1] === 1) run.handleReply(value);
      else if (isTaskOutcome(value) && value.status === 'declined') (batch!.declined ??= []).push([run, value]);
      else run.handleRejection(value);
      if (batch!.outstanding === 0) handBack(batch!);
    }
  }
}

/**
 * Sends `runs` (at least two, all batchable, taken from the pool's queue) as one message.
 * @param host - the pool.
 * @param slots - the pool's slot-to-run map.
 * @param runs - the runs, in order.
 */
export function postBatch(host: ThreadTaskHost, slots: BatchSlots, runs: readonly ThreadTaskRun[]): void {
  const calls: unknown[] = [];
  const members: ThreadTaskRun[] = [];
  const record: BatchRecord = { outstanding: 0, keepAlive: undefined, declined: undefined };
  for (const run of runs) {
    const slot = run.enterBatch(calls);
    if (slot < 0) continue;
    record.outstanding++;
    slots.hold(slot, run, record);
    members.push(run);
  }
  if (members.length === 0) return;
  host.counters.batches++;
  host.counters.coalesced += members.length;
  const request: TaskRequest = { moduleUrl: '', exportName: '', args: [], slot: -1, batch: calls };
  const died = (error: unknown): void => {
    // Whether the worker got to run any call of the batch (a call that crashed it, or one it was killed in).
    let anyStarted = false;
    for (let k = 0; k < members.length && !anyStarted; k++) {
      const slot = calls[batchStride * k + 3] as number;
      // A call whose result came back ran; one still held ran if it claimed its slot.
      anyStarted = !slots.holds(slot, members[k]!) || host.slots.runningThread(slot) !== 0;
    }
    // Refused before any call ran, by the clone, because a call of it cannot be cloned (a function, a throwing
    // getter: the size estimate let it in) — or, as it cannot be told from that, the worker died of an uncaught error
    // first. The calls that cannot be cloned now fail, with DataCloneError; the others go back in line untouched, to
    // travel alone, where each one's refusal is told exactly (a call whose getter throws only in the clone fails
    // alone; after a death, each meets it alone). The common path pays nothing: no mark on a batch's message.
    const refused = !anyStarted && mayBeRefusal(error);
    for (let k = 0; k < members.length; k++) {
      // Still held: its result never came (the worker died, or the message was refused).
      const run = slots.take(calls[batchStride * k + 3] as number, members[k]);
      if (run === undefined) continue;
      if (!refused) run.handleRejection(error, anyStarted);
      else if (run.sendable) run.unsent();
      else run.handleRejection(error, false, false);
    }
    handBack(record); // declined before the worker died: never started either
  };
  const receiver: PostedReceiver = {
    handleReply: (reply) => {
      slots.deliver((reply as { results: readonly unknown[] }).results);
      handBack(record); // every decline is in the reply: none waits for results of calls that ran
      if (record.outstanding > 0) record.keepAlive = setInterval(keepAlive, 1 << 30);
      // Nothing reads them after the reply (results still on the way find their runs by slot, and `died` only answers
      // a message that got no reply), but a dispatch site captured in a callback of this batch's results keeps this
      // function's frame, and so these arrays, for as long as the call it was captured for is in flight.
      members.length = 0;
      calls.length = 0;
    },
    handleRejection: died,
    handsBack: (reply) => record.declined !== undefined || carriesDecline((reply as { results: readonly unknown[] }).results),
  };
  try {
    host.post(request, undefined, receiver);
  } catch (error) {
    died(error);
  }
}

function keepAlive(): void {
  // never runs in practice: the interval only holds the event loop open
}
