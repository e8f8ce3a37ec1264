/**
 * The options of `runRemoteWorker`, field by field, and the host it returns.
 *
 * @module
 */
import { safeString } from '../safe-string.js';
import { thrownMessage } from '../task/thrown-message.js';
import { firstUnknownKey, unknownOptionMessage } from '../unknown-option.js';
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

/** Options of a host's `close()`. */
export interface RemoteWorkerCloseOptions {
  /**
   * How long (ms, a finite number ≥ 0) the running jobs may still take before the host stops them. A job stopped this
   * way ends with `WorkerCrashedError` saying its host closed mid-task (its caller re-runs it under `retries`, as for
   * a host that died); its task's `signal` aborts, and its thread ends with the host's pool.
   * @defaultValue 5000 (as `reactor.stop()`'s)
   */
  graceMs?: number;
}

/** The defaults of {@link RemoteWorkerCloseOptions}, in one table. */
export const defaultRemoteWorkerCloseOptions: Readonly<Required<RemoteWorkerCloseOptions>> = Object.freeze({ graceMs: 5000 });

const closeOptionNames = Object.keys(defaultRemoteWorkerCloseOptions);

/**
 * Reads a host's `close()` options, once, and checks them.
 *
 * Why finite: the grace bounds how long `close()` waits for running jobs; `Infinity` would bring back the close that
 * never ends while a task does not.
 * @param options - what the caller passed to `close()`.
 * @returns the grace in ms.
 * @throws TypeError when `options` is neither undefined nor an object, has a key that is not an option, or reading it
 *   throws; RangeError when `graceMs` is not a finite number ≥ 0.
 */
export function readCloseGraceMs(options: unknown): number {
  if (options === undefined) return defaultRemoteWorkerCloseOptions.graceMs;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` of the host's close() to be an object, got \`${safeString(options)}\` (${options === null ? 'null' : typeof options})`);
  }
  let graceMs: unknown;
  let unknown: string | undefined;
  try {
    graceMs = (options as RemoteWorkerCloseOptions).graceMs;
    unknown = firstUnknownKey(options, closeOptionNames);
  } catch (error) {
    throw new TypeError(`Reading the options of the host's close() threw: ${thrownMessage(error)}`, { cause: error });
  }
  if (unknown !== undefined) throw new TypeError(unknownOptionMessage(unknown, closeOptionNames, "the host's close()", 'its options are'));
  if (graceMs === undefined) return defaultRemoteWorkerCloseOptions.graceMs;
  if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0) {
    throw new RangeError(`Expected \`graceMs\` to be a finite number >= 0, got \`${safeString(graceMs)}\` (${typeof graceMs})`);
  }
  return graceMs;
}

/** A running worker host. */
export interface RemoteWorker {
  /** The export names of the tasks this host serves. */
  readonly tasks: readonly string[];
  /**
   * Stops taking jobs, lets the running ones finish within `graceMs`, then stops those still running (each one's
   * caller errbacks `WorkerCrashedError` saying its host closed mid-task, or re-runs it under `retries`), and closes
   * the threads and every connection: it always ends. With Redis out of reach (its connection lost, or a probe
   * unanswered for `unreachableMs`) it stops the running jobs at once (their results could not be saved) and ends:
   * at once when the connection is lost, after `unreachableMs` against a server that keeps it open without
   * answering. A second call returns the first one's promise (its grace counts).
   * @param options - `graceMs` (default 5000).
   * @returns resolves once everything is closed; rejects (closing nothing) with TypeError or RangeError for invalid
   *   options.
   */
  close(options?: RemoteWorkerCloseOptions): Promise<void>;
}
