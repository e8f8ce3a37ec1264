/**
 * `ThreadTaskRun`: one dispatched task, from `run()` to its Deferred's single result — the cancellation ladder.
 *
 * Invariants:
 * - The Deferred fires exactly once: with the reply, a named dispatch fault, `CancelledError` (at once, on
 *   cancel), `TimeoutError` (at once, `timeoutMs` after dispatch) or the pool's closing error. Whatever arrives
 *   after that is dropped silently.
 * - The cancellation slot is released only when Piscina settled the task (a reply, or the worker's death): until
 *   then the worker may still read it.
 * - Cancel / timeout: a queued task is skipped by the worker; a running one sees `cancelled()` true, and if it is
 *   still running `cancelGraceMs` later (on the pool's clock) its worker is terminated and replaced.
 * - A run cancelled or timed out before a worker claimed its slot stops counting as waiting at once (`maxQueue`,
 *   `queueDepth`), although Piscina holds it until a worker reaches and skips it.
 * - A `transfer` function that throws ends the run before it takes a slot or enters Piscina: nothing to release.
 * - Only a crash is retried (`retries`); the timeout keeps counting from the first dispatch. A run whose worker
 *   died before it claimed the slot never started: it goes back in line (a few times at most), with no retry
 *   counted and no crash reported.
 * - The cancel grace terminates a worker only while the run still runs there (`CancelSlots.claimKill`): a run
 *   that ended meanwhile keeps its worker, whose next task would otherwise die with it.
 * - A run its worker declined (doomed or retiring: it never claimed the slot) goes back in line, uncounted.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { ownedDeferred, ownerOf, type Deferred } from '../deferred/deferred.js';
import { CancelledError, QueueFullError, TimeoutError, WorkerCrashedError, crashReported } from '../errors.js';
import type { Task, TaskIdentity } from '../task/task.js';
import type { DelayedCall } from '../time/scheduler.js';
import type { CancelSlots } from './cancel-slots.js';
import { classifyDispatchFault, isSendable, mayBeRefusal } from './dispatch-fault.js';
import { describeDispatchSite, type DispatchSite, type DispatchSites } from '../dispatch-site.js';
import { fitsInBatch } from './fits-in-batch.js';
import { copyLargeBuffers, type CopiedArguments } from './copy-large-buffers.js';
import { cloneReach, withCloneMark, type CloneReach } from './clone-mark.js';
import type { ActiveLinks } from './active-runs.js';
import { reviveError } from './error-transport.js';
import type { ResolvedThreadPoolOptions } from './thread-pool-options.js';
import type { ThreadPoolCounters } from './thread-pool-stats.js';
import { isTaskOutcome, type BatchCallLimits, type StreamRequest, type TaskRequest } from './wire.js';
import { deadlineMessage, type CallDeadline } from '../context/call-deadline.js';
import type { CarriedContext } from '../context/context-carrier.js';

const timeOrigin = performance.timeOrigin;

/** The order of the last run made (see {@link ThreadTaskRun.order}). */
let lastOrder = 0;

/**
 * How often a run goes back in line because its worker died before starting it. Bounded so that workers dying
 * as they start (a broken `--import`, too small `resourceLimits`) end the run with `WorkerCrashedError`.
 */
const maxRequeues = 3;

// The layout of `ThreadTaskRun.#bits`: its state (an index into `runStates`), four flags, its requeue count.
const runStates: readonly ThreadTaskRunState[] = ['pending', 'settled', 'abandoned'];
const stateMask = 0b11;
/** In the pool's own queue (coalescing), not yet sent. */
const waitingBit = 1 << 2;
/** Sent inside a coalesced batch (so not counted among Piscina's waiting tasks when abandoned). */
const batchedBit = 1 << 3;
/** Sent, and its outcome not seen yet. */
const inPiscinaBit = 1 << 4;
/** Abandoned before a worker claimed it: Piscina still holds it, but it no longer counts as waiting. */
const skippedBit = 1 << 5;
const requeueShift = 6;
const requeueMask = 0b111 << requeueShift; // up to 7 > maxRequeues
/** Abandoned while its task ran in a worker: the task may run on there (within the cancel grace) until Piscina settles. */
const runningOnBit = 1 << 9;

/**
 * Who waits for an abandoned run's worker to let go of it ({@link whenWorkerLetsGo}): few entries, made only after a
 * cancel or timeout, so runs carry no field for it.
 */
const lettingGo = new WeakMap<ThreadTaskRun, () => void>();
/**
 * Its message may have been refused by the clone (its coalesced batch's: `ThreadTaskRun.unsent`; or its own, which
 * cannot be told from a worker's uncaught error): it travels alone, with the clone mark, from then on.
 */
const soloBit = 1 << 10;

/** What a run needs from its pool (a narrow view, so runs never reach back into the facade). */
export interface ThreadTaskHost {
  readonly options: ResolvedThreadPoolOptions;
  readonly slots: CancelSlots;
  readonly counters: ThreadPoolCounters;
  /** The pool's dispatch sites, told when a task fails (its later calls then capture their own); none when off. */
  readonly sites?: DispatchSites | undefined;
  /**
   * Told each time a run crashed the worker it was running in (retried or not); false forbids the retry. Absent:
   * retries go as `retries` says.
   */
  readonly crashed?: ((task: TaskIdentity) => boolean) | undefined;
  /**
   * Posts the request to Piscina; its outcome goes to `receiver` (one reaction per message: the pool's own
   * bookkeeping and the receiver's in one).
   * @throws whatever Piscina throws synchronously (nothing was posted then).
   */
  post(request: TaskRequest, transferList: readonly unknown[] | undefined, receiver: PostedReceiver): void;
  /** Terminates the worker with this thread id (Piscina replaces it). */
  terminate(threadId: number): void;
  /**
   * Counts runs Piscina still holds for nothing (abandoned before a worker claimed them, so they will be skipped):
   * +1 when one is abandoned, -1 when Piscina lets it go. The pool leaves them out of `maxQueue` and `queueDepth`.
   */
  abandonedWaiting(change: 1 | -1): void;
  /** Called once the run is over for the pool (settled by Piscina and by its Deferred). */
  done(run: ThreadTaskRun): void;
  /** Sends the run again after its worker died (a retry, or it never started): the pool posts or queues it. */
  resubmit(run: ThreadTaskRun): void;
  /** The run, waiting in the pool's own queue (coalescing), was abandoned: it stops counting as waiting. */
  leftQueue(run: ThreadTaskRun): void;
  /** A worker declined a run (it is doomed or retiring): it must get no more tasks. Called before the resubmit. */
  declined(threadId: number): void;
}

/** Where the outcome of a posted message goes: a run's own message, or a coalesced batch. */
export interface PostedReceiver {
  /** The message's reply. */
  handleReply(value: unknown): void;
  /** Piscina's rejection (the task's own failure, its worker's death, a message that could not be cloned). */
  handleRejection(error: unknown): void;
  /**
   * Whether handling this reply hands runs back to the pool's queue (a batch's declined calls): the pool then lets
   * it do so before it sends the next share of the queue, which would otherwise overtake them. Absent: never.
   */
  handsBack?(value: unknown): boolean;
}

/** What a dispatch adds to its call besides the arguments: its limits and carried context (SPEC §10). */
export interface ThreadCallExtras {
  /** The call's limits (task `timeoutMs` and deadline scope); `undefined`: none. Already checked not to be past. */
  readonly limit?: CallDeadline | undefined;
  /** The caller's carried context, sent with the request. */
  readonly context?: CarriedContext | undefined;
  /** `reactor.stream`: where the task's items go (SPEC §9). A streamed run is never retried (its items were seen). */
  readonly stream?: StreamRequest | undefined;
  /** Never coalesced: the call travels in a message of its own (a policy rule's `coalesce: false`). */
  readonly alone?: boolean | undefined;
}

/**
 * A run's Deferred's canceller: one function shared by every run, which finds its run as the Deferred's owner
 * (`ownedDeferred`). A closure per run (its function and context, about 100 bytes) would live as long as the call is
 * in flight, and with thousands in flight every young-generation collection copies them.
 */
const cancelRun = (d: Deferred<unknown>): void => {
  (ownerOf(d) as ThreadTaskRun).onDeferredCancelled();
};

/** The run behind `d`, when `d` is a run's Deferred. */
function runOf(d: Deferred<unknown>): ThreadTaskRun | undefined {
  const owner = ownerOf(d);
  return owner instanceof ThreadTaskRun ? owner : undefined;
}

/**
 * Calls `fn` once when the worker still running the task behind a thread call's Deferred lets go of it: the task
 * ended there (its outcome reached the main thread, and is dropped), or the worker died (killed after the cancel
 * grace, or crashed).
 *
 * Why: a cancelled or timed-out call's Deferred fails at once, while its task, deaf to its signal, may run on in its
 * worker for `cancelGraceMs`. Whoever bounds what runs (a policy rule's `maxConcurrent`) must not count the call as
 * gone before its worker is free; the caller still gets its error at once.
 *
 * @param d - a Deferred; only a thread pool run's (`ThreadPool.run`, `runAlone`, `runStreamed`) can be waited on.
 * @param fn - called once, from the pool's bookkeeping (it must not throw).
 * @returns true when `d` fired (cancelled, timed out, the pool closing) while its task still ran in a worker: `fn`
 *   will be called. False otherwise (not a run's Deferred, not fired, or nothing of it runs in a worker): `fn` is not
 *   called.
 */
export function whenWorkerLetsGo(d: Deferred<unknown>, fn: () => void): boolean {
  const run = runOf(d);
  return run !== undefined && run.whenWorkerLetsGo(fn);
}

/**
 * Whether a worker ever started the task behind a thread call's Deferred (it may have ended since).
 *
 * Why: whoever stops a call must sometimes tell a task stopped mid-run (its outcome unknown) from one that never
 * started (a remote host gives that job back to its queue, unrun). Read it right after cancelling the Deferred: a
 * worker starts only a task whose cancel slot is clear, so a task not started by then never starts, and the answer
 * cannot change. Read-only; reading it later (once the run left its worker) says false.
 *
 * @param d - a Deferred; only a thread pool run's (`ThreadPool.run`, `runAlone`, `runStreamed`) can have started.
 * @returns true when a worker claimed the run's task; false otherwise (not a run's Deferred, still waiting, skipped).
 */
export function taskStarted(d: Deferred<unknown>): boolean {
  const run = runOf(d);
  return run !== undefined && run.startedInWorker;
}

/** Where a run is: waiting for Piscina, or its Deferred has fired (`'abandoned'`: fired before Piscina settled). */
export type ThreadTaskRunState = 'pending' | 'settled' | 'abandoned';

/** One dispatch of a task (or of a `callMultipleInThread` batch). */
export class ThreadTaskRun implements PostedReceiver, ActiveLinks<ThreadTaskRun> {
  /** Fires once with the task's outcome. */
  readonly deferred: Deferred<unknown>;
  /** The previous run in its pool's list of runs not over yet (`ActiveRuns`); only that list sets it. */
  activePrev: ThreadTaskRun | undefined = undefined;
  /** The next run in its pool's list of runs not over yet (`ActiveRuns`); only that list sets it. */
  activeNext: ThreadTaskRun | undefined = undefined;
  /** When it was dispatched, as a count: a run handed back goes in line before the runs made after it. */
  readonly order = ++lastOrder;
  /**
   * The run's state, flags and requeue count in one number ({@link stateMask}, {@link waitingBit}…): with a field
   * each (8 bytes apiece) a run was 40 bytes larger, and the thousands of runs a busy pool holds in flight are copied
   * by every young-generation collection they live through (a longer pause of the main thread).
   */
  #bits = 0; // 'pending', no flag set, no requeue
  readonly #host: ThreadTaskHost;
  readonly #task: Task;
  readonly #args: readonly unknown[];
  readonly #calls: TaskRequest['calls'];
  #site: DispatchSite | undefined;
  readonly #extras: ThreadCallExtras | undefined;
  readonly #dispatchedAt = timeOrigin + performance.now();
  #slot = -1;
  #attempts = 0;
  #timer: DelayedCall | undefined;
  #grace: DelayedCall | undefined;
  /**
   * The library ends its worker, not its task: the ladder terminated it at the end of the cancel grace, or the pool
   * is closing. A death of that worker from then on is not a crash of this task (see {@link ThreadTaskRun.handleRejection}).
   */
  #workerEndedByPool = false;

  #has(bit: number): boolean {
    return (this.#bits & bit) !== 0;
  }

  #flag(bit: number, on: boolean): void {
    this.#bits = on ? this.#bits | bit : this.#bits & ~bit;
  }

  get #state(): ThreadTaskRunState {
    return runStates[this.#bits & stateMask]!;
  }

  set #state(state: ThreadTaskRunState) {
    this.#bits = (this.#bits & ~stateMask) | runStates.indexOf(state);
  }

  /** Times it went back in line because the worker holding it died before it started (at most {@link maxRequeues}). */
  get #requeues(): number {
    return (this.#bits & requeueMask) >> requeueShift;
  }

  set #requeues(count: number) {
    this.#bits = (this.#bits & ~requeueMask) | (count << requeueShift);
  }

  /**
   * @param host - the pool.
   * @param task - the task (for a batch: its first task, for naming).
   * @param args - its arguments (for a batch: empty).
   * @param calls - a batch for `callMultipleInThread`.
   * @param site - the dispatch site (an object with a captured `stack`), if captured.
   * @param extras - the call's limits and carried context, if any.
   */
  constructor(
    host: ThreadTaskHost,
    task: Task,
    args: readonly unknown[],
    calls: TaskRequest['calls'],
    site: DispatchSite | undefined,
    extras?: ThreadCallExtras,
  ) {
    this.#host = host;
    this.#task = task;
    this.#args = args;
    this.#calls = calls;
    this.#site = site;
    this.#extras = extras;
    this.deferred = ownedDeferred(this, cancelRun);
    const limit = extras?.limit;
    if (limit !== undefined) {
      this.#timer = host.options.clock.callLater(limit.timeoutMs, () => {
        this.#timer = undefined;
        if (this.#abandon()) {
          host.counters.timedOut++;
          this.deferred.errback(new TimeoutError(deadlineMessage(task.name, limit)));
        }
      });
    }
  }

  /** Its Deferred was cancelled (`cancelRun`): errbacks it with `CancelledError` and starts the ladder. */
  onDeferredCancelled(): void {
    if (this.#abandon()) {
      this.#host.counters.cancelled++;
      this.deferred.errback(new CancelledError(`Task \`${this.#task.name}\` was cancelled`));
    }
  }

  /**
   * See {@link whenWorkerLetsGo}. @param fn - called once its worker let go of the abandoned run.
   * @returns whether `fn` will be called.
   */
  whenWorkerLetsGo(fn: () => void): boolean {
    if (!this.#has(runningOnBit)) return false;
    lettingGo.set(this, fn);
    return true;
  }

  /** Where the run is. */
  get state(): ThreadTaskRunState {
    return this.#state;
  }

  /**
   * Sets the dispatch site once the call was sent or queued (still within the caller's synchronous dispatch, so
   * the stack is the caller's): the capture then overlaps the worker's run instead of preceding the post. Nothing
   * reads the site before a reply can arrive (only a failure that came back from the worker prints it).
   * @param site - the captured site, or `undefined` when the pool captures none.
   */
  attachSite(site: DispatchSite | undefined): void {
    this.#site = site;
  }

  /** Its task (a `callMultipleInThread` run: the batch, whose id is its name): what its cost is kept under. */
  get task(): TaskIdentity {
    return this.#task;
  }

  /** Whether the run waits in the pool's own queue; the pool sets it when queueing and clears it when sending. */
  get waiting(): boolean {
    return this.#has(waitingBit);
  }

  set waiting(value: boolean) {
    this.#flag(waitingBit, value);
  }

  /** Whether its outcome is still to come from a worker (sent, and no reply or death seen yet). */
  get inPiscina(): boolean {
    return this.#has(inPiscinaBit);
  }

  /**
   * Whether its task ran to its end in its worker while its outcome has not reached the main thread: a coalesced
   * batch's worker holds it for the next flush, behind a batch-mate still running.
   */
  get endedInWorker(): boolean {
    return this.#has(inPiscinaBit) && this.#host.slots.runningThread(this.#slot) !== 0 && this.#host.slots.ended(this.#slot);
  }

  /** See {@link taskStarted}: a worker claimed its task (the ladder saw it running, or its slot names a thread). */
  get startedInWorker(): boolean {
    return this.#has(runningOnBit) || this.#host.slots.runningThread(this.#slot) !== 0;
  }

  /**
   * May travel in a coalesced batch: no `transfer` list, not a `callMultipleInThread` run, not a stream, not
   * sent alone on purpose (`runAlone`), small arguments. A call's own limits and carried context travel with it inside the batch.
   */
  batchable(maxArgBytes: number): boolean {
    return (
      this.#calls === undefined &&
      this.#extras?.stream === undefined &&
      this.#extras?.alone !== true &&
      !this.#has(soloBit) &&
      this.#task.options.transfer === undefined &&
      fitsInBatch(this.#args, maxArgBytes)
    );
  }

  /**
   * Takes a slot for a place in a batch and returns the call's entries of `TaskRequest.batch`; the batch's
   * results come back through {@link ThreadTaskRun.handleReply} / {@link ThreadTaskRun.handleRejection}.
   * @param into - the batch's flat call list, appended to.
   * @returns the slot, or -1 when none was free (the run then errbacked `QueueFullError` and is over).
   */
  enterBatch(into: unknown[]): number {
    this.#slot = this.#host.slots.acquire();
    if (this.#slot < 0) {
      this.#refuseSlot();
      return -1;
    }
    this.#flag(batchedBit, true);
    this.#flag(inPiscinaBit, true);
    into.push(this.#task.moduleUrl, this.#task.exportName, this.#args, this.#slot, this.#limits());
    return this.#slot;
  }

  /** The call's deadline, `startBy` and carried context as they travel (only the fields it has), or `undefined`. */
  #limits(): BatchCallLimits | undefined {
    const extras = this.#extras;
    if (extras === undefined) return undefined;
    const limit = extras.limit;
    const context = extras.context;
    if (limit === undefined) return context === undefined ? undefined : { context };
    const limits: BatchCallLimits = limit.onWallClock ? { deadline: limit.wallAt, startBy: limit.wallAt } : { deadline: limit.wallAt };
    return context === undefined ? limits : { ...limits, context };
  }

  #refuseSlot(): void {
    this.#refuse(
      new QueueFullError(`Task \`${this.#task.name}\` was refused: ${this.#host.slots.limit} tasks of this thread pool are in flight, the most it tracks`),
    );
  }

  /**
   * Copies the run's large buffer arguments now, as {@link ThreadTaskRun.start} would (the pool does it for the next
   * run in line while the workers are busy, and hands the copies to `start`).
   * @returns the copies, or `undefined` when `start` copies nothing for this run.
   */
  copyAhead(): CopiedArguments | undefined {
    if (this.#task.options.transfer !== undefined || this.#calls !== undefined || this.#args.length === 0) return undefined;
    return copyLargeBuffers(this.#args);
  }

  /**
   * Sends the task to Piscina (again, on a retry).
   * @param copiedAhead - its large buffers, copied by {@link ThreadTaskRun.copyAhead} since it was last sent.
   */
  start(copiedAhead?: CopiedArguments): void {
    const host = this.#host;
    const transfer = this.#task.options.transfer;
    let transferList: readonly unknown[] | undefined;
    if (transfer !== undefined) {
      // The user's function: a throw (or a non-array) ends this run before it holds a slot or enters Piscina.
      try {
        transferList = transfer(...this.#args);
      } catch (error) {
        this.#refuse(error);
        return;
      }
      if (!Array.isArray(transferList)) {
        this.#refuse(new TypeError(`Expected \`transfer\` of task \`${this.#task.name}\` to return an array, got ${typeof transferList}`));
        return;
      }
    }
    this.#slot = host.slots.acquire();
    if (this.#slot < 0) {
      this.#refuseSlot();
      return;
    }
    this.#flag(batchedBit, false);
    let args = this.#args;
    let copied = false;
    if (transfer === undefined && this.#calls === undefined && args.length > 0) {
      // Large buffers: copied here and moved, one copy instead of a clone's two (the caller's stay untouched, so a
      // run handed back copies them again). Not `moved`: nothing of the caller's went to the worker.
      const copies = copiedAhead ?? copyLargeBuffers(args);
      if (copies !== undefined) {
        args = copies.args;
        transferList = copies.transferList;
        copied = true;
      }
    }
    let request: TaskRequest =
      this.#calls === undefined
        ? { moduleUrl: this.#task.moduleUrl, exportName: this.#task.exportName, args, slot: this.#slot }
        : { moduleUrl: this.#task.moduleUrl, exportName: this.#task.exportName, args: [], slot: this.#slot, calls: this.#calls };
    const extras = this.#extras;
    if (extras !== undefined) {
      // Only fields that are set travel: a plain call's message stays as small as before.
      const limits = this.#limits();
      if (limits !== undefined) request = { ...request, ...limits };
      if (extras.stream !== undefined) request = { ...request, stream: extras.stream };
    }
    if (transfer !== undefined) request = { ...request, moved: true };
    else if (copied) request = { ...request, copied: true };
    let receiver: PostedReceiver = this;
    if (this.#has(soloBit) || transfer !== undefined) {
      // Its last message (its batch's, or its own) may have been refused by the clone, or its arguments move with it
      // (a refusal cannot be told by sending it again): whether this one is refused, and by which argument or carried
      // value, is known exactly (a getter that threw only in that clone may throw only in this one too, and clone fine
      // when its arguments are tried again; a refused message moved no buffer, a dead worker took them).
      const marked = withCloneMark({ ...request });
      request = marked;
      const reach = cloneReach(marked);
      receiver = {
        handleReply: (value) => this.handleReply(value),
        handleRejection: (error) => this.handleRejection(error, false, reach.ended, reach),
      };
    }
    this.#flag(inPiscinaBit, true);
    try {
      host.post(request, transferList, receiver);
    } catch (error) {
      receiver.handleRejection(error);
    }
  }

  /**
   * Tells the host that this run crashed its worker, marking `error` as told (see {@link crashReported}).
   * @returns whether a retry may go.
   */
  #reportCrash(error: Error): boolean {
    const crashed = this.#host.crashed;
    if (crashed === undefined) return true;
    Object.defineProperty(error, crashReported, { value: true });
    return crashed(this.#task);
  }

  /**
   * Its caller failed it (cancelled, timed out) while its task ran on deaf in its worker, and that worker died within
   * the cancel grace: unless the library ended the worker (the ladder, the pool closing), the task crashed it, and the
   * pool's owner is told, as for any crash (the crash budget counts worker crashes, SPEC §7: a caller's cancel does not
   * make the task's crash someone else's). Not a `crashed` outcome in the stats: its Deferred failed otherwise.
   */
  #crashedAfterAbandon(error: unknown): void {
    if (this.#workerEndedByPool) return;
    const fault = classifyDispatchFault(error, this.#task.name, this.#args, this.#host.options.maxQueue, this.#extras?.context, true);
    if (fault.kind === 'crashed') this.#reportCrash(fault.error);
  }

  /**
   * The error of a run whose task ended in its worker but whose outcome died with the worker (a coalesced batch
   * holds finished results until a later call of the batch is expected to take long: one that crashed the worker,
   * or hung past its cancel grace, took them with it).
   */
  #outcomeLost(crash: Error): WorkerCrashedError {
    const name = this.#task.name;
    const exitCode = (crash as WorkerCrashedError).exitCode;
    const error = new WorkerCrashedError(
      `Task \`${name}\` ran to its end in its worker, but the worker died before the outcome was sent back, so it is lost; ` +
        `the task is not run again. ${crash.message}`,
      { exitCode, task: name },
      { cause: crash },
    );
    // Not a crash of this task (it had ended): accounted for, so the crash budget does not count it against it.
    Object.defineProperty(error, crashReported, { value: true });
    return error;
  }

  /** Ends a run that never reached Piscina with `error`. */
  #refuse(error: unknown): void {
    if (this.#state === 'pending') {
      this.#state = 'settled';
      this.#clearTimer();
      this.#host.counters.failed++;
      this.deferred.errback(error);
    }
    this.#over();
  }

  /**
   * Ends the run with `error` if it is still pending (the pool is closing); its worker may be terminated after.
   * @param error - the error to errback with.
   */
  abort(error: Error): void {
    this.#workerEndedByPool = true;
    if (this.#abandon()) this.deferred.errback(error);
  }

  /** Marks the run abandoned and starts the ladder; false when its Deferred already fired. */
  #abandon(): boolean {
    if (this.#state !== 'pending') return false;
    this.#state = 'abandoned';
    this.#clearTimer();
    if (this.#has(waitingBit)) {
      // Never sent: nothing to stop, and it is over for the pool at once.
      this.#flag(waitingBit, false);
      this.#host.leftQueue(this);
      this.#over();
      return true;
    }
    const threadId = this.#host.slots.cancel(this.#slot);
    if (threadId === 0 && this.#has(inPiscinaBit) && this.#slot >= 0 && !this.#has(batchedBit)) {
      // Not claimed by a worker, so it never will be (the claim needs a clear slot): it stops counting as waiting now.
      this.#flag(skippedBit, true);
      this.#host.abandonedWaiting(1);
    }
    // -1: it already ended in its worker, nothing to stop.
    if (threadId > 0 && this.#has(inPiscinaBit)) {
      this.#flag(runningOnBit, true);
      const slot = this.#slot;
      const check = (): void => {
        this.#grace = undefined;
        // Only a task still running wins the claim; one that ended meanwhile (its reply perhaps already on the way,
        // its worker about to be handed the next task) keeps its worker.
        if (this.#has(inPiscinaBit) && this.#slot === slot && this.#host.slots.claimKill(slot, threadId)) {
          this.#workerEndedByPool = true;
          this.#host.terminate(threadId);
        }
      };
      const graceMs = this.#host.options.cancelGraceMs;
      if (graceMs === 0) check();
      else this.#grace = this.#host.options.clock.callLater(graceMs, check);
    }
    return true;
  }

  /**
   * The run is over for the pool. It lets go of its dispatch site: a site keeps the frames it was captured in
   * unformatted, receivers included, so the site of a call sent from a Deferred callback holds the run (and the batch)
   * whose result fired that callback — and through that run's own site the one before it, a chain as long as the
   * calls ever sent that way. Only an error coming back reads the site, and none comes back once the run is over.
   */
  #over(): void {
    this.#site = undefined;
    this.#host.done(this);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      this.#timer.cancel();
      this.#timer = undefined;
    }
  }

  /** Piscina settled: record the run's timing, free the slot and the grace timer. */
  #leavePiscina(timed: boolean): void {
    const slots = this.#host.slots;
    if (timed && this.#state === 'pending') {
      const startedAt = slots.startedAt(this.#slot);
      if (!Number.isNaN(startedAt)) this.#host.counters.time(this.#task.name, startedAt - this.#dispatchedAt, slots.runMs(this.#slot), this.#task.id);
    }
    this.#flag(inPiscinaBit, false);
    if (this.#has(skippedBit)) {
      this.#flag(skippedBit, false);
      this.#host.abandonedWaiting(-1);
    }
    slots.release(this.#slot);
    this.#slot = -1;
    if (this.#grace !== undefined) {
      this.#grace.cancel();
      this.#grace = undefined;
    }
    if (this.#has(runningOnBit)) {
      this.#flag(runningOnBit, false);
      const fn = lettingGo.get(this);
      if (fn !== undefined) {
        lettingGo.delete(this);
        fn();
      }
    }
  }

  /** Whether its arguments and carried context can be cloned (tried: asked only once its batch was refused). */
  get sendable(): boolean {
    return isSendable(this.#args, this.#extras?.context);
  }

  /**
   * Its batch's message was refused by the clone (another call of it could not be cloned, or one whose arguments
   * clone now as they did not then: a getter that throws only in the clone): nothing reached a worker, so it goes back
   * in line — not a retry, not a requeue counted — to travel alone from then on, where a refusal is its own.
   */
  unsent(): void {
    this.#flag(soloBit, true);
    this.#leavePiscina(false);
    if (this.#state === 'pending') {
      this.#host.resubmit(this);
      return;
    }
    this.#over();
  }

  /**
   * Its worker did not claim it (doomed, or retiring past a recycle limit): it never ran, so it goes back in line —
   * not a retry, not counted against the requeue bound. Only a run whose arguments moved with it cannot (they are
   * in the worker that declined it, which is a doomed one: a retiring worker still runs such a run).
   */
  #declined(threadId: number): void {
    this.#leavePiscina(false);
    this.#host.declined(threadId);
    if (this.#state === 'pending') {
      if (this.#task.options.transfer === undefined) {
        this.#host.resubmit(this);
        return;
      }
      this.#state = 'settled';
      this.#clearTimer();
      this.#host.counters.crashed++;
      this.deferred.errback(
        new WorkerCrashedError(`Task \`${this.#task.name}\` did not run: the worker holding its transferred arguments was being terminated`),
      );
    }
    this.#over();
  }

  /**
   * The task's value came back (Piscina's reply, or its place in a batch's results).
   * @param value - the value.
   */
  handleReply(value: unknown): void {
    this.#leavePiscina(true);
    if (this.#state === 'pending') {
      this.#state = 'settled';
      this.#clearTimer();
      this.#host.counters.completed++;
      this.deferred.callback(value);
    }
    this.#over();
  }

  /**
   * The task did not succeed: its own failure or skip (a `TaskOutcome`), or Piscina's rejection (its worker died,
   * the message could not be cloned, the pool closed).
   * @param error - what came back.
   * @param mateStarted - its batch's worker died while running another call of the batch: if this run never
   *   started, going back in line is not counted against its bound (only a worker dying before anything started,
   *   as one failing at boot does, is).
   * @param posted - whether its message was cloned and posted, when its clone mark tells (a batch's, or its own once
   *   sent alone after its batch was refused, or one with a `transfer` list: `clone-mark.ts`); see `classifyDispatchFault`.
   * @param reach - where its marked message's clone stopped, to name the argument or carrier at fault.
   */
  handleRejection(error: unknown, mateStarted = false, posted?: boolean, reach?: CloneReach): void {
    const outcome = isTaskOutcome(error) ? error : undefined;
    if (outcome?.status === 'declined') {
      this.#declined(outcome.threadId);
      return;
    }
    // Read before the slot is released: a worker that dies before claiming the slot never started the task; one that
    // dies after the task ended took its outcome with it (a batch's finished result not sent yet).
    const started = this.#host.slots.runningThread(this.#slot) !== 0;
    const ended = started && this.#host.slots.ended(this.#slot);
    if (this.#state === 'abandoned' && outcome === undefined && started && !ended && this.#has(runningOnBit)) this.#crashedAfterAbandon(error);
    this.#leavePiscina(outcome !== undefined);
    if (this.#state === 'pending') {
      if (outcome !== undefined) {
        this.#state = 'settled';
        this.#clearTimer();
        if (outcome.status === 'failed') {
          this.#host.counters.failed++;
          this.#host.sites?.failed(this.#task);
          this.deferred.errback(reviveError(outcome.error, describeDispatchSite(this.#site, this.#task.name)));
        } else if (outcome.status === 'expired') {
          this.#host.counters.timedOut++;
          this.deferred.errback(new TimeoutError(`Task \`${this.#task.name}\` was not started: its deadline passed while it waited for a worker`));
        } else {
          // 'skipped' only answers a cancelled slot; kept so the Deferred can never hang.
          this.deferred.errback(new CancelledError(`Task \`${this.#task.name}\` was cancelled before it started`));
        }
      } else {
        // A run that claimed its slot was posted (its arguments may have turned uncloneable since: still a crash).
        const sent = started ? true : posted;
        const fault = classifyDispatchFault(error, this.#task.name, this.#args, this.#host.options.maxQueue, this.#extras?.context, sent, reach);
        if (fault.kind === 'crashed' && !started && (mateStarted || this.#requeues < maxRequeues) && this.#task.options.transfer === undefined) {
          // It was only waiting in a worker that died (another task's crash, or a kill after the cancel grace):
          // it never ran, so it goes back in line — not a retry, not a crash of its own. (Not with a `transfer` list:
          // its buffers went to the dead worker.)
          if (!mateStarted) this.#requeues++;
          // Or its own message was refused: a getter that throws only in the clone rejects the call with its own error,
          // as a worker's uncaught error would, and the arguments clone fine when tried again. Sent again with the clone
          // mark, its next refusal is known for what it is (the common path stays unmarked).
          if (sent === undefined && !mateStarted && mayBeRefusal(error)) this.#flag(soloBit, true);
          this.#host.resubmit(this);
          return;
        }
        if (fault.kind === 'crashed' && ended) {
          // It returned (or threw) in its worker, whose death lost the outcome: never run again (SPEC §4, `retries`
          // never re-runs a task that returned), and said so.
          this.#state = 'settled';
          this.#clearTimer();
          this.#host.counters.crashed++;
          this.deferred.errback(this.#outcomeLost(fault.error));
          this.#over();
          return;
        }
        // It was running when its worker died: a crash of its own, told to the pool's owner (the crash budget counts
        // every one, retried or not, and may forbid the retry).
        const mayRetry = fault.kind !== 'crashed' || !started || this.#reportCrash(fault.error);
        if (fault.kind === 'crashed' && mayRetry && this.#attempts < (this.#task.options.retries ?? 0) && this.#extras?.stream === undefined) {
          this.#attempts++;
          this.#host.counters.retried++;
          this.#host.resubmit(this);
          return;
        }
        this.#state = 'settled';
        this.#clearTimer();
        if (fault.kind === 'crashed') this.#host.counters.crashed++;
        else this.#host.counters.failed++;
        this.deferred.errback(fault.error);
      }
    }
    this.#over();
  }
}
