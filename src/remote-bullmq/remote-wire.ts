/**
 * The remote route's wire format: what a job carries to a host and what the host returns, in one place both sides
 * import (the caller's backend and the worker host), neither importing the other.
 *
 * Invariants:
 * - Arguments and values travel as `node:v8` serializations (structured clone, like the thread path), base64 in
 *   BullMQ's JSON job data; errors travel as the thread path's `SerializedError`, serialized the same way.
 * - A host never throws out of its BullMQ processor: every way a task can end is a returned {@link RemoteOutcome}, so
 *   BullMQ retries nothing by itself. The only BullMQ-level failure of a job a greenreactor host ran is a stalled
 *   job (its host died, {@link hostDiedReasons}), which the caller maps to `WorkerCrashedError` and `retries`; any
 *   other is what a foreign worker threw (`DataCloneError`, never retried).
 * - Cancellation goes through Redis, not BullMQ: the caller sets the job's cancel key (a host checks it before it
 *   starts a job) and publishes the job id on the queue's cancel channel (a host running the job aborts it).
 *
 * @module
 */
import { deserialize, serialize } from 'node:v8';
import { safeString } from '../safe-string.js';
import type { SerializedError } from '../threads/error-transport.js';

/** A job's data: which task, its arguments, its deadline, the caller's carried context. */
export interface RemoteJobData {
  /** The task's module URL on the caller's machine. */
  readonly m: string;
  /** The task's export name. */
  readonly x: string;
  /** The arguments array, `node:v8`-serialized, base64. */
  readonly a: string;
  /** The absolute deadline (`Date.now()` scale) past which the task must not run or keep running, if any. */
  readonly d?: number;
  /** The caller's carried context (carrier name → captured value), `node:v8`-serialized, base64; only when present. */
  readonly c?: string;
}

/**
 * Tells whether a job's data is a {@link RemoteJobData} (as far as a host reads it): a job someone edited in Redis,
 * or another service added to the queue, may hold anything.
 * @param value - the job's data, as BullMQ parsed it from JSON.
 */
export function isRemoteJobData(value: unknown): value is RemoteJobData {
  if (typeof value !== 'object' || value === null) return false;
  const data = value as Partial<Record<keyof RemoteJobData, unknown>>;
  return (
    typeof data.m === 'string' &&
    typeof data.x === 'string' &&
    typeof data.a === 'string' &&
    (data.d === undefined || typeof data.d === 'number') &&
    (data.c === undefined || typeof data.c === 'string')
  );
}

/** Times a host measured for a job: wait from dispatch to start, and run, in ms. */
export interface RemoteTimes {
  /** From the job's creation to its start on the host (ms; across machines, subject to clock skew). */
  readonly w: number;
  /** How long the task ran (ms). */
  readonly r: number;
}

/**
 * How a job ended on its host.
 * - `ok`: the task returned; `v` is its value (`node:v8`, base64).
 * - `error`: the task threw (or could not be found, or its value could not be serialized); `e` is the
 *   `SerializedError` (`node:v8`, base64).
 * - `skipped`: the job was cancelled, or its deadline passed, before it started: it never ran.
 * - `aborted`: the caller cancelled it while it ran, or the host stopped it at its deadline; the caller has already
 *   settled the call.
 */
export type RemoteOutcome =
  | ({ readonly s: 'ok'; readonly v: string } & RemoteTimes)
  | ({ readonly s: 'error'; readonly e: string } & RemoteTimes)
  | { readonly s: 'skipped'; readonly why: 'cancelled' | 'deadline' }
  | ({ readonly s: 'aborted' } & RemoteTimes);

/**
 * Serializes a value for the wire.
 * @param value - anything structured-cloneable.
 * @returns the base64 of its `node:v8` serialization.
 * @throws Error when the value cannot be cloned (a function, a symbol, a `SharedArrayBuffer`…).
 */
export function encodeValue(value: unknown): string {
  return serialize(value).toString('base64');
}

/**
 * Reverses {@link encodeValue}.
 * @param text - base64 of a `node:v8` serialization.
 * @returns the value.
 */
export function decodeValue(text: string): unknown {
  return deserialize(Buffer.from(text, 'base64'));
}

/**
 * Encodes a serialized error for an `error` outcome; never throws.
 *
 * Why a fallback: the thread path's error transport keeps every part of an error that structured clone accepts,
 * and structured clone accepts values `node:v8` refuses (a `SharedArrayBuffer`, a `Blob`, other Node host objects).
 * Had this thrown, the host's processor would have failed the job at BullMQ level, which the caller reads as a dead
 * host: `WorkerCrashedError` instead of the task's error, and a re-run with `retries`. So any part `node:v8` refuses
 * (the thrown value, `code`, an own property, down the `cause` chain) travels as its `String()`, as the thread path
 * does for what structured clone refuses.
 * @param error - the error as the thread path's error transport flattened it.
 * @returns the wire text.
 */
export function encodeError(error: SerializedError): string {
  try {
    return encodeValue(error);
  } catch {
    return encodeValue(wireSafeError(error));
  }
}

/** `error` with every part `node:v8` cannot serialize replaced by its `String()`. */
function wireSafeError(error: SerializedError): SerializedError {
  const props: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error.props)) props[key] = wireSafe(value);
  return {
    ...error,
    code: wireSafe(error.code),
    value: wireSafe(error.value),
    props,
    cause: error.cause === undefined ? undefined : wireSafeError(error.cause),
  };
}

function wireSafe(value: unknown): unknown {
  try {
    serialize(value);
    return value;
  } catch {
    return safeString(value);
  }
}

/**
 * Tells whether a job's return value is a {@link RemoteOutcome} (BullMQ hands it back parsed from JSON).
 * @param value - the job's return value.
 */
export function isRemoteOutcome(value: unknown): value is RemoteOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const s = (value as { s?: unknown }).s;
  return s === 'ok' || s === 'error' || s === 'skipped' || s === 'aborted';
}

/**
 * The reasons BullMQ fails a job with when its host died (it stalled more often than `maxStalledCount` allows, or
 * was started more often than `maxStartedAttempts`). A greenreactor host never throws out of its processor, so
 * these are the only BullMQ-level failures of a job it ran; any other reason is what a processor that is not a
 * greenreactor host threw.
 */
export const hostDiedReasons: ReadonlySet<string> = new Set(['job stalled more than allowable limit', 'job started more than allowable limit']);

/** How much of a foreign text (a thrown message, a failure reason) a message quotes (characters). */
export const quotedTextLength = 200;

/**
 * Quotes the start of `text` for a message: JSON-quoted, cut at {@link quotedTextLength} characters.
 * @param text - the text (any length).
 */
export function quoteStart(text: string): string {
  return JSON.stringify(text.length > quotedTextLength ? `${text.slice(0, quotedTextLength)}…` : text);
}

/**
 * The Redis pub/sub channel on which callers publish the ids of jobs to abort.
 * @param prefix - BullMQ's key prefix (`'bull'` by default).
 * @param queue - the queue's name.
 */
export function cancelChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:greenreactor:cancel`;
}

/**
 * The key a caller sets when it cancels a job; a host checks it before starting the job.
 *
 * Its life, and its one owner at each point (the caller's `bullmq-backend.ts`, the host's `job-processor.ts`): the
 * caller sets it (with a TTL of {@link cancelKeyTtlMs}) as it aborts the job. While no host has ended the job, it is
 * the caller's: the caller deletes it when the job was never sent, when its own removal took the job out of the queue
 * (at the abort, or right after an add that was in flight then), or when the job vanished. Once a host ended the job
 * (BullMQ saved its end on that host), it is that host's, which deletes it then, whether or not the caller is still
 * there to hear of the end; the caller, hearing of it (its event, the reconcile poll), removes the job but not the
 * key. One DEL per key, but for a job that ended on its host just before the caller's abort removed it: both delete
 * it then, and the second finds nothing. A key nobody deletes (a foreign worker ended the job, Redis was out of
 * reach) expires with its TTL.
 * @param prefix - BullMQ's key prefix.
 * @param queue - the queue's name.
 * @param jobId - the job's id.
 */
export function cancelKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:${queue}:greenreactor:cancelled:${jobId}`;
}

/**
 * The hash BullMQ keeps job `jobId` in (BullMQ's `toKey(jobId)`), where its host records the returned mark (see
 * `returned-mark.ts`).
 * @param prefix - BullMQ's key prefix.
 * @param queue - the queue's name.
 * @param jobId - the job's id.
 */
export function jobKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:${queue}:${jobId}`;
}

/**
 * The hash in which the queue's hosts advertise the tasks they serve (see `HostDirectory`).
 * @param prefix - BullMQ's key prefix.
 * @param queue - the queue's name.
 */
export function hostsKey(prefix: string, queue: string): string {
  return `${prefix}:${queue}:greenreactor:hosts`;
}

/** How long a cancel key lives (ms): far longer than a job waits in practice, short enough not to pile up. */
export const cancelKeyTtlMs = 3_600_000;

/** How long BullMQ keeps a finished job the caller has not removed (s): the safety net for a caller that died. */
export const finishedJobAgeS = 3600;
