/**
 * `JobProcessor`: a worker host's BullMQ processor — how one job becomes one run of its task in the host's pool, and
 * one {@link RemoteOutcome}.
 *
 * Invariants:
 * - {@link JobProcessor.process} never throws: every end of a job is a returned outcome (a job whose data is not a
 *   greenreactor job's included), so BullMQ retries nothing by itself. The one exception is BullMQ's `DelayedError`,
 *   which is no failure: it gives a job this host does not serve back to the queue, for the live host that
 *   advertises its task (see `HostDirectory`).
 * - A job is skipped (never run) when a cancel for it came first (its cancel key, or a message remembered by
 *   {@link JobProcessor.abort}) or its deadline passed before it starts; a running job is aborted by `abort`.
 * - A job takes a BullMQ slot only while it can have a thread: a job whose task was stopped (a cancel, its deadline)
 *   but runs on in its thread, deaf to its signal, ends only once that thread lets go of it (the task ends, or the
 *   pool's cancel grace ends the thread), or the host stops its jobs. So BullMQ never takes a job that would wait in
 *   the pool for a thread: a job stays in the queue, for any host, until one can start it.
 * - Once the host stopped its jobs ({@link JobProcessor.stopAll}: its close's grace passed, or Redis is out of
 *   reach), a running job ends with `WorkerCrashedError` saying its host closed mid-task (its caller re-runs it under
 *   `retries`, as for a host that died), and a job taken but whose task no thread started yet goes back to the
 *   queue, unrun — one not handed to the pool yet, one whose carriers' asynchronous `restore` is still pending, one
 *   waiting in the pool for a thread (a replacement starting): the pool says, right after the job's run is cancelled,
 *   whether a thread ever started it (`taskStarted`). No task starts after that, so BullMQ's close, which waits for
 *   every job, ends.
 * - A task that returned or threw (its thread did not die) is recorded in its job's hash before its outcome is
 *   returned for BullMQ to save (see `returned-mark.ts`).
 *
 * Contract with the host (`run-remote-worker.ts`): the host owns the connections, the pool and the directory and
 * lends them here ({@link JobProcessorDeps}); the jobs running and the cancels remembered are this class's alone. The
 * host passes `process` to BullMQ's `Worker`, calls `abort` for each cancel message, `ended` for each job BullMQ
 * completed or failed on it, and `stopAll` when it closes past its grace or with Redis out of reach.
 *
 * @module
 */
import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import type { CarriedContext } from '../context/context-carrier.js';
import { restoreAroundDeferred } from './restore-around-deferred.js';
import { runUntilWallTime } from '../context/deadline-scope.js';
import type { Deferred } from '../deferred/deferred.js';
import type { Failure } from '../deferred/failure.js';
import { DataCloneError, WorkerCrashedError } from '../errors.js';
import { safeString } from '../safe-string.js';
import { taskFrom } from '../task/task.js';
import type { ThreadPool } from '../threads/thread-pool.js';
import { taskStarted, whenWorkerLetsGo } from '../threads/thread-task-run.js';
import type { HostDirectory } from './host-directory.js';
import { errorOutcome, valueOutcome, type ValueLimitCheck } from './host-outcome.js';
import { ReturnedMarks } from './returned-mark.js';
import type { TaskRegistry } from './task-registry.js';
import {
  cancelKey,
  decodeValue,
  isRemoteJobData,
  jobKey,
  quotedTextLength,
  type RemoteJobData,
  type RemoteOutcome,
  type RemoteTimes,
} from './remote-wire.js';

/** What the host lends a {@link JobProcessor}. */
export interface JobProcessorDeps {
  /** The tasks this host serves. */
  readonly registry: TaskRegistry;
  /** The host's threads. */
  readonly pool: ThreadPool;
  /** The host's client (cancel keys, returned marks). */
  readonly redis: Redis;
  /** Which live hosts serve which tasks. */
  readonly directory: HostDirectory;
  readonly prefix: string;
  readonly queue: string;
  /** Tells whether an outcome of a given size is over the server's value limit. */
  readonly overLimit: ValueLimitCheck;
  /** The host's `onError`: told when a returned mark cannot be written, once per outage (see returned-mark.ts). */
  readonly report: (error: unknown) => void;
}

/** A job this host runs now, and whether (and why) the host stopped it: a cancel, or the host closing. */
interface RunningJob {
  readonly deferred: Deferred<unknown>;
  /** The task's run in the host's pool, once the carriers' restore started it. */
  readonly threadRun: Deferred<unknown> | undefined;
  stopped: 'no' | 'cancelled' | 'host-closed';
  /** Set by {@link JobProcessor.stopAll} when it stopped a job whose task no thread ever started (it goes back to the queue). */
  unstarted?: true;
  /** Set while its ended job waits for its thread to let go of a task deaf to its stop: ends that wait at once. */
  letGo?: () => void;
}

/** How long (ms) a job this host does not serve waits before it is offered again, per time it came here (see HostDirectory). */
const giveBackMs = 50;

/** The most a given-back job waits before it is offered again (ms). */
const maxGiveBackMs = 1000;

/** How many cancel messages for jobs not (yet) running here are remembered (closes the start-up race). */
const recentCancels = 10_000;

/** One host's processor (see the module's invariants and contract). */
export class JobProcessor {
  readonly #deps: JobProcessorDeps;
  readonly #running = new Map<string, RunningJob>();
  readonly #cancelled = new Set<string>();
  readonly #marks: ReturnedMarks;
  /** Why the host stopped its jobs (see {@link JobProcessor.stopAll}), once it did. */
  #closedBecause: string | undefined;

  /** @param deps - what the host lends. */
  constructor(deps: JobProcessorDeps) {
    this.#deps = deps;
    this.#marks = new ReturnedMarks(deps.redis, deps.report);
  }

  /**
   * Stops every job running here, and any taken later (the host is closing): a running one's task sees its `signal`
   * abort (its thread ends with the pool) and its job ends with `WorkerCrashedError` saying `why`; a job not started
   * yet goes back to the queue, unrun.
   * @param why - why the host stopped them, for the callers' message (its grace passed, Redis is out of reach).
   */
  stopAll(why: string): void {
    this.#closedBecause ??= why;
    for (const job of this.#running.values()) {
      job.letGo?.(); // its thread ends with the pool: its outcome is saved now, so that BullMQ's close ends
      if (job.stopped !== 'no') continue;
      job.stopped = 'host-closed';
      job.deferred.cancel();
      // Read right after the cancel: a task no thread started by then never starts (a carrier's restore still
      // pending, or its thread still starting): the job goes back to the queue, unrun, for another host.
      if (job.threadRun === undefined || !taskStarted(job.threadRun)) job.unstarted = true;
    }
  }

  /**
   * A cancel for job `id` (its message on the cancel channel, or the host closing): aborts it if it runs here, else
   * remembers it (the most recent {@link recentCancels}), so that the job is skipped if it comes here later.
   * @param id - the job's id.
   */
  abort(id: string): void {
    const job = this.#running.get(id);
    if (job !== undefined) {
      if (job.stopped === 'no') job.stopped = 'cancelled';
      job.deferred.cancel();
      return;
    }
    this.#cancelled.add(id);
    if (this.#cancelled.size > recentCancels) this.#cancelled.delete(this.#cancelled.values().next().value!);
  }

  /**
   * Job `id`, which this host took, ended and BullMQ saved its end: no host can take it again, so its cancel key (if
   * its caller set one) has done its work and goes, as does a cancel remembered for it.
   *
   * Why the host deletes it: once a host ended the job, its key is that host's (see `cancelKey` in remote-wire.ts);
   * the caller, which removes the job when it hears of its end, leaves the key alone. A caller that stopped (or lost
   * the event) never hears of that end: when the caller deleted it, its key stayed in Redis for its hour. Deleted only after BullMQ saved the end, a key a
   * cancel sets meanwhile goes too: the caller's removal of the job came before that save (it failed: the job was
   * held), so its key was set before it.
   * @param id - the job's id.
   */
  ended(id: string): void {
    const { redis, prefix, queue } = this.#deps;
    this.#cancelled.delete(id);
    // Never rejects: a key left behind (Redis out of reach, the host closing) expires after its TTL.
    redis.del(cancelKey(prefix, queue, id)).catch(() => undefined);
  }

  // Never throws: a processor that throws fails the job at BullMQ level, which the caller reads as a foreign worker's
  // failure (see RemoteCall.failedOnHost). Whatever goes wrong before the task runs (a job whose data someone edited
  // in Redis, a lost connection) ends as an `error` outcome.
  // The one exception is BullMQ's DelayedError, which is no failure: it gives a job this host does not serve back to
  // the queue, for the live host that advertises its task (see HostDirectory).
  readonly process = async (job: Job, token?: string): Promise<RemoteOutcome> => {
    const { registry, redis, directory, prefix, queue, overLimit } = this.#deps;
    const id = job.id ?? '';
    const data = job.data as unknown;
    const waited = Date.now() - job.timestamp;
    let started = performance.now();
    const times = (): RemoteTimes => ({ w: waited, r: performance.now() - started });
    let outcome: RemoteOutcome | 'give-back';
    try {
      if (!isRemoteJobData(data)) throw editedJob(id, job.name, data);
      if (this.#cancelled.delete(id) || (await redis.exists(cancelKey(prefix, queue, id))) === 1) return { s: 'skipped', why: 'cancelled' };
      if (data.d !== undefined && Date.now() >= data.d) return { s: 'skipped', why: 'deadline' };
      const elsewhere = !registry.serves(data.x) && (await directory.otherServes(data.x));
      // Checked after the last await before the job's entry in #running (see #run): a stopAll from now on stops it.
      if (elsewhere || this.#closedBecause !== undefined) outcome = 'give-back';
      else {
        started = performance.now();
        outcome = await this.#run(id, data, times);
      }
      if (outcome === 'give-back') {
        // Back in the queue a little later (longer each time it comes back here), for a host that serves it: another
        // host, or this one stopped its jobs (its close's grace passed) before the task started, and no task starts
        // here any more.
        await job.moveToDelayed(Date.now() + Math.min(giveBackMs * Math.max(1, job.attemptsStarted), maxGiveBackMs), token);
      }
    } catch (error) {
      return await errorOutcome(isRemoteJobData(data) ? data.x : safeString(job.name), error, overLimit, times());
    }
    if (outcome === 'give-back') throw new DelayedError();
    return outcome;
  };

  /**
   * Runs the task of job `id` in the pool and returns its outcome (throws when the task cannot be found or set up),
   * or `'give-back'` when the host stopped its jobs before the task started.
   */
  async #run(id: string, data: RemoteJobData, times: () => RemoteTimes): Promise<RemoteOutcome | 'give-back'> {
    const { registry, pool, prefix, queue, overLimit } = this.#deps;
    const found = registry.resolve(data.m, data.x);
    const task = taskFrom(found.moduleUrl, found.exportName);
    const args = decodeValue(data.a) as unknown[];
    const carried = data.c === undefined ? undefined : (decodeValue(data.c) as CarriedContext);
    // The host's pool captures every registered carrier at dispatch: restored here, the caller's context is what
    // it captures, and what the task's thread restores (a carrier the host never registered throws, unrun). The
    // task's own Deferred, whatever an asynchronous restore returns (see restore-around-deferred.ts).
    let threadRun: Deferred<unknown> | undefined;
    const run = (): Deferred<unknown> => restoreAroundDeferred(carried, () => (threadRun = pool.run(task, ...args)));
    // The caller's deadline as the wall time it is, not as "ms from now": the task's deadline() reads it exactly.
    const deferred = data.d === undefined ? run() : runUntilWallTime(pool.options.clock, data.d, run);
    const entry: RunningJob = {
      deferred,
      get threadRun() {
        return threadRun;
      },
      stopped: 'no',
    };
    this.#running.set(id, entry);
    if (this.#cancelled.delete(id)) this.abort(id); // a cancel that came while the job was being set up
    const settled = await new Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }>((resolve) => {
      deferred.addCallbacks(
        (value: unknown) => resolve({ ok: true, value }),
        (failure: Failure) => resolve({ ok: false, error: failure.value }),
      );
    });
    // A task deaf to its cancel (or deadline) holds its thread until it ends or the pool's cancel grace ends the thread.
    // Until then this job keeps its BullMQ slot: with it free, BullMQ would take the next job, which would wait in the
    // pool for that thread — taken from the queue (no other host could run it) yet not started, and stopped as
    // "closed mid-task" if the host closed meanwhile. The caller got its error at once; only the job's end waits.
    if (threadRun !== undefined && entry.stopped !== 'host-closed' && this.#closedBecause === undefined) {
      const held = threadRun;
      await new Promise<void>((resolve) => {
        entry.letGo = resolve;
        if (!whenWorkerLetsGo(held, resolve)) resolve();
      });
    }
    this.#running.delete(id);
    if (entry.unstarted === true) return 'give-back';
    if (entry.stopped === 'host-closed') {
      const error = new WorkerCrashedError(
        `The remote host running task \`${data.x}\` closed before the task ended (${this.#closedBecause ?? 'closing'}): the task was stopped mid-run, ` +
          'its outcome is unknown (it may have run in part or in full)',
        { task: data.x },
      );
      return errorOutcome(data.x, error, overLimit, times());
    }
    if (entry.stopped === 'cancelled') return { s: 'aborted', ...times() };
    // The task returned or threw (its thread did not die): record it before the result is saved, so that a caller
    // whose job stalls now (this host dies, or the save is refused) does not re-run it (see returned-mark.ts).
    if (settled.ok || (settled.error as { code?: unknown } | null)?.code !== 'ERR_WORKER_CRASHED') {
      await this.#marks.mark(jobKey(prefix, queue, id));
    }
    return settled.ok ? valueOutcome(data.x, settled.value, overLimit, times()) : errorOutcome(data.x, settled.error, overLimit, times());
  }
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
