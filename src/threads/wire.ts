/**
 * The messages between the main thread and greenreactor's worker entry.
 *
 * Kept in one place so both sides agree. A task's reply is always a `TaskReply` (the worker entry never lets a
 * task's error escape to Piscina), so any rejection of Piscina's promise means the worker or the message failed —
 * a crash, not a thrown error.
 *
 * @module
 */
import type { SerializedError } from './error-transport.js';

/** Run one export: `moduleUrl#exportName(...args)`, guarded by cancellation slot `slot`. */
export interface TaskRequest {
  readonly moduleUrl: string;
  readonly exportName: string;
  readonly args: readonly unknown[];
  /** The task's cancellation slot, or -1 when the pool ran out of slots. */
  readonly slot: number;
  /** When set, run these calls one after another instead (callMultipleInThread); stop at the first error. */
  readonly calls?: ReadonlyArray<readonly [moduleUrl: string, exportName: string, args: readonly unknown[]]>;
}

/** How a task ended, as the worker reports it. */
export type TaskReply =
  | {
      readonly status: 'succeeded';
      readonly value: unknown;
      /** When the task started, in ms since the epoch (`performance.timeOrigin + performance.now()`). */
      readonly startedAt: number;
      /** How long it ran, in ms. */
      readonly runMs: number;
    }
  | { readonly status: 'failed'; readonly error: SerializedError; readonly startedAt: number; readonly runMs: number }
  /** The slot was cancelled before the task started: it did not run. */
  | { readonly status: 'skipped' };

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
