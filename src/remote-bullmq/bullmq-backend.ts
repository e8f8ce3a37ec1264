/**
 * `bullmqBackend`: the caller's side of the remote route — tasks as BullMQ jobs, results back as Deferreds.
 *
 * Invariants:
 * - Nothing connects until the first call: a reactor given a backend it never uses opens no handle.
 * - Each call's Deferred fires exactly once (see {@link RemoteCall}). A job's outcome comes from BullMQ's event
 *   stream when it can, and otherwise from the reconcile poll, which reads the state of every job still pending
 *   every `reconcileMs`: BullMQ's events can be lost (taskforcesh/bullmq#2517; the stream is also trimmed), so
 *   events are only the fast path, never the only one.
 * - A finished job is removed by the caller once its outcome was read (BullMQ keeps it an hour otherwise, for a
 *   caller that died), so nothing piles up in Redis.
 * - `close()` resolves only after every connection was closed (no open handle), and never rejects.
 *
 * Connections: one for the `Queue` (adds, reads, removals), one blocking one for `QueueEvents`, one ioredis client
 * for the cancel key and channel.
 *
 * @module
 */
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Deferred } from '../deferred/deferred.js';
import { DataCloneError, ReactorStoppedError } from '../errors.js';
import type { RemoteBackend, RemoteCallContext, RemoteStats } from '../reactor/remote-backend.js';
import { isTask, type Task } from '../task/task.js';
import { realTimeScheduler } from '../time/real-time-scheduler.js';
import type { DelayedCall } from '../time/scheduler.js';
import { RemoteCall, type RemoteCallHost } from './remote-call.js';
import { RemoteCounters } from './remote-counters.js';
import { resolveConnection, type RedisConnectionOptions } from './redis-connection-options.js';
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
   * BullMQ's key prefix (hosts must use the same).
   * @defaultValue `'bull'`
   */
  prefix?: string;
  /**
   * Where errors no Deferred can carry go (a lost connection, a failed removal).
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
export const defaultBullmqBackendOptions = Object.freeze({ reconcileMs: 1000, prefix: 'bull' });

interface Engine {
  readonly queue: Queue;
  readonly events: QueueEvents;
  readonly redis: Redis;
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
  #engine: Promise<Engine> | undefined;
  #reconcile: DelayedCall | undefined;
  #reconciling = false;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  constructor(options: BullmqBackendOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected bullmqBackend options ({ connection, queue }), got \`${String(options)}\``);
    }
    this.#connection = resolveConnection(options.connection);
    if (typeof options.queue !== 'string' || options.queue === '' || options.queue.includes(':')) {
      throw new TypeError(`Expected \`queue\` to be a non-empty string without ':', got \`${String(options.queue)}\` (${typeof options.queue})`);
    }
    this.#queueName = options.queue;
    const reconcileMs = options.reconcileMs ?? defaultBullmqBackendOptions.reconcileMs;
    if (typeof reconcileMs !== 'number' || !Number.isFinite(reconcileMs) || reconcileMs <= 0) {
      throw new TypeError(`Expected \`reconcileMs\` to be a positive number, got \`${String(reconcileMs)}\` (${typeof reconcileMs})`);
    }
    this.#reconcileMs = reconcileMs;
    this.#prefix = options.prefix ?? defaultBullmqBackendOptions.prefix;
    this.#dropEvents = options.faults?.dropEvents === true;
    this.#onError = options.onError ?? ((error: unknown) => console.error('greenreactor remote (bullmq):', error));
  }

  call(task: Task, args: readonly unknown[], context: RemoteCallContext): Deferred<unknown> {
    if (!isTask(task)) return failed(new TypeError(`deferToRemote needs a Task (defineTask/taskFrom), got ${typeof task}`));
    this.counters.calls++;
    if (this.#closing !== undefined) {
      this.counters.failed++;
      return failed(new ReactorStoppedError(`Task \`${task.name}\` was refused: the remote backend is closing`));
    }
    let encoded: string;
    try {
      encoded = encodeValue(args);
    } catch (error) {
      this.counters.failed++;
      return failed(cloneError(task.name, args, error));
    }
    const call = new RemoteCall(this, task, encoded, context.clock, context.site);
    call.start();
    return call.deferred;
  }

  stats(): RemoteStats {
    return this.counters.snapshot(this.engine, this.#pending.size);
  }

  close(graceMs: number): Promise<void> {
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  // --- RemoteCallHost ---

  newJobId(): string {
    return `${this.#idPrefix}${++this.#seq}`;
  }

  submit(call: RemoteCall, jobId: string, data: RemoteJobData): void {
    this.#pending.set(jobId, call);
    this.#start().then(
      ({ queue }) =>
        queue.add(data.x, data, {
          jobId,
          attempts: 1,
          removeOnComplete: { age: finishedJobAgeS },
          removeOnFail: { age: finishedJobAgeS },
        }),
    ).then(
      () => {
        if (this.#pending.get(jobId) === call) {
          this.#enqueued.add(jobId);
          this.#armReconcile();
        }
      },
      (error: unknown) => {
        this.#pending.delete(jobId);
        call.fail(error, false);
      },
    );
  }

  abort(jobId: string): void {
    if (this.#engine === undefined) return;
    this.#chore(
      this.#engine.then(async ({ queue, redis }) => {
        await redis.set(cancelKey(this.#prefix, this.#queueName, jobId), '1', 'PX', cancelKeyTtlMs);
        await redis.publish(cancelChannel(this.#prefix, this.#queueName), jobId);
        // Removes a job still waiting; a job a host holds (locked) stays, and that host aborts it.
        await queue.remove(jobId).catch(() => 0);
      }),
    );
  }

  forget(jobId: string, finished: boolean): void {
    this.#pending.delete(jobId);
    if (this.#enqueued.delete(jobId) && finished && this.#engine !== undefined) {
      // A failed removal only leaves the job to BullMQ's age-based cleanup.
      this.#chore(this.#engine.then(({ queue }) => queue.remove(jobId).catch(() => 0)));
    }
    if (this.#pending.size === 0) this.#drained?.();
  }

  // --- engine ---

  /** Connects on first use: the queue, its event stream and the cancel connection. */
  #start(): Promise<Engine> {
    this.#engine ??= (async () => {
      const connection = this.#connection;
      const prefix = this.#prefix;
      const queue = new Queue(this.#queueName, { connection, prefix });
      const events = new QueueEvents(this.#queueName, { connection, prefix });
      const redis = new Redis({ ...connection, lazyConnect: false });
      queue.on('error', this.#onError);
      events.on('error', this.#onError);
      redis.on('error', this.#onError);
      events.on('completed', ({ jobId, returnvalue }) => this.#onCompleted(jobId, returnvalue));
      events.on('failed', ({ jobId, failedReason }) => this.#onFailed(jobId, failedReason));
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      return { queue, events, redis };
    })();
    return this.#engine;
  }

  #onCompleted(jobId: string, returnvalue: unknown): void {
    if (this.#dropEvents) return;
    const call = this.#pending.get(jobId);
    if (call === undefined) return;
    const outcome = typeof returnvalue === 'string' ? parseJson(returnvalue) : returnvalue;
    if (isRemoteOutcome(outcome)) call.settle(jobId, outcome, 'event');
  }

  #onFailed(jobId: string, failedReason: string): void {
    if (this.#dropEvents) return;
    this.#pending.get(jobId)?.crashed(jobId, new Error(failedReason));
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

  /** Reads the state of every pending job and settles those that finished. */
  async #reconcilePass(): Promise<void> {
    const engine = this.#engine;
    if (engine === undefined) return;
    const { queue } = await engine;
    const ids = [...this.#enqueued];
    const jobs = await Promise.all(ids.map((id) => queue.getJob(id).catch(() => null)));
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const job = jobs[i];
      const call = this.#pending.get(id);
      if (call === undefined || job === null) continue;
      if (job === undefined) {
        call.crashed(id, new Error(`job ${id} vanished from queue ${this.#queueName}`));
        continue;
      }
      if (job.finishedOn === undefined) continue;
      const outcome = job.returnvalue as unknown;
      if (job.failedReason !== undefined && job.failedReason !== '' && !isRemoteOutcome(outcome)) call.crashed(id, new Error(job.failedReason));
      else if (isRemoteOutcome(outcome)) call.settle(id, outcome, { reconciledJobEndedAt: job.finishedOn });
    }
  }

  #chore(p: Promise<unknown>): void {
    const tracked = p.catch((error: unknown) => {
      if (this.#closing === undefined) this.#onError(error);
    });
    this.#chores.add(tracked);
    void tracked.finally(() => this.#chores.delete(tracked));
  }

  async #close(graceMs: number): Promise<void> {
    if (this.#pending.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = realTimeScheduler.callLater(graceMs, resolve);
        this.#drained = () => {
          timer.cancel();
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
    while (this.#chores.size > 0) await Promise.all([...this.#chores]);
    if (this.#engine === undefined) return;
    let engine: Engine;
    try {
      engine = await this.#engine;
    } catch {
      return;
    }
    await Promise.allSettled([engine.events.close(), engine.queue.close(), engine.redis.quit()]);
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

/** The `DataCloneError` for arguments `node:v8` could not serialize, naming the first bad one. */
function cloneError(name: string, args: readonly unknown[], cause: unknown): DataCloneError {
  let index = -1;
  for (let i = 0; i < args.length && index < 0; i++) {
    try {
      encodeValue(args[i]);
    } catch {
      index = i;
    }
  }
  const where = index < 0 ? 'its arguments' : `argument ${index}`;
  return new DataCloneError(
    `Cannot send task \`${name}\` to a remote host: ${where} cannot be serialized (${(cause as Error)?.message ?? String(cause)}); nothing was enqueued. ` +
      'Pass plain data, typed arrays or buffers (functions, symbols, SharedArrayBuffers and sockets cannot cross machines)',
    { task: name, ...(index < 0 ? {} : { argumentIndex: index }) },
    { cause },
  );
}
