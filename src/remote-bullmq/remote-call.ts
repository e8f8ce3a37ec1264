/**
 * `RemoteCall`: one call on the remote route, from dispatch to its Deferred's single result.
 *
 * Invariants:
 * - The Deferred fires exactly once: with the host's outcome (whether the engine's event or the reconcile poll
 *   brought it), `CancelledError` (at once, on cancel), `TimeoutError` (at once, when the call's limit passes on
 *   the reactor's clock: the task's `timeoutMs` or the caller's `withDeadline` scope, whichever ends first —
 *   SPEC §10; or when the host reports that limit first, its timer firing at the same wall time on a less busy
 *   process — either way counted as a timeout), `WorkerCrashedError` (its host died and no retry is left),
 *   `RemoteUnavailableError` (Redis lost its job: never re-run) or the backend's closing error.
 *   An outcome that arrives after that, or for an earlier attempt's job, is dropped silently.
 * - Cancel / timeout while the job is queued or running: the backend is told to abort the job (its host skips it
 *   if it has not started, or aborts the task's signal if it runs); the caller does not wait for that.
 * - Only a crash is retried (`retries`): a host that died mid-job (BullMQ's stalled job) or a host thread that
 *   died; never a thrown error, a cancellation, a timeout or a clone error, nor a job Redis lost (see `lost`), nor a
 *   job a foreign BullMQ worker threw on (see `failedOnHost`), nor a job whose host recorded that its task returned or threw before it died (the
 *   returned mark, read before each retry and before a crash's error: see `returned-mark.ts`). A retry is a new
 *   job; the timeout keeps counting from the first dispatch.
 * - The job carries the limit's absolute time (`Date.now()` scale) when the reactor runs on real time: a host never
 *   starts the task past it, stops it when it passes, and the task's `deadline()` reads it. Under a virtual clock
 *   (tests) only the caller's timer ends the call, as on the thread path.
 *
 * @module
 */
import { errorCode } from '../error-code.js';
import { Deferred } from '../deferred/deferred.js';
import { deadlineMessage, type CallDeadline } from '../context/call-deadline.js';
import { CancelledError, DataCloneError, TimeoutError, WorkerCrashedError } from '../errors.js';
import type { Task } from '../task/task.js';
import { reviveError, type SerializedError } from '../threads/error-transport.js';
import type { DelayedCall, Scheduler } from '../time/scheduler.js';
import type { RemoteCounters } from './remote-counters.js';
import { isValueRefusal } from './redis-value-limit.js';
import { lostJob } from './remote-call-errors.js';
import { decodeValue, hostDiedReasons, isRemoteOutcome, quoteStart, type RemoteJobData } from './remote-wire.js';
import { safeString } from '../safe-string.js';
import { describeDispatchSite } from '../dispatch-site.js';

/** What a call needs from its backend (a narrow view, so calls never reach back into the backend). */
export interface RemoteCallHost {
  readonly counters: RemoteCounters;
  /** Enqueues `data` as job `jobId` for `call`; an enqueue failure comes back through `call.fail`. */
  submit(call: RemoteCall, jobId: string, data: RemoteJobData): void;
  /** Tells the hosts to skip or abort job `jobId` (fire and forget); called before the call forgets the job. */
  abort(jobId: string): void;
  /** Stop tracking job `jobId`; `finished`: the job is over, so it may be removed from the queue. */
  forget(jobId: string, finished: boolean): void;
  /** A fresh job id. */
  newJobId(): string;
  /** Whether the host of job `jobId` recorded that its task returned or threw (never rejects; see returned-mark.ts). */
  taskReturned(jobId: string): Promise<boolean>;
}

/** Where a call is: its job is out, or its Deferred has fired. */
export type RemoteCallState = 'pending' | 'settled';

/** How an outcome reached the caller: an engine event, or the reconcile poll (with the job's end, `Date.now()` scale). */
export type OutcomeSource = 'event' | { readonly reconciledJobEndedAt: number };

/** One dispatch on the remote route. */
export class RemoteCall {
  /** Fires once with the task's outcome. */
  readonly deferred: Deferred<unknown>;
  readonly #host: RemoteCallHost;
  readonly #task: Task;
  readonly #data: RemoteJobData;
  readonly #site: { readonly stack?: string } | undefined;
  /** Whether the call has a limit (a `TimeoutError` from its host is then that limit, reached there first). */
  readonly #limited: boolean;
  #state: RemoteCallState = 'pending';
  #jobId = '';
  #attempts = 0;
  #timer: DelayedCall | undefined;
  /** The job whose returned mark is being read before a retry (a second report of its crash waits for that read). */
  #checking: string | undefined;

  /**
   * @param host - the backend.
   * @param task - the task.
   * @param encoded - its arguments and carried context (if any), already serialized (so a clone error never reaches
   *   here).
   * @param clock - the reactor's clock: the call's limit counts on it.
   * @param site - the dispatch site, appended to a remote error's stack.
   * @param limit - the call's limit (`callDeadline`: the task's `timeoutMs` and the caller's deadline scope), if any.
   */
  constructor(
    host: RemoteCallHost,
    task: Task,
    encoded: { readonly args: string; readonly context: string | undefined },
    clock: Scheduler,
    site: { readonly stack?: string } | undefined,
    limit: CallDeadline | undefined,
  ) {
    this.#host = host;
    this.#task = task;
    this.#site = site;
    this.#limited = limit !== undefined;
    this.#data = {
      m: task.moduleUrl,
      x: task.exportName,
      a: encoded.args,
      ...(limit?.onWallClock === true ? { d: limit.wallAt } : {}),
      ...(encoded.context === undefined ? {} : { c: encoded.context }),
    };
    this.deferred = new Deferred<unknown>(() => {
      if (this.#end()) {
        host.counters.cancelled++;
        this.deferred.errback(new CancelledError(`Task \`${task.name}\` was cancelled`));
      }
    });
    if (limit !== undefined) {
      this.#timer = clock.callLater(Math.max(0, limit.timeoutMs), () => {
        this.#timer = undefined;
        if (this.#end()) {
          host.counters.timedOut++;
          this.deferred.errback(new TimeoutError(deadlineMessage(task.name, limit)));
        }
      });
    }
  }

  /** The task's name (for messages). */
  get taskName(): string {
    return this.#task.name;
  }

  /** Where the call is. */
  get state(): RemoteCallState {
    return this.#state;
  }

  /** The id of the job of the current attempt. */
  get jobId(): string {
    return this.#jobId;
  }

  /** Sends the job (again, on a retry). */
  start(): void {
    this.#jobId = this.#host.newJobId();
    this.#host.submit(this, this.#jobId, this.#data);
  }

  /**
   * Settles the call with what job `jobId` returned: a host's outcome, or anything else a job can end with.
   *
   * Why it takes `unknown`: whatever completed the job — a greenreactor host, a host of another version, a BullMQ
   * worker of another service serving the same queue — its return value is this call's only answer. One that is
   * not a readable outcome errbacks `DataCloneError` (the result could not be read) instead of leaving the call
   * pending forever; nothing in it can make this throw.
   * @param jobId - the job the outcome belongs to (an earlier attempt's outcome is ignored).
   * @param outcome - what the job returned.
   * @param source - whether the engine's event or the reconcile poll brought it.
   */
  settle(jobId: string, outcome: unknown, source: OutcomeSource): void {
    if (this.#state !== 'pending' || jobId !== this.#jobId) return;
    const counters = this.#host.counters;
    if (source !== 'event') counters.reconciledLate(Date.now() - source.reconciledJobEndedAt);
    if (!isRemoteOutcome(outcome)) {
      this.#fail(this.#unreadable(jobId, `a result that is not a greenreactor host's outcome (${describeValue(outcome)})`));
      return;
    }
    if (outcome.s !== 'skipped' && Number.isFinite(outcome.w) && Number.isFinite(outcome.r)) counters.time(this.#task.name, outcome.w, outcome.r, this.#task.id);
    switch (outcome.s) {
      case 'ok': {
        let value: unknown;
        try {
          value = decodeValue(outcome.v);
        } catch (error) {
          this.#fail(new DataCloneError(`The result of task \`${this.#task.name}\` could not be deserialized`, { task: this.#task.name }, { cause: error }));
          return;
        }
        this.#finish();
        counters.completed++;
        this.deferred.callback(value);
        return;
      }
      case 'error': {
        let error: unknown;
        try {
          const serialized = decodeValue(outcome.e);
          if (!isSerializedError(serialized)) throw new TypeError(`not a serialized error (${describeValue(serialized)})`);
          error = reviveError(serialized, describeDispatchSite(this.#site, this.#task.name, 'remote'));
        } catch (cause) {
          this.#fail(this.#unreadable(jobId, 'an error that could not be deserialized', cause));
          return;
        }
        if (errorCode(error) === 'ERR_WORKER_CRASHED') {
          this.crashed(jobId, error as Error);
          return;
        }
        // The host stops the task at the same wall time as our timer: on a busy caller its TimeoutError can arrive
        // before the timer fires. It is this call's timeout all the same (counted as one, not as a failure).
        if (this.#limited && error instanceof TimeoutError) {
          this.#timedOut(error);
          return;
        }
        this.#fail(error);
        return;
      }
      case 'skipped':
      case 'aborted':
        // Answers a cancel or deadline the caller already acted on (kept so the Deferred can never hang), or a deadline
        // the host saw pass before the caller's timer fired (a timeout, as above).
        if (outcome.s === 'skipped' && outcome.why === 'deadline') {
          this.#timedOut(new TimeoutError(`Task \`${this.#task.name}\` reached its deadline before it started`));
          return;
        }
        this.#fail(new CancelledError(`Task \`${this.#task.name}\` was cancelled on its host`));
    }
  }

  /** The `DataCloneError` for a job that ended with `what`, which this call cannot read. */
  #unreadable(jobId: string, what: string, cause?: unknown): DataCloneError {
    return new DataCloneError(
      `Job ${jobId} of task \`${this.#task.name}\` ended with ${what}: is a worker other than a greenreactor host (or one of another ` +
        'version) serving its queue?',
      { task: this.#task.name },
      cause === undefined ? undefined : { cause },
    );
  }

  /**
   * Job `jobId` failed at BullMQ level with `reason`: its host died (a stalled job, see `hostDiedReasons`), or a
   * processor that is not a greenreactor host threw on it.
   *
   * Why not every failure is a crash: a greenreactor host never throws out of its processor, so any other reason is
   * what a foreign BullMQ worker serving the same queue (another service, an old deployment) threw. Read as a dead
   * host it would be re-run with `retries` (SPEC §11: never after a thrown error) and reported as a crash; it
   * errbacks `DataCloneError` (the job ended without an outcome this call can read), quoting the start of the
   * reason, however long. One reason is a greenreactor host's own: the server refused to save its outcome as over
   * its value limit (`isValueRefusal`), which errbacks `DataCloneError` saying so.
   * @param jobId - the job that failed.
   * @param reason - BullMQ's `failedReason`.
   */
  failedOnHost(jobId: string, reason: string): void {
    if (hostDiedReasons.has(reason)) {
      this.crashed(jobId, new Error(reason));
      return;
    }
    if (this.#state !== 'pending' || jobId !== this.#jobId) return;
    if (isValueRefusal(reason)) {
      // The host's save of the outcome was refused as over the server's value limit (see redis-value-limit.ts).
      this.#fail(
        new DataCloneError(
          `The outcome of task \`${this.#task.name}\` (job ${jobId}) could not be saved: the Redis server refused it as over the most it takes in ` +
            'one value (proto-max-bulk-len); the task ran once and is not re-run. Return less, or store it elsewhere and return a reference',
          { task: this.#task.name },
        ),
      );
      return;
    }
    this.#fail(this.#unreadable(jobId, `a failure its worker threw, not a greenreactor host's outcome: ${quoteStart(reason)}`));
  }

  /**
   * The job's host died mid-job (or its thread did): re-send it while retries are left and its host did not record
   * that the task returned (read asynchronously, retries or not: the call stays pending meanwhile, and a second
   * report of the same crash is ignored), else errback `WorkerCrashedError` — saying the task returned when the
   * record says so.
   * @param jobId - the job that crashed.
   * @param cause - what the engine or the host said.
   */
  crashed(jobId: string, cause: Error): void {
    if (this.#state !== 'pending' || jobId !== this.#jobId || this.#checking === jobId) return;
    // Read first, retries or not: a host that died (or whose save the server refused) after its task returned left
    // a job that stalls just the same. With retries, its call must not run twice (SPEC §4, §11); without, its error
    // says the task returned, not that its outcome is unknown.
    this.#checking = jobId;
    void this.#host.taskReturned(jobId).then((returned) => {
      this.#checking = undefined;
      if (this.#state !== 'pending' || jobId !== this.#jobId) return;
      const retries = this.#task.options.retries ?? 0;
      if (returned) {
        this.#crashedFinally(
          new WorkerCrashedError(
            `The remote host running task \`${this.#task.name}\` died after the task returned, before its result was saved (${cause.message}); ` +
              (retries === 0 ? 'not re-run (retries: 0)' : 'not re-run: retries never re-run a task that returned'),
            { task: this.#task.name },
            { cause },
          ),
        );
        return;
      }
      if (this.#attempts >= retries) {
        this.#crashedFinally(cause);
        return;
      }
      this.#attempts++;
      this.#host.counters.retried++;
      this.#host.forget(jobId, true);
      this.start();
    });
  }

  /**
   * Job `jobId` is gone from Redis (the reconcile poll found no trace of it): errbacks `RemoteUnavailableError`
   * saying so (see `lostJob`), never a re-run, whatever the task's `retries` — the job's record (whether its task
   * returned included) went with it, so a re-run could repeat a task that returned. Ignored for a call already
   * settled or for an earlier attempt's job; wins over a crash report whose returned-mark read is still in flight.
   * @param jobId - the job that vanished.
   * @param queueName - its queue (for the message).
   */
  lost(jobId: string, queueName: string): void {
    if (this.#state !== 'pending' || jobId !== this.#jobId) return;
    this.#fail(lostJob(this.#task.name, jobId, queueName));
  }

  /**
   * Errbacks `WorkerCrashedError` for a crash that is not retried.
   *
   * Its host died with no record that the task returned: the task may have run in part, in
   * full (its host dying before the mark, see returned-mark.ts), or not at all — the message says the outcome is
   * unknown rather than implying the task did not run (SPEC §11). A cause that is already a `WorkerCrashedError`
   * (the host's thread died, or the host recorded that the task returned) says what is known, and is kept.
   */
  #crashedFinally(cause: Error): void {
    this.#finish();
    this.#host.counters.crashed++;
    const retries = this.#task.options.retries ?? 0;
    this.deferred.errback(
      cause instanceof WorkerCrashedError
        ? cause
        : new WorkerCrashedError(
            `The remote host running task \`${this.#task.name}\` died (${cause.message}): its outcome is unknown, the task may have run in part or in full; ` +
              (retries === 0 ? 'not re-run (retries: 0)' : `not re-run: its ${retries} retries are spent`),
            { task: this.#task.name },
            { cause },
          ),
    );
  }

  /**
   * Ends the call with `error` if it is still pending (an enqueue failure, or the backend closing); tells the hosts
   * to abort its job.
   * @param error - the error to errback with.
   * @param abortJob - whether the job may still be out there (true unless it was never enqueued).
   */
  fail(error: unknown, abortJob = true): void {
    if (this.#state !== 'pending') return;
    if (abortJob) this.#end();
    else this.#finish(false);
    this.#host.counters.failed++;
    this.deferred.errback(error);
  }

  /** Settles with a task's own error (its job is over). */
  #fail(error: unknown): void {
    this.#finish();
    this.#host.counters.failed++;
    this.deferred.errback(error);
  }

  /** Ends the call with its limit's `TimeoutError`, reported by its host; counted as a timeout. */
  #timedOut(error: TimeoutError): void {
    this.#finish();
    this.#host.counters.timedOut++;
    this.deferred.errback(error);
  }

  /** Marks the call settled; `jobOver`: because its job is over (not abandoned). */
  #finish(jobOver = true): void {
    this.#state = 'settled';
    this.#clearTimer();
    this.#host.forget(this.#jobId, jobOver);
  }

  /** Marks the call settled before its job is over and tells the hosts to abort it; false when already settled. */
  #end(): boolean {
    if (this.#state !== 'pending') return false;
    // Told before it forgets the job: the backend reads whether the job's add resolved (see RemoteCallHost.abort).
    if (this.#jobId !== '') this.#host.abort(this.#jobId);
    this.#finish(false);
    return true;
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      this.#timer.cancel();
      this.#timer = undefined;
    }
  }

}

/** Whether `value` is what `serializeError` makes (as far as `reviveError` reads it). */
function isSerializedError(value: unknown): value is SerializedError {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<Record<keyof SerializedError, unknown>>;
  if (typeof s.isError !== 'boolean') return false;
  if (!s.isError) return true;
  const props = s.props === undefined || (typeof s.props === 'object' && s.props !== null);
  return typeof s.name === 'string' && typeof s.message === 'string' && props && (s.cause === undefined || isSerializedError(s.cause));
}

/** A short description of a value for a message (its type, and its text when short). */
function describeValue(value: unknown): string {
  const text = safeString(value);
  return `${value === null ? 'null' : typeof value}${text.length <= 60 ? ` ${text}` : ''}`;
}
