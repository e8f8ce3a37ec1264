/**
 * `RemoteBackend`: what the reactor needs from a distributed engine to offer the `remote` route (SPEC §11).
 *
 * Who may call what: the reactor (and only it) calls `call`, `stats` and `close`; a backend never reaches back into
 * the reactor, it gets what it needs per call ({@link RemoteCallContext}). The interface lives here, outside
 * `src/remote-bullmq/`, so the core never imports an engine: `import 'greenreactor'` loads no BullMQ code, and the
 * only module that does is the `greenreactor/remote-bullmq` entry point that makes a backend.
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import type { Task } from '../task/task.js';
import type { Percentiles, ThreadPoolStats } from '../threads/thread-pool-stats.js';
import type { CallDeadline } from '../context/call-deadline.js';
import type { CarriedContext } from '../context/context-carrier.js';
import type { Scheduler } from '../time/scheduler.js';

/** What a backend is told about one call besides the task and its arguments. */
export interface RemoteCallContext {
  /** The reactor's clock: the caller-side `timeoutMs` counts on it. */
  readonly clock: Scheduler;
  /** The dispatch site (an object whose `stack` was captured where the call was made), appended to remote errors. */
  readonly site?: { readonly stack?: string } | undefined;
  /**
   * The call's limits (SPEC §10): the task's `timeoutMs` and the caller's `withDeadline` scope, as `timeoutMs`
   * from now (on `clock`) and `wallAt` (ms since the epoch, what `deadline()` reads on the host). `undefined`: no
   * limit. Already checked not to be past when the backend is called.
   */
  readonly deadline?: CallDeadline | undefined;
  /**
   * The caller's carried context (SPEC §10: every registered carrier's `capture`, limited by policy
   * `context.carry`), already captured; the host restores it around the task. `undefined`: nothing to carry.
   */
  readonly carried?: CarriedContext | undefined;
}

/**
 * Median and 99th percentile of a time, in ms: the thread path's {@link Percentiles}, under the name the remote
 * entry point has exported since it exists.
 */
export type RemotePercentiles = Percentiles;

/**
 * A snapshot of a backend's activity; `reactor.stats().remote`. The outcome counters, `inFlight` and the per-task
 * times mean what they mean on the thread path ({@link ThreadPoolStats}), counted per remote call.
 */
export interface RemoteStats
  extends Pick<ThreadPoolStats, 'completed' | 'failed' | 'cancelled' | 'timedOut' | 'crashed' | 'retried' | 'inFlight' | 'tasks'> {
  /** The engine, e.g. `'bullmq'`. */
  readonly engine: string;
  /** Calls made (each retry is not a new call). */
  readonly calls: number;
  /** Results the reconcile poll delivered because the engine's event for them never came. */
  readonly reconciled: number;
  /** Time from dispatch to the start on a host, every task together. */
  readonly waitMs: Percentiles;
  /** Time the task ran on its host, every task together. */
  readonly runMs: Percentiles;
  /** For results the reconcile poll delivered: how late, from the job's end on its host to delivery (ms). */
  readonly reconcileLagMs: Percentiles & { readonly max: number };
}

/**
 * A distributed engine behind `reactor.deferToRemote` and the `remote` route.
 *
 * A backend owes the reactor the same Deferred contract as every route: `call` never throws (bad input errbacks
 * with a named error), the Deferred fires exactly once, `cancel()` errbacks it with `CancelledError` at once and
 * stops the remote run, the task's `timeoutMs` ends it with `TimeoutError`. `close` is the reactor's `stop()`.
 */
export interface RemoteBackend {
  /** The engine's name, for `explain()` and `stats()` (e.g. `'bullmq'`). */
  readonly engine: string;
  /**
   * Runs `task(...args)` on a remote host.
   * @param task - the task (its module and export name travel, never code).
   * @param args - its arguments (serialized with `node:v8`).
   * @param context - the reactor's clock and the dispatch site.
   * @returns a Deferred of the task's result.
   */
  call(task: Task, args: readonly unknown[], context: RemoteCallContext): Deferred<unknown>;
  /**
   * Optional: whether the job behind `d`, a Deferred this backend's `call` returned that has failed (cancelled, timed
   * out, past its deadline), still runs on its host; if so, calls `ended` once the job's answer came (its host finished
   * or aborted it, the job is gone, or `close` gave up on it) and returns true. Any other Deferred, or a job that is
   * over: false. A rule's bulkhead (`maxConcurrent`) keeps the call's place until then (SPEC §7: at most N at a time),
   * while its caller has its error at once. Absent, the place frees as the call's Deferred fails. The reactor calls it
   * only for a failed call; it must not throw (a throw counts as false) and calls `ended` at most once (more are
   * ignored), never from inside this method.
   * @param d - a Deferred that has failed.
   * @param ended - called once, later, when the job ended.
   * @returns true when `ended` will be called.
   */
  whenJobEnds?(d: Deferred<unknown>, ended: () => void): boolean;
  /** @returns a snapshot of the backend's counters and times. */
  stats(): RemoteStats;
  /**
   * Stops taking work, lets pending calls finish within `graceMs`, then errbacks the rest with
   * `ReactorStoppedError` (telling their hosts to abort) and closes every connection.
   * @param graceMs - how long pending calls may still take.
   * @returns a promise that resolves once every connection is closed; it never rejects.
   */
  close(graceMs: number): Promise<void>;
}

/**
 * Tells whether `value` looks like a {@link RemoteBackend} (checked by `new Reactor({ remote })`); never throws.
 * @param value - anything.
 * @returns true when it has `call`, `stats` and `close` functions; false also when reading one of them throws (a
 *   throwing getter, a revoked Proxy), so that the constructor reports a bad `remote` as such, not the getter's error.
 */
export function isRemoteBackend(value: unknown): value is RemoteBackend {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  try {
    return typeof v.call === 'function' && typeof v.stats === 'function' && typeof v.close === 'function';
  } catch {
    return false;
  }
}
