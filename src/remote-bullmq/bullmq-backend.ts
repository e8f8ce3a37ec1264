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
 *   its completion event comes, and a call that ended before its job was sent never sends it.
 * - Redis out of reach never hangs a call: when it has not answered for `unreachableMs` (at the first connection,
 *   after a lost one, or on a connection that stays open but gets no answer: a paused server, a half-open TCP
 *   connection), every pending call errbacks `RemoteUnavailableError`, and so does every new call until Redis
 *   is back (see `RedisReachability`, which probes with PING while calls wait). A call whose outage was shorter goes on as if nothing happened (the reconcile
 *   poll reads its job once the connection is back; a job the server lost counts as a crash).
 * - `close()` resolves only after every connection was closed (no open handle), and never rejects, whether Redis is
 *   up, down, silent, or was never reached (a silent server costs it `unreachableMs`, then ioredis's
 *   `disconnectTimeout`, 2 s by default, to destroy the sockets the server never closes).
 *
 * Connections: one ioredis client for the `Queue` (adds, reads, removals) and one for the cancel key and channel,
 * both made and ended here (BullMQ is lent the first and never closes it); and the blocking one `QueueEvents` makes
 * for itself from the same options, whose reconnect strategy gives up once the backend closes (so its `close()`
 * ends even when Redis was never reached). All of them wait for a lost connection to come back
 * (`maxRetriesPerRequest: null`); `unreachableMs` alone decides when waiting stops.
 *
 * @module
 */
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { callDeadline } from '../context/call-deadline.js';
import { Deferred } from '../deferred/deferred.js';
import type { CarriedContext } from '../context/context-carrier.js';
import { ContextCarrierError, DataCloneError, GreenReactorError, ReactorStoppedError, RemoteUnavailableError } from '../errors.js';
import type { RemoteBackend, RemoteCallContext, RemoteStats } from '../reactor/remote-backend.js';
import { isTask, type Task } from '../task/task.js';
import { realTimeScheduler } from '../time/real-time-scheduler.js';
import type { DelayedCall } from '../time/scheduler.js';
import { RemoteCall, type RemoteCallHost } from './remote-call.js';
import { RemoteCounters } from './remote-counters.js';
import { describeConnection, redisClientOptions, resolveConnection, type RedisConnectionOptions } from './redis-connection-options.js';
import { readJobStates, type JobState } from './job-states.js';
import { errorSink, keyPrefix, positiveOption, queueName } from './remote-options.js';
import { fitsValueLimit, isValueRefusal, minimumValueLimit, valueOverLimit } from './redis-value-limit.js';
import { LargeJobSender } from './large-job-sender.js';
import { LargeWriteLost } from './large-write-connection.js';
import { RedisReachability } from './redis-reachability.js';
import { taskReturned } from './returned-mark.js';
import {
  cancelChannel,
  cancelKey,
  cancelKeyTtlMs,
  encodeValue,
  finishedJobAgeS,
  isRemoteOutcome,
  type RemoteJobData,
} from './remote-wire.js';

/** Options of {@link bullmqBackend}. */
export interface BullmqBackendOptions {
  /** Where Redis is (BullMQ's connection options: `{ host, port }`, `{ path }`, `{ url }`). */
  connection: RedisConnectionOptions;
  /** The BullMQ queue's name; the worker hosts must serve the same one. */
  queue: string;
  /**
   * How often (ms) the state of every pending job is read, to deliver results whose event was lost.
   * @defaultValue 1000
   */
  reconcileMs?: number;
  /**
   * How long (ms) Redis may be out of reach — never reached, or its connection lost — before pending calls errback
   * `RemoteUnavailableError` (and new ones do at once, until it is back).
   * @defaultValue 10000
   */
  unreachableMs?: number;
  /**
   * BullMQ's key prefix (hosts must use the same).
   * @defaultValue `'bull'`
   */
  prefix?: string;
  /**
   * Where errors no Deferred can carry go (a lost connection, a failed removal).
   * What it throws goes to `console.error` (it is called from event handlers, where a throw would end the process).
   * @defaultValue `console.error`
   */
  onError?: (error: unknown) => void;
  /**
   * Fault injection, for tests of the reconcile poll: `dropEvents: true` ignores every event BullMQ delivers.
   * @defaultValue no faults
   */
  faults?: { dropEvents?: boolean };
}

/** The defaults of {@link BullmqBackendOptions}. */
export const defaultBullmqBackendOptions = Object.freeze({ reconcileMs: 1000, unreachableMs: 10_000, prefix: 'bull' });

/** BullMQ's objects and the clients under them, made on the first call. */
interface Engine {
  readonly queue: Queue;
  readonly events: QueueEvents;
  /** The client lent to `queue`. */
  readonly queueClient: Redis;
  /** The cancel key and channel. */
  readonly redis: Redis;
  /** Watches the queue's connection. */
  readonly reach: RedisReachability;
  /** Resolves once the queue and its event stream are connected (never, while Redis is out of reach). */
  readonly ready: Promise<void>;
  /** Sends the jobs over 1 MiB, on a connection of its own (see large-job-sender.ts). */
  readonly large: LargeJobSender;
}

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
  readonly #reconcileMs: number;
  readonly #unreachableMs: number;
  readonly #dropEvents: boolean;
  readonly #onError: (error: unknown) => void;
  readonly #idPrefix = `gr-${randomUUID().slice(0, 8)}-`;
  #seq = 0;
  /** Calls whose job is out, by job id. */
  readonly #pending = new Map<string, RemoteCall>();
  /** Job ids whose `add` has resolved (only those can be reconciled). */
  readonly #enqueued = new Set<string>();
  /** Redis commands in flight that close() must wait for (aborts, removals). */
  readonly #chores = new Set<Promise<unknown>>();
  #engine: Engine | undefined;
  /** A connection error was already reported in this outage (ioredis reports one per reconnect attempt). */
  #outageReported = false;
  #reconcile: DelayedCall | undefined;
  #reconciling = false;
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
    this.#reconcileMs = positiveOption('reconcileMs', reconcileMs, defaultBullmqBackendOptions.reconcileMs, false);
    this.#unreachableMs = positiveOption('unreachableMs', unreachableMs, defaultBullmqBackendOptions.unreachableMs, false);
    this.#prefix = keyPrefix(prefix ?? defaultBullmqBackendOptions.prefix);
    this.#onError = errorSink(onError, (error: unknown) => console.error('greenreactor remote (bullmq):', error));
    if (faults !== undefined && (typeof faults !== 'object' || faults === null)) {
      throw new TypeError(`Expected \`faults\` to be an object ({ dropEvents }), got \`${String(faults)}\` (${typeof faults})`);
    }
    this.#dropEvents = faults?.dropEvents === true;
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
          this.#armReconcile();
        } else if (job !== undefined) {
          // It ended while its add was in flight: its abort's removal may have come first and found nothing.
          this.#removeJob(jobId);
        }
      },
      (error: unknown) => {
        // call.fail() forgets the job, which signals a drain once nothing is pending. Once closing, the connection
        // failed because the backend gave up reconnecting: the call ended because the reactor stopped.
        // A large job whose connection was lost each time may have been taken by the server once: abort it.
        call.fail(this.#enqueueError(call, size, error), error instanceof LargeWriteLost);
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
    return new RemoteUnavailableError(`Task \`${call.taskName}\` could not be enqueued: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }

  abort(jobId: string): void {
    const engine = this.#engine;
    if (engine === undefined) return;
    const { queue, redis } = engine;
    this.#chore(
      (async () => {
        await redis.set(cancelKey(this.#prefix, this.#queueName, jobId), '1', 'PX', cancelKeyTtlMs);
        await redis.publish(cancelChannel(this.#prefix, this.#queueName), jobId);
        // Removes a job still waiting; a job a host holds (locked) stays, and that host aborts it.
        await queue.remove(jobId).catch(() => 0);
      })(),
    );
  }

  forget(jobId: string, finished: boolean): void {
    this.#pending.delete(jobId);
    if (this.#enqueued.delete(jobId) && finished) this.#removeJob(jobId);
    if (this.#pending.size === 0) this.#drained?.();
  }

  taskReturned(jobId: string): Promise<boolean> {
    const engine = this.#engine;
    return engine === undefined ? Promise.resolve(false) : taskReturned(engine.queueClient, engine.queue.toKey(jobId));
  }

  /** Removes job `jobId` from the queue (a job a host holds stays; a failed removal leaves it to BullMQ's age-based cleanup). */
  #removeJob(jobId: string): void {
    if (this.#engine !== undefined) this.#chore(this.#engine.queue.remove(jobId).catch(() => 0));
  }

  // --- engine ---

  /** Connects on first use: the queue, its event stream and the cancel connection, and watches them. */
  #start(): Engine {
    if (this.#engine !== undefined) return this.#engine;
    const prefix = this.#prefix;
    const options = redisClientOptions(this.#connection, () => this.#closing !== undefined);
    const queueClient = new Redis(options);
    const redis = new Redis(options);
    const queue = new Queue(this.#queueName, { connection: queueClient, prefix });
    const events = new QueueEvents(this.#queueName, { connection: options, prefix });
    // Queue and QueueEvents pass their clients' errors on; the cancel client's come straight.
    queue.on('error', this.#report);
    events.on('error', this.#report);
    redis.on('error', this.#report);
    events.on('completed', ({ jobId, returnvalue }) => this.#onCompleted(jobId, returnvalue));
    events.on('failed', ({ jobId, failedReason }) => this.#onFailed(jobId, failedReason));
    const reach = new RedisReachability(queueClient, this.#unreachableMs, `Redis at ${describeConnection(this.#connection)}`, {
      onUnreachable: (error) => {
        for (const call of [...this.#pending.values()]) call.fail(error);
      },
      onReachable: () => {
        this.#outageReported = false;
      },
      // Calls wait on Redis, or the backend is closing (its aborts and quits do): a server that stops answering
      // then ends them as surely as a lost connection.
      busy: () => this.#pending.size > 0 || this.#closing !== undefined,
    });
    const ready = Promise.all([queue.waitUntilReady(), events.waitUntilReady()]).then(() => undefined);
    ready.catch(() => undefined); // each user of `ready` handles its failure; this one only keeps it from being unhandled
    const large = new LargeJobSender(this.#queueName, prefix, options, this.#report);
    this.#engine = { queue, events, queueClient, redis, reach, ready, large };
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
      // One of ours whose call had ended (a cancel that reached its host): nobody will read it, remove it now.
      if (jobId.startsWith(this.#idPrefix) && !this.#enqueued.has(jobId)) this.#removeJob(jobId);
      return;
    }
    const outcome = typeof returnvalue === 'string' ? parseJson(returnvalue) : returnvalue;
    call.settle(jobId, outcome, 'event');
  }

  #onFailed(jobId: string, failedReason: string): void {
    if (this.#dropEvents) return;
    this.#pending.get(jobId)?.failedOnHost(jobId, String(failedReason));
  }

  #armReconcile(): void {
    if (this.#reconcile !== undefined || this.#reconciling || this.#enqueued.size === 0) return;
    this.#reconcile = realTimeScheduler.callLater(this.#reconcileMs, () => {
      this.#reconcile = undefined;
      this.#reconciling = true;
      this.#chore(
        this.#reconcilePass().finally(() => {
          this.#reconciling = false;
          if (this.#closing === undefined) this.#armReconcile();
        }),
      );
    });
  }

  /**
   * Asks Redis which pending jobs finished or vanished (one script call per chunk, see `readJobStates`), then reads
   * only the finished ones and settles their calls. A pass that cannot reach Redis does nothing: the next one asks
   * again (the reachability watch decides when pending calls give up).
   */
  async #reconcilePass(): Promise<void> {
    const engine = this.#engine;
    if (engine === undefined) return;
    const { queue, queueClient } = engine;
    const ids = [...this.#enqueued];
    let states: JobState[];
    try {
      states = await readJobStates(queueClient, ids.map((id) => queue.toKey(id)));
    } catch {
      return;
    }
    const finished: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (states[i] === 'finished') finished.push(id);
      else if (states[i] === 'vanished') this.#pending.get(id)?.crashed(id, vanished(id, this.#queueName));
    }
    const jobs = await Promise.all(finished.map((id) => queue.getJob(id).catch(() => null)));
    for (let i = 0; i < finished.length; i++) {
      const id = finished[i]!;
      const job = jobs[i];
      const call = this.#pending.get(id);
      if (call === undefined || job === null) continue;
      if (job === undefined) {
        call.crashed(id, vanished(id, this.#queueName));
        continue;
      }
      if (job.finishedOn === undefined) continue;
      const outcome = job.returnvalue as unknown;
      if (job.failedReason !== undefined && job.failedReason !== '' && !isRemoteOutcome(outcome)) call.failedOnHost(id, String(job.failedReason));
      else call.settle(id, outcome, { reconciledJobEndedAt: job.finishedOn });
    }
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
    if (this.#reconcile !== undefined) {
      this.#reconcile.cancel();
      this.#reconcile = undefined;
    }
    const engine = this.#engine;
    if (engine === undefined) return;
    // Commands still queued for a server out of reach would wait for it forever: stop waiting once it is (its
    // connection lost, or a probe unanswered for `unreachableMs`: a paused server keeps its connection open).
    engine.reach.probe();
    const down = engine.reach.whenDown();
    await Promise.race([this.#settleChores(), down]);
    const { events, queue, queueClient, redis, reach, large } = engine;
    await Promise.race([Promise.allSettled([events.close(), queue.close(), redis.quit(), queueClient.quit(), large.close()]), down]);
    reach.stop();
    // Whatever the state, end our connections (a no-op for those already ended); the events client gives up
    // reconnecting now that the backend is closing, so its close() ends too.
    queueClient.disconnect();
    redis.disconnect();
    large.disconnect();
    await Promise.allSettled([events.close(), queue.close(), large.close()]);
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

/** The error a call whose job is gone from Redis crashes with (a flushed or failed-over server, a manual removal). */
function vanished(jobId: string, queueName: string): Error {
  return new Error(`job ${jobId} vanished from queue ${queueName}`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The `DataCloneError` for arguments `node:v8` could not serialize, naming the first bad one. */
function cloneError(name: string, args: readonly unknown[], cause: unknown): DataCloneError {
  const index = args.findIndex((arg) => !serializable(arg));
  const where = index < 0 ? 'its arguments' : `argument ${index}`;
  return new DataCloneError(
    `Cannot send task \`${name}\` to a remote host: ${where} cannot be serialized (${(cause as Error)?.message ?? String(cause)}); nothing was enqueued. ` +
      'Pass plain data, typed arrays or buffers (functions, symbols, SharedArrayBuffers and sockets cannot cross machines)',
    { task: name, ...(index < 0 ? {} : { argumentIndex: index }) },
    { cause },
  );
}

/** The `DataCloneError` for a job whose arguments (and carried context) exceed what the server takes in one value. */
function tooLarge(name: string, size: number, limit: number | undefined, refusal?: Error, sent?: number): DataCloneError {
  const lost = sent === undefined ? '' : `, dropping the connection each of the ${sent} times they were sent`;
  const over =
    limit === undefined
      ? `over what this Redis server takes in one value (proto-max-bulk-len: it refused them${lost})`
      : `over the ${limit} bytes this Redis server takes in one value (proto-max-bulk-len)`;
  return new DataCloneError(
    `Cannot send task \`${name}\` to a remote host: its arguments are ${size} bytes serialized, ${over}; nothing was enqueued. ` +
      'Pass a reference to large data (a key, a URL) instead',
    { task: name },
    refusal === undefined ? undefined : { cause: refusal },
  );
}

/** The error for carried context `node:v8` cannot serialize: which carrier's value, for which task. */
function carrierCloneError(name: string, carried: CarriedContext, cause: unknown): ContextCarrierError {
  const carrier = Object.keys(carried).find((key) => !serializable(carried[key]));
  return new ContextCarrierError(
    `Cannot send task \`${name}\` to a remote host: the value context carrier \`${carrier ?? '?'}\` captured cannot be serialized ` +
      `(${(cause as Error)?.message ?? String(cause)}); nothing was enqueued. Capture plain data (a trace header, an id), not live objects`,
    { carrier: carrier ?? '' },
    { cause },
  );
}

/** Whether `node:v8` can serialize `value` (to name the argument or carrier that cannot travel). */
function serializable(value: unknown): boolean {
  try {
    encodeValue(value);
    return true;
  } catch {
    return false;
  }
}
