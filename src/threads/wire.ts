/**
 * The messages between the main thread and greenreactor's worker entry.
 *
 * Kept in one place so both sides agree. A task's success is its value; its failure (or skip) is a tagged
 * `TaskOutcome`; any other rejection of Piscina's promise means the worker or the message failed — a crash, not a
 * thrown error. Run timings travel through shared memory (see `CancelSlots`), not in the messages.
 *
 * @module
 */
import type { SerializedError } from './error-transport.js';

/** Run one export: `moduleUrl#exportName(...args)`, guarded by cancellation slot `slot`. */
export interface TaskRequest {
  readonly moduleUrl: string;
  readonly exportName: string;
  readonly args: readonly unknown[];
  /** The task's cancellation slot (every task has one). */
  readonly slot: number;
  /** When set, run these calls one after another instead (callMultipleInThread); stop at the first error. */
  readonly calls?: ReadonlyArray<readonly [moduleUrl: string, exportName: string, args: readonly unknown[]]>;
}

/** Tag of what the worker entry throws to report a task's outcome other than success. */
export const outcomeTag = '@greenreactor/outcome';

/**
 * How a task ended when it did not succeed, as the worker entry reports it.
 *
 * A success is the task's value itself, returned to Piscina as is (so a value marked with `transferResult` is
 * moved by Piscina, and nothing wraps or copies it). Anything else is thrown as one of these plain objects, which
 * Piscina clones as the task's error: the task's own error (flattened, to keep its fidelity), or "skipped" (the
 * slot was cancelled before the task started: it did not run). Piscina rejections that are not tagged this way
 * are the worker's death, a full queue or an uncloneable message.
 */
export type TaskOutcome =
  | { readonly tag: typeof outcomeTag; readonly status: 'failed'; readonly error: SerializedError }
  | { readonly tag: typeof outcomeTag; readonly status: 'skipped' };

/**
 * Tells whether a Piscina rejection is a task outcome reported by the worker entry.
 * @param value - what Piscina rejected with.
 */
export function isTaskOutcome(value: unknown): value is TaskOutcome {
  return typeof value === 'object' && value !== null && (value as { tag?: unknown }).tag === outcomeTag;
}

/** Tag on worker → main messages that belong to greenreactor (Piscina forwards other worker messages too). */
export const callTag = '@greenreactor/call';

/** A worker's call into a function the main thread exposed. */
export interface ThreadCallRequest {
  readonly tag: typeof callTag;
  /** Call id, unique per worker; the reply carries it. */
  readonly id: number;
  readonly threadId: number;
  readonly name: string;
  readonly args: readonly unknown[];
  /** `true` for `blockingCallFromThread` (a reply is awaited), `false` for `callFromThread`. */
  readonly wait: boolean;
  /** Sent with a worker's first call: the port to reply on and the word to notify after replying. */
  readonly channel?: { readonly replies: import('node:worker_threads').MessagePort; readonly wake: Int32Array };
}

/** The main thread's answer to a blocking call. */
export type ThreadCallReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };
