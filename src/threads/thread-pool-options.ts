/**
 * `ThreadPoolOptions`: how a `ThreadPool` sizes, queues and cancels; with their defaults and validation.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import type { Scheduler } from '../time/scheduler.js';
import { realTimeScheduler } from '../time/real-time-scheduler.js';
import { expectScheduler } from '../time/expect-scheduler.js';
import { describeValue } from '../describe-value.js';
import { expectInRange, heapMbRange, stackMbRange, threadCountRange, type OptionRange } from '../option-ranges.js';

/** How calls waiting for a worker are coalesced into one message (SPEC §7 `threads.coalesce`). */
export interface CoalesceOptions {
  /**
   * Most calls in one message.
   * @defaultValue 64
   */
  maxBatch?: number;
  /**
   * A call whose arguments are estimated larger than this (bytes) travels alone.
   * @defaultValue 4096
   */
  maxArgBytes?: number;
  /**
   * The longest a worker running a batch aims to hold a finished result before sending it (ms): results are held to
   * leave together, and sent before a call that may take them past this (a call that runs far longer than its task's
   * recent runs still keeps them until it ends). See {@link CoalesceOptions.keepFinished} for a worker that dies
   * while it holds some.
   * @defaultValue 2
   */
  flushMs?: number;
  /**
   * Keeps the results of calls that finished while the worker still holds them for the next flush, whatever becomes
   * of the worker (terminated after a cancel grace, out of memory, `process.exit`, an uncaught error): each finished
   * result is posted at once on a port of the worker's own that the main thread reads at each flush, reply or death.
   * Off, a worker that dies loses the results it held (those calls errback `WorkerCrashedError`, saying they ran).
   * It costs main-thread CPU per coalesced call (see docs/threads.md).
   * @defaultValue false
   */
  keepFinished?: boolean;
}

/** {@link CoalesceOptions} with every default filled in. */
export type ResolvedCoalesceOptions = Readonly<Required<CoalesceOptions>>;

/** The coalescing defaults (see {@link CoalesceOptions}). */
export const defaultCoalesceOptions: ResolvedCoalesceOptions = Object.freeze({ maxBatch: 64, maxArgBytes: 4096, flushMs: 2, keepFinished: false });

/**
 * When a worker is replaced (SPEC §7 `threads.recycle`): past any limit it gets no new task, its replacement starts
 * at once, and it leaves once its current tasks are done. Recycling never fails a task and never counts as a crash.
 * Meant for task code that leaks (memory, handles, global state).
 */
export interface RecycleOptions {
  /** Tasks a worker starts in its life; the next ones go to other workers (exact, also within coalesced batches). */
  maxTasks?: number;
  /**
   * Heap in use (MiB, uncollected garbage included) a worker may reach: measured after each task, and past it the
   * worker starts nothing more. Costs a heap-statistics read per task while set.
   */
  maxHeapMb?: number;
  /** How long (ms, on the pool's `clock`) a worker serves from when it came up; checked when a task is placed. */
  maxAgeMs?: number;
}

/** {@link RecycleOptions} as resolved: only the limits that are set. */
export type ResolvedRecycleOptions = Readonly<RecycleOptions>;

/** Options of a {@link ThreadPool}; the `threads` section of a policy config maps onto them. */
export interface ThreadPoolOptions {
  /**
   * Workers kept alive while idle (they hold no handle open, so an idle process still exits).
   * @defaultValue `max(1, floor(availableParallelism() / 2))`
   */
  minThreads?: number;
  /**
   * Most workers at once.
   * @defaultValue `max(minThreads, availableParallelism())`
   */
  maxThreads?: number;
  /**
   * How long (ms) an idle worker above `minThreads` lives.
   * @defaultValue 1000
   */
  idleTimeoutMs?: number;
  /**
   * Most tasks waiting for a worker; past it a dispatch errbacks with `QueueFullError`. `0` = no waiting at all.
   * @defaultValue `Infinity` (unbounded)
   */
  maxQueue?: number;
  /**
   * Tasks one worker runs at once (useful for async tasks); each still sees its own `signal` and `cancelled()`.
   * @defaultValue 1
   */
  concurrentTasksPerWorker?: number;
  /**
   * V8 heap and stack limits of each worker; a worker that exceeds them dies and its task errbacks with
   * `WorkerCrashedError`.
   * @defaultValue undefined (Node's defaults)
   */
  resourceLimits?: ResourceLimits;
  /**
   * How long (ms, on `clock`) a cancelled or timed-out task may keep running before its worker is terminated.
   * @defaultValue 1000
   */
  cancelGraceMs?: number;
  /**
   * Where task timeouts and cancel grace periods are measured; pass a `Clock` in tests.
   * @defaultValue the real-time scheduler
   */
  clock?: Scheduler;
  /**
   * Append the dispatch site (the caller's stack) to errors coming back from a worker. One stack capture (about
   * 2 µs) per task per synchronous run of dispatches: further calls of the task in the same run share it, and an
   * error then says its site is the first of those calls' (a task that failed once captures every call's own).
   * @defaultValue true
   */
  captureDispatchSite?: boolean;
  /**
   * Calls of small tasks waiting for a worker travel to it together in one message, each keeping its own
   * Deferred, cancellation, timeout, error and stats. A call is never held back to fill a batch: batches form only
   * from calls that wait anyway. Calls with a `transfer` list or larger arguments travel alone. `false` sends every
   * call in a message of its own.
   * @defaultValue on, with {@link defaultCoalesceOptions}
   */
  coalesce?: false | CoalesceOptions;
  /**
   * Replace workers past a limit (see {@link RecycleOptions}); an object with no limit set is the same as none.
   * @defaultValue undefined (workers are never recycled)
   */
  recycle?: RecycleOptions;
}

/** Options with every default filled in. */
export type ResolvedThreadPoolOptions = Required<Omit<ThreadPoolOptions, 'resourceLimits' | 'coalesce' | 'recycle'>> &
  Pick<ThreadPoolOptions, 'resourceLimits'> & { readonly coalesce: ResolvedCoalesceOptions | false; readonly recycle?: ResolvedRecycleOptions };

const cpus = availableParallelism();

/** The defaults, field by field (see {@link ThreadPoolOptions}). */
export const defaultThreadPoolOptions: Readonly<Omit<ResolvedThreadPoolOptions, 'maxThreads'> & { maxThreads: number | undefined }> =
  Object.freeze({
    minThreads: Math.max(1, Math.floor(cpus / 2)),
    maxThreads: undefined,
    idleTimeoutMs: 1000,
    maxQueue: Number.POSITIVE_INFINITY,
    concurrentTasksPerWorker: 1,
    cancelGraceMs: 1000,
    clock: realTimeScheduler,
    captureDispatchSite: true,
    coalesce: defaultCoalesceOptions,
  });

/** The resource limits a worker takes, each with its range (option-ranges.ts: the policy schema reads the same). */
const resourceLimitRanges: Readonly<Record<keyof ResourceLimits, OptionRange>> = {
  maxOldGenerationSizeMb: heapMbRange,
  maxYoungGenerationSizeMb: heapMbRange,
  codeRangeSizeMb: heapMbRange,
  stackSizeMb: stackMbRange,
};

/**
 * A worker's resource limits, each field in its range: a limit V8 cannot meet fails only as the first worker
 * starts (`stackSizeMb: 1e5`: `run()` threw `ERR_WORKER_INIT_FAILED` out of the call; `codeRangeSizeMb: 1e12`: a
 * fatal out-of-memory abort of the process), so it is refused here, where the pool is made.
 */
function checkResourceLimits(limits: unknown): void {
  if (typeof limits !== 'object' || limits === null) {
    throw new TypeError(`Expected \`resourceLimits\` to be an object, got ${describeValue(limits)}`);
  }
  for (const [key, range] of Object.entries(resourceLimitRanges)) {
    const value: unknown = (limits as Record<string, unknown>)[key];
    if (value !== undefined) expectInRange(`\`resourceLimits.${key}\``, value, range);
  }
}

/**
 * The error for an option value that is refused, by the one rule of `src/option-ranges.ts`: `TypeError` when it is
 * not a number, `RangeError` when it is a number out of the option's range (below it, a fraction, `NaN`, `Infinity`).
 * @param value - the refused value.
 * @param message - what was expected, in p-queue's form.
 */
function refused(value: unknown, message: string): TypeError | RangeError {
  return typeof value === 'number' ? new RangeError(message) : new TypeError(message);
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw refused(value, `Expected \`${name}\` to be a positive integer, got ${describeValue(value)}`);
  }
  return value;
}

function flag(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`Expected \`${name}\` to be a boolean, got ${describeValue(value)}`);
  return value;
}

function nonNegative(name: string, value: unknown, allowInfinity = false): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (!allowInfinity && !Number.isFinite(value))) {
    throw refused(value, `Expected \`${name}\` to be a ${allowInfinity ? '' : 'finite '}number >= 0, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Fills in defaults and validates, in p-queue's message style.
 * @param options - the caller's options.
 * @returns the resolved options.
 * @throws TypeError for a field of the wrong type (a number given as a string, an object that is not one); RangeError
 *   for a number out of its range (below it, a fraction where an integer is expected, `NaN`, `Infinity` where it is
 *   not "no limit", past a bound of src/option-ranges.ts) and when `minThreads > maxThreads` — the one rule of
 *   src/option-ranges.ts.
 */
export function resolveThreadPoolOptions(options: ThreadPoolOptions = {}): ResolvedThreadPoolOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(options)}`);
  }
  const d = defaultThreadPoolOptions;
  const minThreads = expectInRange('`minThreads`', positiveInteger('minThreads', options.minThreads ?? d.minThreads), threadCountRange);
  const maxThreads = expectInRange('`maxThreads`', positiveInteger('maxThreads', options.maxThreads ?? Math.max(minThreads, cpus)), threadCountRange);
  if (options.minThreads === undefined && minThreads > maxThreads) {
    return resolveThreadPoolOptions({ ...options, minThreads: maxThreads });
  }
  if (minThreads > maxThreads) {
    throw new RangeError(`Expected \`minThreads\` (${minThreads}) to be at most \`maxThreads\` (${maxThreads})`);
  }
  const maxQueue = nonNegative('maxQueue', options.maxQueue ?? d.maxQueue, true);
  if (Number.isFinite(maxQueue) && !Number.isInteger(maxQueue)) {
    throw new RangeError(`Expected \`maxQueue\` to be an integer >= 0 or Infinity, got ${describeValue(maxQueue)}`);
  }
  const clock = expectScheduler(options.clock ?? d.clock, 'clock');
  const captureDispatchSite = options.captureDispatchSite ?? d.captureDispatchSite;
  if (typeof captureDispatchSite !== 'boolean') {
    throw new TypeError(`Expected \`captureDispatchSite\` to be a boolean, got ${describeValue(captureDispatchSite)}`);
  }
  const coalesce = resolveCoalesce(options.coalesce);
  const recycle = resolveRecycle(options.recycle);
  if (options.resourceLimits !== undefined) checkResourceLimits(options.resourceLimits);
  return {
    minThreads,
    maxThreads,
    idleTimeoutMs: nonNegative('idleTimeoutMs', options.idleTimeoutMs ?? d.idleTimeoutMs, true),
    maxQueue,
    concurrentTasksPerWorker: positiveInteger('concurrentTasksPerWorker', options.concurrentTasksPerWorker ?? d.concurrentTasksPerWorker),
    cancelGraceMs: nonNegative('cancelGraceMs', options.cancelGraceMs ?? d.cancelGraceMs),
    clock,
    captureDispatchSite,
    coalesce,
    ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    ...(recycle === undefined ? {} : { recycle }),
  };
}

function positiveNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw refused(value, `Expected \`${name}\` to be a finite number > 0, got ${describeValue(value)}`);
  }
  return value;
}

function resolveRecycle(value: unknown): ResolvedRecycleOptions | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`Expected \`recycle\` to be an object ({ maxTasks, maxHeapMb, maxAgeMs }), got ${describeValue(value)}`);
  }
  const o = value as RecycleOptions;
  const resolved: RecycleOptions = {};
  if (o.maxTasks !== undefined) resolved.maxTasks = positiveInteger('recycle.maxTasks', o.maxTasks);
  if (o.maxHeapMb !== undefined) resolved.maxHeapMb = positiveNumber('recycle.maxHeapMb', o.maxHeapMb);
  if (o.maxAgeMs !== undefined) resolved.maxAgeMs = positiveNumber('recycle.maxAgeMs', o.maxAgeMs);
  return Object.keys(resolved).length === 0 ? undefined : Object.freeze(resolved);
}

function resolveCoalesce(value: unknown): ResolvedCoalesceOptions | false {
  if (value === undefined) return defaultCoalesceOptions;
  if (value === false) return false;
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`Expected \`coalesce\` to be false or an object ({ maxBatch, maxArgBytes, flushMs, keepFinished }), got ${describeValue(value)}`);
  }
  const o = value as CoalesceOptions;
  const d = defaultCoalesceOptions;
  return Object.freeze({
    maxBatch: positiveInteger('coalesce.maxBatch', o.maxBatch ?? d.maxBatch),
    maxArgBytes: nonNegative('coalesce.maxArgBytes', o.maxArgBytes ?? d.maxArgBytes, true),
    flushMs: nonNegative('coalesce.flushMs', o.flushMs ?? d.flushMs),
    keepFinished: flag('coalesce.keepFinished', o.keepFinished ?? d.keepFinished),
  });
}
