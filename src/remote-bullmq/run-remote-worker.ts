/**
 * `runRemoteWorker`: a worker host of the remote route — takes BullMQ jobs and runs their tasks in its own threads.
 *
 * Invariants:
 * - Tasks run in the host's `ThreadPool`, never on its event loop: the loop stays free to renew BullMQ's job locks
 *   (a CPU task on the loop would let its lock lapse and BullMQ would call a live host dead) and to hear cancels.
 *   So `cancelled()`, `throwIfCancelled()` and `signal` from `greenreactor/worker` work unchanged, and so does the
 *   thread path's cancellation ladder (signal at once, thread terminated after `cancelGraceMs`).
 * - The processor never throws: every end of a job is a returned `RemoteOutcome` (see `remote-wire.ts`) — a job
 *   whose data is not a greenreactor job's (edited in Redis) included — so BullMQ retries nothing by itself;
 *   `maxStalledCount` is 0, so a job whose host died fails at BullMQ level and the caller decides about `retries`.
 * - A job is skipped (never run) when its cancel key is set or its deadline passed before it starts; a running job
 *   is aborted when its id arrives on the cancel channel, or at its deadline (run in a deadline scope at the job's
 *   wall time, which the host's pool enforces as it does `withDeadline`: the task's `deadline()` is the caller's).
 * - Only tasks exported by the modules given in `imports` run here (see `TaskRegistry`); a job for another task
 *   goes back to the queue while a live host of the queue advertises that task (see `HostDirectory`), else fails
 *   with `TaskNotFoundError`.
 * - Redis out of reach never hangs the start: `runRemoteWorker` rejects with `RemoteUnavailableError` when Redis has
 *   not answered within `unreachableMs`, after closing what it opened. Once serving, a lost connection is waited
 *   for (BullMQ and ioredis reconnect; a job's result is saved once Redis is back). `close()` always ends: the
 *   connections give up reconnecting once it is called, and against a server that stops answering on an open
 *   connection (paused, half-open TCP) it stops waiting for the running jobs' results to be saved once a probe went
 *   unanswered for `unreachableMs`; against a connection lost (or lost meanwhile) at once. It then aborts the
 *   running jobs and ends the connections (their results are lost; their callers' own probes fail them with
 *   `RemoteUnavailableError`, or, Redis back, their stalled jobs are re-run under `retries`).
 *
 * @module
 */
import { DelayedError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { restoreCarriedContext, type CarriedContext } from '../context/context-carrier.js';
import type { Deferred } from '../deferred/deferred.js';
import type { Failure } from '../deferred/failure.js';
import type { RemoteUnavailableError } from '../errors.js';
import { taskFrom } from '../task/task.js';
import { ThreadPool } from '../threads/thread-pool.js';
import { realTimeScheduler } from '../time/real-time-scheduler.js';
import type { DelayedCall } from '../time/scheduler.js';
import { runUntilWallTime } from '../context/deadline-scope.js';
import { describeConnection, redisClientOptions, resolveConnection, type RedisConnectionOptions } from './redis-connection-options.js';
import { RedisReachability } from './redis-reachability.js';
import { fitsValueLimit, minimumValueLimit, serverTakes, valueOverLimit } from './redis-value-limit.js';
import { LargeWriteConnection } from './large-write-connection.js';
import { errorOutcome, valueOutcome } from './host-outcome.js';
import { TaskRegistry } from './task-registry.js';
import { markTaskReturned } from './returned-mark.js';
import { HostDirectory } from './host-directory.js';
import { errorSink, keyPrefix, positiveOption, queueName } from './remote-options.js';
import { DataCloneError } from '../errors.js';
import { safeString } from '../safe-string.js';
import {
  cancelChannel,
  cancelKey,
  decodeValue,
  hostsKey,
  isRemoteJobData,
  jobKey,
  type RemoteJobData,
  type RemoteOutcome,
  quotedTextLength,
  type RemoteTimes,
} from './remote-wire.js';

/** Options of {@link runRemoteWorker}. */
export interface RemoteWorkerOptions {
  /** Where Redis is (as for `bullmqBackend`). */
  connection: RedisConnectionOptions;
  /** The queue to serve (the callers' `bullmqBackend({ queue })`). */
  queue: string;
  /** The task modules this host serves (URLs or absolute paths); only their exported Tasks run here. */
  imports: ReadonlyArray<string | URL>;
  /**
   * Jobs run at once (and threads in the host's pool).
   * @defaultValue 1
   */
  concurrency?: number;
  /**
   * How often (ms) this host looks for jobs whose host died (BullMQ's `stalledInterval`).
   * @defaultValue 30000
   */
  stalledIntervalMs?: number;
  /**
   * How long (ms) a job's lock lasts without renewal (BullMQ's `lockDuration`; renewed every half of it). A host
   * that died is noticed between `lockDurationMs` and `lockDurationMs + 2 × stalledIntervalMs` after its death.
   * @defaultValue 30000
   */
  lockDurationMs?: number;
  /**
   * How long (ms) a cancelled or timed-out task may keep running before its thread is terminated.
   * @defaultValue 1000
   */
  cancelGraceMs?: number;
  /**
   * How long (ms) the start waits for Redis before it rejects with `RemoteUnavailableError`.
   * @defaultValue 10000
   */
  unreachableMs?: number;
  /**
   * BullMQ's key prefix (the callers must use the same).
   * @defaultValue `'bull'`
   */
  prefix?: string;
  /**
   * Where errors no job can carry go (a lost connection).
   * What it throws goes to `console.error` (it is called from event handlers, where a throw would end the process).
   * @defaultValue `console.error`
   */
  onError?: (error: unknown) => void;
}

/** A running worker host. */
export interface RemoteWorker {
  /** The export names of the tasks this host serves. */
  readonly tasks: readonly string[];
  /**
   * Stops taking jobs, waits for the running ones to finish, then closes the threads and every connection. With
   * Redis out of reach (its connection lost, or a probe unanswered for `unreachableMs`) it aborts the running jobs
   * instead (their results could not be saved) and ends: at once when the connection is lost, after `unreachableMs`
   * against a server that keeps it open without answering.
   */
  close(): Promise<void>;
}

/** A job this host runs now. */
interface RunningJob {
  readonly deferred: Deferred<unknown>;
  aborted: boolean;
}

/** How long (ms) a job this host does not serve waits before it is offered again, per time it came here (see HostDirectory). */
const giveBackMs = 50;

/** The most a given-back job waits before it is offered again (ms). */
const maxGiveBackMs = 1000;

/** How many cancel messages for jobs not (yet) running here are remembered (closes the start-up race). */
const recentCancels = 10_000;

/**
 * Starts a worker host: imports the task modules, connects, and serves the queue until `close()`.
 *
 * Why a separate process (or machine) runs this: the remote route exists for work one machine's cores cannot take;
 * run one host per machine with `concurrency` ≈ its cores (`npx greenreactor remote worker` does this from a shell).
 *
 * @param options - connection, queue, task modules, concurrency, stalled-job timing.
 * @returns the host, once connected and ready for jobs.
 * @throws TypeError for invalid options (also when `imports` export no Task); TaskNotFoundError when a task module cannot be imported;
 *   RemoteUnavailableError when Redis does not answer within `unreachableMs` (all three as rejections).
 * @example
 * ```ts
 * import { runRemoteWorker } from 'greenreactor/remote-bullmq';
 * const host = await runRemoteWorker({ connection: { host: 'redis' }, queue: 'tasks', imports: [new URL('./tasks.js', import.meta.url)], concurrency: 4 });
 * process.once('SIGTERM', () => void host.close());
 * ```
 */
export async function runRemoteWorker(options: RemoteWorkerOptions): Promise<RemoteWorker> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected runRemoteWorker options ({ connection, queue, imports }), got \`${String(options)}\``);
  }
  // Each option is read once, here, before the first await (see remote-options.ts).
  const { connection: connectionOption, queue: queueOption, imports: importsOption, concurrency: concurrencyOption } = options;
  const { stalledIntervalMs, lockDurationMs, cancelGraceMs: cancelGraceOption, unreachableMs: unreachableOption, prefix: prefixOption } = options;
  const { onError: onErrorOption } = options;
  const connection = resolveConnection(connectionOption);
  const queue = queueName(queueOption);
  if (!Array.isArray(importsOption) || importsOption.length === 0) {
    throw new TypeError('Expected `imports` to list the task modules this host serves (URLs or absolute paths)');
  }
  const imports = [...(importsOption as ReadonlyArray<string | URL>)];
  const concurrency = positiveOption('concurrency', concurrencyOption, 1, true);
  const stalledInterval = positiveOption('stalledIntervalMs', stalledIntervalMs, 30_000, false);
  const lockDuration = positiveOption('lockDurationMs', lockDurationMs, 30_000, false);
  const unreachableMs = positiveOption('unreachableMs', unreachableOption, 10_000, false);
  const cancelGraceMs = cancelGraceOption ?? 1000;
  if (typeof cancelGraceMs !== 'number' || !Number.isFinite(cancelGraceMs) || cancelGraceMs < 0) {
    throw new TypeError(`Expected \`cancelGraceMs\` to be a finite number >= 0, got \`${String(cancelGraceMs)}\` (${typeof cancelGraceMs})`);
  }
  const prefix = keyPrefix(prefixOption);
  const onError = errorSink(onErrorOption, (error: unknown) => console.error('greenreactor remote worker:', error));

  const registry = await TaskRegistry.load(imports);
  if (registry.size === 0) {
    // A host serving nothing would take every job of the queue and fail it: refuse to start instead.
    throw new TypeError(
      `Expected \`imports\` to export at least one Task, got none from ${imports.map((m) => String(m)).join(', ')}: ` +
        'export each task under its own name (export const add = defineTask(import.meta.url, \'add\', ...))',
    );
  }
  const pool = new ThreadPool(
    { minThreads: concurrency, maxThreads: concurrency, cancelGraceMs, captureDispatchSite: false },
    { onError },
  );
  const running = new Map<string, RunningJob>();
  const cancelled = new Set<string>();
  let closing = false;
  const clientOptions = redisClientOptions(connection, () => closing);
  const redis = new Redis(clientOptions);
  const subscriber = new Redis(clientOptions);
  // ioredis reports every failed reconnect: pass on the first error of each outage only.
  let quiet = false;
  const report = (error: unknown): void => {
    if (closing || quiet) return;
    quiet = redis.status !== 'ready';
    onError(error);
  };
  redis.on('error', report);
  subscriber.on('error', report);
  redis.on('ready', () => (quiet = false));

  const directory = new HostDirectory(redis, hostsKey(prefix, queue), registry.names(), report);

  const abort = (id: string): void => {
    const job = running.get(id);
    if (job !== undefined) {
      job.aborted = true;
      job.deferred.cancel();
      return;
    }
    cancelled.add(id);
    if (cancelled.size > recentCancels) cancelled.delete(cancelled.values().next().value!);
  };
  const channel = cancelChannel(prefix, queue);
  subscriber.on('message', (from: string, id: string) => {
    if (from === channel) abort(id);
  });

  // The server's value limit when a result or error is saved, not when the host started (see redis-value-limit.ts);
  // over 1 MiB, asked by sending one that large on a connection that never re-sends it, so that a value the server
  // refuses never reaches BullMQ's save, which would re-send it after each refusal (see large-write-connection.ts).
  const large = new LargeWriteConnection(clientOptions, report);
  const overLimit = async (size: number): Promise<number | 'refused' | undefined> => {
    const limit = await valueOverLimit(size, redis);
    if (limit !== undefined || fitsValueLimit(size, minimumValueLimit)) return limit;
    return (await serverTakes(size, jobKey(prefix, queue, ''), large)) ? undefined : 'refused';
  };

  // Never throws: a processor that throws fails the job at BullMQ level, which the caller reads as a foreign worker's
  // failure (see RemoteCall.failedOnHost). Whatever goes wrong before the task runs (a job whose data someone edited
  // in Redis, a lost connection) ends as an `error` outcome.
  // The one exception is BullMQ's DelayedError, which is no failure: it gives a job this host does not serve back to
  // the queue, for the live host that advertises its task (see HostDirectory).
  const processor = async (job: Job, token?: string): Promise<RemoteOutcome> => {
    const id = job.id ?? '';
    const data = job.data as unknown;
    const waited = Date.now() - job.timestamp;
    let started = performance.now();
    const times = (): RemoteTimes => ({ w: waited, r: performance.now() - started });
    let outcome: RemoteOutcome | 'given-back';
    try {
      if (!isRemoteJobData(data)) throw editedJob(id, job.name, data);
      if (cancelled.delete(id) || (await redis.exists(cancelKey(prefix, queue, id))) === 1) return { s: 'skipped', why: 'cancelled' };
      if (data.d !== undefined && Date.now() >= data.d) return { s: 'skipped', why: 'deadline' };
      if (!registry.serves(data.x) && (await directory.otherServes(data.x))) {
        // Back in the queue a little later (longer each time it comes back here), for a host that serves it.
        await job.moveToDelayed(Date.now() + Math.min(giveBackMs * Math.max(1, job.attemptsStarted), maxGiveBackMs), token);
        outcome = 'given-back';
      } else {
        started = performance.now();
        outcome = await runJob(id, data, times);
      }
    } catch (error) {
      return await errorOutcome(isRemoteJobData(data) ? data.x : safeString(job.name), error, overLimit, times());
    }
    if (outcome === 'given-back') throw new DelayedError();
    return outcome;
  };

  /** Runs the task of job `id` in the pool and returns its outcome (throws when the task cannot be found or set up). */
  const runJob = async (id: string, data: RemoteJobData, times: () => RemoteTimes): Promise<RemoteOutcome> => {
    const found = registry.resolve(data.m, data.x);
    const task = taskFrom(found.moduleUrl, found.exportName);
    const args = decodeValue(data.a) as unknown[];
    const carried = data.c === undefined ? undefined : (decodeValue(data.c) as CarriedContext);
    // The host's pool captures every registered carrier at dispatch: restored here, the caller's context is what
    // it captures, and what the task's thread restores (a carrier the host never registered throws, unrun).
    const run = (): Deferred<unknown> => restoreCarriedContext(carried, () => pool.run(task, ...args)) as Deferred<unknown>;
    // The caller's deadline as the wall time it is, not as "ms from now": the task's deadline() reads it exactly.
    const deferred = data.d === undefined ? run() : runUntilWallTime(pool.options.clock, data.d, run);
    const entry: RunningJob = { deferred, aborted: false };
    running.set(id, entry);
    if (cancelled.delete(id)) abort(id); // a cancel that came while the job was being set up
    const settled = await new Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }>((resolve) => {
      deferred.addCallbacks(
        (value: unknown) => resolve({ ok: true, value }),
        (failure: Failure) => resolve({ ok: false, error: failure.value }),
      );
    });
    running.delete(id);
    if (entry.aborted) return { s: 'aborted', ...times() };
    // The task returned or threw (its thread did not die): record it before the result is saved, so that a caller
    // whose job stalls now (this host dies, or the save is refused) does not re-run it (see returned-mark.ts).
    if (settled.ok || (settled.error as { code?: unknown } | null)?.code !== 'ERR_WORKER_CRASHED') {
      await markTaskReturned(redis, jobKey(prefix, queue, id));
    }
    return settled.ok ? valueOutcome(data.x, settled.value, overLimit, times()) : errorOutcome(data.x, settled.error, overLimit, times());
  };

  const worker = new Worker(queue, processor, {
    connection: clientOptions,
    prefix,
    concurrency,
    stalledInterval,
    lockDuration,
    maxStalledCount: 0,
    autorun: false,
  });
  worker.on('error', report);

  const what = `Redis at ${describeConnection(connection)}`;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      // Finishing the running jobs saves their results, and the quits wait for answers: against a server that is
      // gone or silent (paused, half-open TCP) they would wait forever. Stop waiting once a probe goes unanswered for
      // `unreachableMs` (or the connection is lost), and end the connections instead.
      const watch = new RedisReachability(redis, unreachableMs, what, { onUnreachable: () => undefined, onReachable: () => undefined, busy: () => true });
      watch.probe();
      const down = watch.whenDown();
      const gone = await Promise.race([worker.close().then(() => false, () => false), down.then(() => true)]);
      if (gone) {
        // No running job's result can be saved now, and BullMQ's close waits for every running job: abort them (their
        // tasks see `signal` abort; the pool's close below ends their threads), as a cancel would. Their callers fail
        // them by their own watch, or re-run them once Redis is back (an aborted task left no returned mark).
        for (const id of [...running.keys()]) abort(id);
        // BullMQ's close still tries to save the aborted jobs' outcomes: bounded by `unreachableMs`, once the
        // connections are ended (a save on an ended connection fails at once).
        let bound: DelayedCall | undefined;
        await Promise.race([
          Promise.allSettled([worker.disconnect(), worker.close()]),
          new Promise<void>((resolve) => (bound = realTimeScheduler.callLater(unreachableMs, resolve))),
        ]);
        if (bound?.active() === true) bound.cancel();
      }
      await pool.close(0);
      await Promise.race([Promise.allSettled([directory.leave(), subscriber.quit(), redis.quit(), large.close()]), down]);
      watch.stop();
      subscriber.disconnect();
      redis.disconnect();
      large.disconnect();
    })();
    return closed;
  };

  let unreachable: ((error: RemoteUnavailableError) => void) | undefined;
  const reach = new RedisReachability(subscriber, unreachableMs, what, {
    onUnreachable: (error) => unreachable?.(error),
    onReachable: () => undefined,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      unreachable = reject;
      Promise.all([subscriber.subscribe(channel), worker.waitUntilReady(), directory.join()]).then(() => resolve(), reject);
    });
  } catch (error) {
    reach.stop();
    await close();
    throw error;
  }
  reach.stop();
  void worker.run().catch(report);
  return { tasks: registry.names(), close };
}

/** The error of a job whose data is not what a greenreactor caller sends (someone edited it in Redis, or another service added it). */
function editedJob(id: string, name: string, data: unknown): DataCloneError {
  const task = safeString(name).slice(0, quotedTextLength);
  return new DataCloneError(
    `The data of job ${id} (task \`${task}\`) is not what a greenreactor caller sends (${describeData(data)}): was it edited in Redis, or added by another service?`,
    { task },
  );
}

function describeData(data: unknown): string {
  if (typeof data !== 'object' || data === null) return `got ${data === null ? 'null' : typeof data}`;
  return 'its module, export or arguments are missing';
}
