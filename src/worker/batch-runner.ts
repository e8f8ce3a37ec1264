/**
 * `BatchRunner`: how a worker runs a coalesced batch (SPEC §7 `threads.coalesce`) — its calls one after another, each
 * as a task of its own, their results held and sent together.
 *
 * Invariants:
 * - Each call goes through the single-task runner (`task-runner.ts`): its slot is claimed, it is skipped when
 *   cancelled or expired, its context restored, its outcome recorded. One call's throw fails that call only.
 * - Finished results are held and leave together; `ResultFlush` says when they leave early: before a call that may
 *   run long, and before awaiting an async one (nothing is held while the worker waits). So a later call that
 *   crashes the worker or outlives its cancel grace (a hard kill) takes no result with it that had time to matter;
 *   what is held when the batch ends is the batch's reply.
 * - Once a call is declined (the worker retires or is doomed: every later call is declined too), nothing leaves
 *   early: the batch's reply carries all its declines, so the main thread hands them back together, before it
 *   sends the next share of its queue.
 * - A result marked with `transferResult` keeps its move: its buffers travel with the message that carries it.
 * - {@link BatchRunner.sendHeld} sends what is held at once, on `parentPort`, saying which worker sent it (the main
 *   thread gives a result it reads there only to a run of that worker).
 * - Results that left (a flush, a reply) are kept until the main thread has them (their slots are released): a
 *   worker that exits — an uncaught error, `process.exit` — sends them again, with what it holds, as its last words
 *   on its {@link ResultLedger} ({@link BatchRunner.sendLastWords}, called by the worker entry on `'exit'`). The
 *   report of an uncaught error can overtake a flush, and Piscina drops a reply from a worker it saw fail; the main
 *   thread reads the last words before it fails that worker's runs, so finished batch-mates are never lost to it.
 * - With `coalesce.keepFinished` ({@link ResultLedger.keepsFinished}) each finished result is posted on the ledger as
 *   it ends, and what is "held" is only the promise of a flush: the flushes and the reply carry no results but
 *   declines, and tell the main thread when to read the ledger. A worker that dies any way then loses no finished
 *   result (a terminated or out-of-memory worker runs no exit handler: without the option, those lose what they held).
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { isThenable } from '../is-thenable.js';
import {
  batchStride,
  batchTag,
  isTaskOutcome,
  type BatchCallLimits,
  type BatchResults,
  type TaskRequest,
} from '../threads/wire.js';
import { ResultLedger } from './result-ledger.js';
import { movable, openMovable } from './piscina-movable.js';
import type { ResultFlush } from './result-flush.js';
import { LastTask } from './last-task.js';

/** Runs the coalesced batches sent to one worker. */
export class BatchRunner {
  readonly #runTask: (request: TaskRequest) => unknown;
  readonly #flush: ResultFlush;
  readonly #post: (message: BatchResults, transfer: readonly unknown[]) => void;
  /** Where finished results go at once (`coalesce.keepFinished`); `undefined`: they are held. */
  readonly #ledger: ResultLedger | undefined;
  /** Results of batched calls not sent yet, three entries each: slot, ok (1) or failed (0), value or outcome. */
  #held: unknown[] = [];
  /** The buffers the held results move (`transferResult`). */
  #heldTransfers: unknown[] | undefined;
  /** Results that left in a flush or a reply, kept for last words until the main thread has them (no keepFinished). */
  #sent: Array<{ results: readonly unknown[]; transfer: readonly unknown[] | undefined }> = [];
  /** The flush key (`url#name`) of the last call's task. */
  readonly #lastKey = new LastTask<string>();

  /**
   * @param runTask - runs one call as a task (the single-task runner); throws its `TaskOutcome` on failure.
   * @param flush - when held results leave (`coalesce.flushMs`).
   * @param post - sends held results to the main thread now (the worker's `parentPort.postMessage`).
   * @param ledger - where finished results go at once (`coalesce.keepFinished`) or only the last words, or
   *   `undefined` (results are held, and a worker's exit sends what it holds on `parentPort`).
   *   @defaultValue this worker's ledger when its pool coalesces calls ({@link ResultLedger.ofThisWorker})
   */
  constructor(
    runTask: (request: TaskRequest) => unknown,
    flush: ResultFlush,
    post: (message: BatchResults, transfer: readonly unknown[]) => void,
    ledger: ResultLedger | undefined = ResultLedger.ofThisWorker(),
  ) {
    this.#runTask = runTask;
    this.#flush = flush;
    this.#post = post;
    this.#ledger = ledger;
  }

  /** Sends the held results now, if any. */
  sendHeld(): void {
    if (!this.#flush.holding) return;
    const ledger = this.#ledger;
    const results = this.#held;
    const transfer = this.#heldTransfers;
    this.#post(ledger === undefined ? { tag: batchTag, results } : { tag: batchTag, results, threadId: ledger.threadId }, transfer ?? []);
    this.#keepSent(results, transfer);
    this.#held = [];
    this.#heldTransfers = undefined;
    this.#flush.flushed();
  }

  /**
   * The worker is exiting: the results it holds, and those that left but have not reached the main thread, go on its
   * ledger (see the module's invariants); without a ledger, what it holds goes on `parentPort`.
   */
  sendLastWords(): void {
    const ledger = this.#ledger;
    if (ledger === undefined) {
      this.sendHeld();
      return;
    }
    this.#sent.push({ results: this.#held, transfer: this.#heldTransfers });
    ledger.lastWords(this.#sent);
    this.#sent = [];
    this.#held = [];
    this.#heldTransfers = undefined;
    this.#flush.flushed();
  }

  /** Keeps results that left until the main thread has them (for the last words); with keepFinished none is kept. */
  #keepSent(results: readonly unknown[], transfer: readonly unknown[] | undefined): void {
    const ledger = this.#ledger;
    if (ledger === undefined || ledger.keepsFinished || results.length === 0) return;
    this.#sent.push({ results, transfer });
  }

  /** Forgets the results that left whose every call the main thread has (their slots were released). */
  #forgetReceived(): void {
    const ledger = this.#ledger!;
    this.#sent = this.#sent.filter(({ results }) => {
      for (let i = 0; i + 2 < results.length; i += 3) if (ledger.unreceived(results[i] as number)) return true;
      return false;
    });
  }

  /**
   * Runs the calls of `batch` in order.
   * @param batch - the batch's calls, `batchStride` entries each (`wire.ts`).
   * @returns the batch's reply (`BatchResults` of what was still held at its end), or a Promise of it once a call
   *   was async.
   */
  run(batch: readonly unknown[]): unknown {
    if (this.#sent.length > 0) this.#forgetReceived();
    const flush = this.#flush;
    const n = batch.length / batchStride;
    let i = 0;
    let key = '';
    let started = 0;
    // Once a call was declined (this worker retires or is doomed) so is every later one: nothing leaves early from
    // then on, so the batch's reply carries all its declines (the main thread hands them back with it).
    let declining = false;
    const ended = (slot: number, ok: 0 | 1, value: unknown): void => {
      flush.learn(key, performance.now() - started);
      this.#hold(slot, ok, value);
    };
    const next = (): unknown => {
      while (i < n) {
        const at = batchStride * i++;
        const moduleUrl = batch[at] as string;
        const exportName = batch[at + 1] as string;
        const slot = batch[at + 3] as number;
        const limits = batch[at + 4] as BatchCallLimits | undefined;
        // The same string as long as the task stays the same (the flush's map then hashes it once, not per call).
        key = this.#lastKey.get(moduleUrl, exportName) ?? this.#lastKey.set(moduleUrl, exportName, `${moduleUrl}#${exportName}`);
        if (!declining && flush.before(key)) this.sendHeld();
        started = performance.now();
        let value: unknown;
        try {
          // One object shape for every call, limits or not (a spread made a shape per combination of fields: the
          // runner's property reads went megamorphic and a call with context cost several µs more in the worker).
          const request: TaskRequest = {
            moduleUrl,
            exportName,
            args: batch[at + 2] as unknown[],
            slot,
            deadline: limits?.deadline,
            startBy: limits?.startBy,
            context: limits?.context,
          };
          value = this.#runTask(request);
        } catch (outcome) {
          if (isTaskOutcome(outcome) && outcome.status === 'declined') declining = true;
          ended(slot, 0, outcome);
          continue;
        }
        if (isThenable(value)) {
          this.sendHeld(); // the worker waits: nothing held meanwhile
          return Promise.resolve(value).then(
            (v) => {
              ended(slot, 1, v);
              return next();
            },
            (outcome: unknown) => {
              // (A call whose module was still loading is declined here, asynchronously: see task-runner.ts.)
              if (isTaskOutcome(outcome) && outcome.status === 'declined') declining = true;
              ended(slot, 0, outcome);
              return next();
            },
          );
        }
        ended(slot, 1, value);
      }
      return this.#reply();
    };
    return next();
  }

  #hold(slot: number, ok: 0 | 1, value: unknown): void {
    const moved = ok === 1 ? openMovable(value) : undefined;
    const ledger = this.#ledger;
    if (ledger?.keepsFinished === true && (ok === 1 || !isTaskOutcome(value) || value.status !== 'declined')) {
      if (moved === undefined) ledger.record(slot, ok, value, undefined);
      else ledger.record(slot, ok, moved.value, moved.transfer);
      this.#flush.held(); // a flush still tells the main thread when to read it
      return;
    }
    if (moved !== undefined) {
      (this.#heldTransfers ??= []).push(...moved.transfer);
      value = moved.value;
    }
    this.#held.push(slot, ok, value);
    this.#flush.held();
  }

  /** What is held becomes the batch's reply (moving its buffers, if any). */
  #reply(): unknown {
    const reply: BatchResults = { tag: batchTag, results: this.#held };
    const transfers = this.#heldTransfers;
    this.#keepSent(reply.results, transfers);
    this.#held = [];
    this.#heldTransfers = undefined;
    this.#flush.flushed();
    return transfers === undefined ? reply : movable(reply, transfers);
  }
}
