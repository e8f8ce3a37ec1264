/**
 * The options of `runRemoteWorker`, field by field, and the host it returns.
 *
 * @module
 */
import type { RedisConnectionOptions } from './redis-connection-options.js';

/** Options of `runRemoteWorker`. */
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
