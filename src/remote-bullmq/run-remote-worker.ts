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
 *   for (BullMQ and ioredis reconnect; a job's result is saved once Redis is back). `close()` always ends: it lets
 *   the running jobs finish within its `graceMs`, then stops them (`JobProcessor.stopAll`: each one's caller gets
 *   `WorkerCrashedError` saying its host closed mid-task, or a re-run under `retries`), since BullMQ's close waits
 *   for every running job and a task may never end. The
 *   connections give up reconnecting once it is called, and against a server that stops answering on an open
 *   connection (paused, half-open TCP) it stops waiting for the running jobs' results to be saved once a probe went
 *   unanswered for `unreachableMs`; against a connection lost (or lost meanwhile) at once. It then stops the
 *   running jobs and ends the connections (their results are lost; their callers' own probes fail them with
 *   `RemoteUnavailableError`, or, Redis back, their stalled jobs are re-run under `retries`).
 *
 * Parts (one concept each): the processor, one job's run and its outcome (`job-processor.ts`, which owns the jobs
 * running and the cancels remembered), the options (`remote-worker-options.ts`), the task registry and the host
 * directory. This file owns the connections, the pool and the lifecycle (start, close) and lends them.
 *
 * @module
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { RemoteUnavailableError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { ThreadPool } from '../threads/thread-pool.js';
import { realTimeScheduler } from '../time/real-time-scheduler.js';
import type { DelayedCall } from '../time/scheduler.js';
import { describeConnection, redisClientOptions, resolveConnection } from './redis-connection-options.js';
import { RedisReachability } from './redis-reachability.js';
import { fitsValueLimit, minimumValueLimit, serverTakes, valueOverLimit } from './redis-value-limit.js';
import { LargeWriteConnection } from './large-write-connection.js';
import { endConnection } from './end-connection.js';
import { TaskRegistry } from './task-registry.js';
import { HostDirectory } from './host-directory.js';
import { JobProcessor } from './job-processor.js';
import { readErrorSink } from '../error-sink.js';
import { keyPrefix, positiveOption, queueName } from './remote-options.js';
import { readCloseGraceMs, type RemoteWorker, type RemoteWorkerOptions } from './remote-worker-options.js';
import { cancelChannel, hostsKey, jobKey } from './remote-wire.js';

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
    throw new TypeError(`Expected \`cancelGraceMs\` to be a finite number >= 0, got ${describeValue(cancelGraceMs)}`);
  }
  const prefix = keyPrefix(prefixOption);
  const onError = readErrorSink(onErrorOption, 'greenreactor remote worker');

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
  const directory = new HostDirectory(redis, hostsKey(prefix, queue), registry.names(), report);
  redis.on('ready', () => {
    quiet = false;
    directory.refresh(); // Redis may have restarted without its data: advertise this host's tasks again at once
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

  const jobs = new JobProcessor({ registry, pool, redis, directory, prefix, queue, overLimit, report: onError });
  const abort = (id: string): void => jobs.abort(id);
  const channel = cancelChannel(prefix, queue);
  subscriber.on('message', (from: string, id: string) => {
    if (from === channel) abort(id);
  });

  const worker = new Worker(queue, jobs.process, {
    connection: clientOptions,
    prefix,
    concurrency,
    stalledInterval,
    lockDuration,
    maxStalledCount: 0,
    autorun: false,
  });
  worker.on('error', report);
  // Emitted once BullMQ saved the job's end (see JobProcessor.ended: the job's cancel key goes then).
  worker.on('completed', (job) => job.id !== undefined && jobs.ended(job.id));
  worker.on('failed', (job) => job?.id !== undefined && jobs.ended(job.id));

  const what = `Redis at ${describeConnection(connection)}`;
  let closed: Promise<void> | undefined;
  const close = (options?: unknown): Promise<void> => {
    let graceMs: number;
    try {
      graceMs = readCloseGraceMs(options);
    } catch (error) {
      return Promise.reject(error);
    }
    closed ??= (async () => {
      closing = true;
      // Finishing the running jobs saves their results, and the quits wait for answers: against a server that is
      // gone or silent (paused, half-open TCP) they would wait forever. Stop waiting once a probe goes unanswered for
      // `unreachableMs` (or the connection is lost), and end the connections instead.
      const watch = new RedisReachability(redis, unreachableMs, what, { onUnreachable: () => undefined, onReachable: () => undefined, busy: () => true });
      watch.probe();
      const gone = watch.whenDown().then(() => 'gone' as const);
      // BullMQ's close waits for every running job, and a task may never end (or take longer than the host may wait):
      // past the grace, the host stops its jobs (each saves WorkerCrashedError saying so) and the close ends.
      const finished = worker.close().then(() => 'finished' as const, () => 'finished' as const);
      let grace: DelayedCall | undefined;
      const graceOver = new Promise<'grace-over'>((resolve) => (grace = realTimeScheduler.callLater(graceMs, () => resolve('grace-over'))));
      let ended = await Promise.race([finished, gone, graceOver]);
      if (grace?.active() === true) grace.cancel();
      if (ended === 'grace-over') {
        jobs.stopAll(`its close() grace of ${graceMs} ms passed`);
        ended = await Promise.race([finished, gone]);
      }
      if (ended === 'gone') {
        // No running job's result can be saved now, and BullMQ's close waits for every running job: stop them (their
        // tasks see `signal` abort; the pool's close below ends their threads). Their callers fail them by their own
        // watch, or re-run them once Redis is back (a stopped task left no returned mark).
        jobs.stopAll('Redis was out of reach');
        // BullMQ's close still tries to save the stopped jobs' outcomes: bounded by `unreachableMs`, once the
        // connections are ended (a save on an ended connection fails at once).
        let bound: DelayedCall | undefined;
        await Promise.race([
          Promise.allSettled([worker.disconnect(), worker.close()]),
          new Promise<void>((resolve) => (bound = realTimeScheduler.callLater(unreachableMs, resolve))),
        ]);
        if (bound?.active() === true) bound.cancel();
      }
      await pool.close(0);
      await Promise.race([Promise.allSettled([directory.leave(), subscriber.quit(), redis.quit(), large.close()]), gone]);
      watch.stop();
      // Resolved once their sockets closed, not at the server's answer to QUIT: nothing of ours is left open then.
      await Promise.all([endConnection(subscriber), endConnection(redis), large.disconnect()]);
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
