/**
 * `bullmqBackend`: the caller's side of the remote route — tasks as BullMQ jobs, results back as Deferreds.
 *
 * Invariants:
 * - Nothing connects until the first call: a reactor given a backend it never uses opens no handle.
 * - Each call's Deferred fires exactly once (see {@link RemoteCall}). A job's outcome comes from BullMQ's event
 *   stream when it can, and otherwise from the reconcile poll, which asks Redis every `reconcileMs` which pending
 *   jobs finished (one script call, see `readJobStates`) and reads only those: BullMQ's events can be lost
 *   (taskforcesh/bullmq#2517; the stream is also trimmed), so events are only the fast path, never the only one.
 * - A finished job is removed by the caller once its outcome was read (BullMQ keeps it an hour otherwise, for a
 *   caller that died), so nothing piles up in Redis; so is a job whose call ended first (cancelled, timed out), when
 *   its completion (or failure) event comes, and a call that ended before its job was sent never sends it.
 * - A cancel key lives only while a host could still take its job, and has one owner at a time (see `cancelKey` in
 *   remote-wire.ts): this caller deletes it for a job no host ended — never sent, removed by the abort itself (or
 *   right after an add that was in flight), or vanished; the host that ended the job deletes it once that end is
 *   saved (`JobProcessor.ended`). A job whose end this caller learns (its event, the reconcile poll) ended on a host,
 *   so the caller removes the job and leaves the key to that host.
 * - A call that ended while its job may run on (cancelled, timed out, stopped) leaves its job in `AbandonedJobs`
 *   until the job's end is known (its removal, its event, the reconcile poll, or this backend's close), which is when
 *   `whenJobEnds` calls back: a rule's bulkhead keeps the call's place until then.
 * - Redis out of reach never hangs a call: when it has not answered for `unreachableMs` (at the first connection,
 *   after a lost one, or on a connection that stays open but gets no answer: a paused server, a half-open TCP
 *   connection), every pending call errbacks `RemoteUnavailableError`, and so does every new call until Redis
 *   is back (see `RedisReachability`, which probes with PING while calls wait). A call whose outage was shorter goes on as if nothing happened (the reconcile
 *   poll reads its job once the connection is back; a job the server lost errbacks `RemoteUnavailableError`, never re-run:
 *   see `lostJob`).
 * - `close()` resolves only after every connection was closed (no open handle), and never rejects, whether Redis is
 *   up, down, silent, or was never reached (a silent server costs it `unreachableMs`, then ioredis's
 *   `disconnectTimeout`, 2 s by default, to destroy the sockets the server never closes).
 *
 * Parts (one concept each): the connections (`bullmq-engine.ts`), the reconcile poll (`reconcile-poll.ts`), the
 * abandoned jobs (`abandoned-jobs.ts`), the
 * errors of calls that never reach a host (`remote-call-errors.ts`), the options (`bullmq-backend-options.ts`), and
 * one call's life (`remote-call.ts`). The backend owns the calls; each part reads them through a narrow interface.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { callDeadline } from '../context/call-deadline.js';
import { Deferred } from '../deferred/deferred.js';
import { GreenReactorError, ReactorStoppedError, RemoteUnavailableError } from '../errors.js';
import type { RemoteBackend, RemoteCallContext, RemoteStats } from '../reactor/remote-backend.js';
import { isTask, type Task } from '../task/task.js';
import { thrownMessage } from '../task/thrown-message.js';
import { realTimeScheduler } from '../time/real-time-scheduler.js';
import { defaultBullmqBackendOptions, type BullmqBackendOptions } from './bullmq-backend-options.js';
import { AbandonedJobs } from './abandoned-jobs.js';
import { closeEngine, openEngine, type Engine } from './bullmq-engine.js';
import { LargeWriteLost } from './large-write-connection.js';
import { ReconcilePoll } from './reconcile-poll.js';
import { RemoteCall, type RemoteCallHost } from './remote-call.js';
import { carrierCloneError, cloneError, tooLarge } from './remote-call-errors.js';
import { RemoteCounters } from './remote-counters.js';
import { resolveConnection } from './redis-connection-options.js';
import { readErrorSink } from '../error-sink.js';
import { keyPrefix, positiveOption, queueName } from './remote-options.js';
import { fitsValueLimit, isValueRefusal, minimumValueLimit, valueOverLimit } from './redis-value-limit.js';
import { taskReturned } from './returned-mark.js';
import { cancelChannel, cancelKey, cancelKeyTtlMs, encodeValue, finishedJobAgeS, type RemoteJobData } from './remote-wire.js';

/**
 * Makes a remote backend on BullMQ: `new Reactor({ remote: bullmqBackend({ connection, queue }) })`.
 *
 * Why BullMQ: it is the job queue Node users already run in production on Redis, with locks, stalled-job recovery
 * and a persistent queue; greenreactor adds the Deferred contract on top (cancellation that reaches a running
 * task, timeouts BullMQ lacks, error classes and stacks, exactly-once delivery despite lost events).
 *
 * @param options - the Redis connection, the queue, the reconcile period.
 * @returns the backend (it connects on its first call).
 * @throws TypeError for invalid options (a configuration bug, reported at once).
 * @example
 * ```ts
 * import { Reactor } from 'greenreactor';
 * import { bullmqBackend } from 'greenreactor/remote-bullmq';
 *
 * const reactor = new Reactor({ remote: bullmqBackend({ connection: { host: 'localhost', port: 6379 }, queue: 'tasks' }) });
 * const n = await reactor.deferToRemote(fib, 30);
 * ```
 */
export function bullmqBackend(options: BullmqBackendOptions): RemoteBackend {
  return new BullmqBackend(options);
}

/** The backend {@link bullmqBackend} makes. */
class BullmqBackend implements RemoteBackend, RemoteCallHost {
  readonly engine = 'bullmq';
  readonly counters = new RemoteCounters();
  readonly #connection: Record<string, unknown>;
  readonly #queueName: string;
  readonly #prefix: string;
  readonly #unreachableMs: number;
  readonly #dropEvents: boolean;
  readonly #onError: (error: unknown) => void;
  readonly #idPrefix = `gr-${randomUUID().slice(0, 8)}-`;
  #seq = 0;
  /** Calls whose job is out, by job id. */
  readonly #pending = new Map<string, RemoteCall>();
  /** Job ids whose `add` has resolved (only those can be reconciled). */
  readonly #enqueued = new Set<string>();
  /** Jobs whose call ended while they may run on (see whenJobEnds). */
  readonly #abandoned = new AbandonedJobs((error) => this.#onError(error));
  /** Redis commands in flight that close() must wait for (aborts, removals). */
  readonly #chores = new Set<Promise<unknown>>();
  #engine: Engine | undefined;
  /** A connection error was already reported in this outage (ioredis reports one per reconnect attempt). */
  #outageReported = false;
  readonly #reconcile: ReconcilePoll;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  constructor(options: BullmqBackendOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected bullmqBackend options ({ connection, queue }), got \`${String(options)}\``);
    }
    // Each option is read once, here (see remote-options.ts).
    const { connection, queue, reconcileMs, unreachableMs, prefix, onError, faults } = options;
    this.#connection = resolveConnection(connection);
    this.#queueName = queueName(queue);
    const periodMs = positiveOption('reconcileMs', reconcileMs, defaultBullmqBackendOptions.reconcileMs, false);
    this.#unreachableMs = positiveOption('unreachableMs', unreachableMs, defaultBullmqBackendOptions.unreachableMs, false);
    this.#prefix = keyPrefix(prefix ?? defaultBullmqBackendOptions.prefix);
    this.#onError = readErrorSink(onError, 'greenreactor remote (bullmq)');
    if (faults !== undefined && (typeof faults !== 'object' || faults === null)) {
      throw new TypeError(`Expected \`faults\` to be an object ({ dropEvents }), got \`${String(faults)}\` (${typeof faults})`);
    }
    this.#dropEvents = faults?.dropEvents === true;
    this.#reconcile = new ReconcilePoll(periodMs, {
      queueName: this.#queueName,
      engine: () => this.#engine,
      enqueued: () => this.#enqueued,
      abandoned: () => this.#abandoned.addedIds(),
      abandonedEnded: (jobId, finished) => {
        // Finished: on a host, which deletes its cancel key (see remote-wire.ts); vanished: no host will.
        if (finished) this.#removeJob(jobId);
        else this.#chore(this.#deleteCancelKey(jobId));
        this.#abandoned.over(jobId);
      },
      callOf: (jobId) => this.#pending.get(jobId),
      chore: (p) => this.#chore(p),
      closing: () => this.#closing !== undefined,
    });
  }

  call(task: Task, args: readonly unknown[], context: RemoteCallContext): Deferred<unknown> {
    if (!isTask(task)) return failed(new TypeError(`deferToRemote needs a Task (defineTask/taskFrom), got ${typeof task}`));
    this.counters.calls++;
    if (this.#closing !== undefined) {
      this.counters.failed++;
      return failed(new ReactorStoppedError(`Task \`${task.name}\` was refused: the remote backend is closing`));
    }
    if (this.#engine?.reach.unreachable === true) {
      this.counters.failed++;
      return failed(this.#engine.reach.error());
    }
    let encoded: string;
    try {
      encoded = encodeValue(args);
    } catch (error) {
      this.counters.failed++;
      return failed(cloneError(task.name, args, error));
    }
    let encodedContext: string | undefined;
    if (context.carried !== undefined) {
      try {
        encodedContext = encodeValue(context.carried);
      } catch (error) {
        this.counters.failed++;
        return failed(carrierCloneError(task.name, context.carried, error));
      }
    }
    const limit = context.deadline ?? callDeadline(task.options.timeoutMs, context.clock);
    const call = new RemoteCall(this, task, { args: encoded, context: encodedContext }, context.clock, context.site, limit);
    call.start();
    return call.deferred;
  }

  stats(): RemoteStats {
    return this.counters.remoteSnapshot(this.engine, this.#pending.size);
  }

  close(graceMs: number): Promise<void> {
    // Started a microtask later, so that `#closing` is set for all of #close (its reachability probe reads it).
    this.#closing ??= Promise.resolve().then(() => this.#close(graceMs));
    return this.#closing;
  }

  // --- RemoteCallHost ---

  newJobId(): string {
    return `${this.#idPrefix}${++this.#seq}`;
  }

  submit(call: RemoteCall, jobId: string, data: RemoteJobData): void {
    this.#pending.set(jobId, call);
    const { queue, queueClient, ready, reach, large } = this.#start();
    reach.probe();
    const size = data.a.length + (data.c?.length ?? 0);
    ready.then(
      // A call that ended while the backend connected (cancelled, timed out, stopped) is never sent at all.
      async () => {
        if (this.#pending.get(jobId) !== call) return undefined;
        // The server's limit now (it may have changed since the backend connected): see redis-value-limit.ts.
        const limit = await valueOverLimit(size, queueClient);
        if (limit !== undefined) throw tooLarge(call.taskName, size, limit);
        if (this.#pending.get(jobId) !== call) return undefined;
        const options = { jobId, attempts: 1, removeOnComplete: { age: finishedJobAgeS }, removeOnFail: { age: finishedJobAgeS } };
        // Only a job over 1 MiB can be refused for its size: it never goes on the queue's client, which re-sends a
        // write its connection lost, again and again when the server refuses it (see large-job-sender.ts).
        return fitsValueLimit(size, minimumValueLimit) ? queue.add(data.x, data, options) : large.add(data.x, data, options);
      },
    ).then(
      (job) => {
        if (this.#pending.get(jobId) === call) {
          this.#enqueued.add(jobId);
          this.#reconcile.arm();
        } else if (job !== undefined) {
          // It ended while its add was in flight: its abort's removal may have come first and found nothing.
          this.#abandoned.added(jobId);
          this.#removeJob(jobId, true);
          this.#reconcile.arm();
        } else {
          // It ended before its add was sent: the job never exists, and the cancel key its abort set (on the same
          // client, so before this) has nothing to stop.
          this.#chore(this.#deleteCancelKey(jobId));
          this.#abandoned.over(jobId);
        }
      },
      (error: unknown) => {
        // call.fail() forgets the job, which signals a drain once nothing is pending. Once closing, the connection
        // failed because the backend gave up reconnecting: the call ended because the reactor stopped.
        // A large job whose connection was lost each time may have been taken by the server once: abort it.
        if (error instanceof LargeWriteLost && this.#closing === undefined) this.#chore(this.#lostLargeAdd(call, size, error));
        else call.fail(this.#enqueueError(call, size, error), error instanceof LargeWriteLost);
        // An ended call's add failed: its job never existed (a large one the server may have taken is removed).
        this.#abandoned.over(jobId);
      },
    );
  }

  /**
   * The error a call whose `add` failed ends with: its arguments' `DataCloneError` when the server refused them as
   * too large, a stop while closing, Redis out of reach otherwise.
   */
  #enqueueError(call: RemoteCall, size: number, error: unknown): unknown {
    if (error instanceof Error && isValueRefusal(error.message)) return tooLarge(call.taskName, size, undefined, error);
    if (error instanceof LargeWriteLost) return tooLarge(call.taskName, size, undefined, error, error.sent);
    if (this.#closing !== undefined) {
      return new ReactorStoppedError(`The reactor stopped before task \`${call.taskName}\` was enqueued`, { cause: error });
    }
    if (error instanceof GreenReactorError) return error;
    return new RemoteUnavailableError(`Task \`${call.taskName}\` could not be enqueued: ${thrownMessage(error)}`, { cause: error });
  }

  /**
   * Ends a call whose large add lost its connection at each send (see large-job-sender.ts): that is how the server
   * refuses a value over its limit, and also what a restart (or a network failure) during the add looks like. The
   * server is asked whether it takes a value that large; a restart read as a refusal sent the user to shrink arguments
   * the server takes. The call stays pending while it asks (an outage meanwhile ends it by the reachability watch).
   */
  async #lostLargeAdd(call: RemoteCall, size: number, lost: LargeWriteLost): Promise<void> {
    const engine = this.#engine;
    const takes = engine !== undefined && (await engine.large.takes(size));
    call.fail(
      takes
        ? new RemoteUnavailableError(
            `Task \`${call.taskName}\` could not be enqueued: the connection to Redis was lost each of the ${lost.sent} times its job ` +
              `(${size} bytes serialized) was sent, and the server takes values that large, so it was no refusal: Redis restarted, or the ` +
              'network failed, during the write',
            { cause: lost },
          )
        : this.#enqueueError(call, size, lost),
      true,
    );
  }

  abort(jobId: string): void {
    const engine = this.#engine;
    if (engine === undefined) return;
    const { queue, redis } = engine;
    const enqueued = this.#enqueued.has(jobId);
    const call = this.#pending.get(jobId);
    // Told before the call's Deferred fails: the reactor then asks whenJobEnds.
    if (call !== undefined) this.#abandoned.abandon(jobId, call.deferred, enqueued);
    this.#chore(
      (async () => {
        await redis.set(cancelKey(this.#prefix, this.#queueName, jobId), '1', 'PX', cancelKeyTtlMs);
        await redis.publish(cancelChannel(this.#prefix, this.#queueName), jobId);
        // Removes a job still waiting; a job a host holds (locked) stays, and that host aborts it. A job known to
        // exist (its add resolved) that is gone now can never be taken: its cancel key has done its work. (BullMQ's
        // removal also answers 1 for a job that does not exist yet, its add in flight: that key stays, see submit.)
        if ((await queue.remove(jobId).catch(() => 0)) === 1 && enqueued) {
          await this.#deleteCancelKey(jobId);
          this.#abandoned.over(jobId);
        }
      })(),
    );
  }

  forget(jobId: string, finished: boolean): void {
    this.#pending.delete(jobId);
    if (this.#enqueued.delete(jobId) && finished) this.#removeJob(jobId);
    if (this.#pending.size === 0) this.#drained?.();
  }

  whenJobEnds(d: Deferred<unknown>, ended: () => void): boolean {
    return this.#abandoned.whenEnds(d, ended);
  }

  taskReturned(jobId: string): Promise<boolean> {
    const engine = this.#engine;
    return engine === undefined ? Promise.resolve(false) : taskReturned(engine.queueClient, engine.queue.toKey(jobId));
  }

  /**
   * Removes job `jobId` from the queue (a job a host holds stays; a failed removal leaves it to BullMQ's age-based
   * cleanup).
   * @param jobId - the job.
   * @param abandoned - its call ended before the job did (its abort set a cancel key) and no host ended the job (its add
   *   was in flight at the abort): once the job is removed, no host can take it, so the key goes too (it would otherwise
   *   stay until its TTL, one key per dropped call).
   */
  #removeJob(jobId: string, abandoned = false): void {
    const engine = this.#engine;
    if (engine === undefined) return;
    this.#chore(
      engine.queue.remove(jobId).then(
        async (removed) => {
          if (!abandoned || removed !== 1) return;
          await this.#deleteCancelKey(jobId);
          this.#abandoned.over(jobId); // removed: it never runs, or had ended
        },
        () => undefined,
      ),
    );
  }

  /** Deletes job `jobId`'s cancel key (never rejects: a key left behind expires after `cancelKeyTtlMs`). */
  async #deleteCancelKey(jobId: string): Promise<void> {
    await this.#engine?.redis.del(cancelKey(this.#prefix, this.#queueName, jobId)).catch(() => 0);
  }

  // --- engine ---

  /** Connects on first use: the queue, its event stream and the cancel connection, and watches them. */
  #start(): Engine {
    this.#engine ??= openEngine(
      { connection: this.#connection, queueName: this.#queueName, prefix: this.#prefix, unreachableMs: this.#unreachableMs },
      {
        report: this.#report,
        completed: (jobId, returnvalue) => this.#onCompleted(jobId, returnvalue),
        failed: (jobId, failedReason) => this.#onFailed(jobId, failedReason),
        unreachable: (error) => {
          for (const call of [...this.#pending.values()]) call.fail(error);
        },
        reachable: () => {
          this.#outageReported = false;
        },
        busy: () => this.#pending.size > 0 || this.#closing !== undefined,
        closing: () => this.#closing !== undefined,
      },
    );
    return this.#engine;
  }

  /** Reports an error no Deferred can carry; a connection error once per outage, nothing once closing. */
  readonly #report = (error: unknown): void => {
    if (this.#closing !== undefined) return;
    if (this.#engine?.reach.up === false) {
      if (this.#outageReported) return;
      this.#outageReported = true;
    }
    this.#onError(error);
  };

  #onCompleted(jobId: string, returnvalue: unknown): void {
    if (this.#dropEvents) return;
    const call = this.#pending.get(jobId);
    if (call === undefined) {
      this.#removeAbandoned(jobId);
      return;
    }
    const outcome = typeof returnvalue === 'string' ? parseJson(returnvalue) : returnvalue;
    call.settle(jobId, outcome, 'event');
  }

  #onFailed(jobId: string, failedReason: string): void {
    if (this.#dropEvents) return;
    const call = this.#pending.get(jobId);
    if (call === undefined) this.#removeAbandoned(jobId);
    else call.failedOnHost(jobId, String(failedReason));
  }

  /**
   * Job `jobId` ended after its call did, if it is one of ours (cancelled, timed out, stopped): nobody will read it.
   * It ended on a host, which deletes its cancel key (see remote-wire.ts): only the job is removed here.
   */
  #removeAbandoned(jobId: string): void {
    if (jobId.startsWith(this.#idPrefix) && !this.#enqueued.has(jobId)) this.#removeJob(jobId);
    this.#abandoned.over(jobId); // its end's event: its host answered
  }

  #chore(p: Promise<unknown>): void {
    const tracked = p.catch(this.#report);
    this.#chores.add(tracked);
    void tracked.finally(() => this.#chores.delete(tracked));
  }

  async #close(graceMs: number): Promise<void> {
    if (this.#pending.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = realTimeScheduler.callLater(graceMs, resolve);
        // May be signalled more than once, and after the grace ran out: only a still-pending timer is cancelled.
        this.#drained = () => {
          if (timer.active()) timer.cancel();
          resolve();
        };
      });
      this.#drained = undefined;
    }
    for (const call of [...this.#pending.values()]) {
      call.fail(new ReactorStoppedError('The reactor stopped before the remote task finished'));
    }
    this.#reconcile.stop();
    if (this.#engine !== undefined) await closeEngine(this.#engine, () => this.#settleChores());
    this.#abandoned.overAll(); // closed: it gives up on the jobs it could not see end
  }

  async #settleChores(): Promise<void> {
    while (this.#chores.size > 0) await Promise.all([...this.#chores]);
  }
}

function failed<R>(error: unknown): Deferred<R> {
  const d = new Deferred<R>();
  d.errback(error);
  return d;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
