/**
 * `startTaskStream`: what `reactor.stream(task, ...args)` does — take the policy's decision, as `dispatch` would,
 * then start the task on that route with a stream attached (SPEC §9), past its rule's bulkhead (`maxConcurrent`,
 * SPEC §7) like any call: a stream whose rule is full waits for a place (its iteration simply has nothing yet), and
 * cancelling it meanwhile means its task never starts. A rule's `pool` sends its thread streams to that pool.
 *
 * The reactor hands in a narrow set of targets (its pool, its greenlet-spawning helper, its policy's decision),
 * so this module does not depend on the facade. A stream never throws: bad input, a stopped reactor or a route
 * streams do not run on give a stream whose iteration throws the error and whose `result` errbacks with it.
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
import { isGenerator } from '../deferred/is-generator.js';
import { maybeDeferred } from '../deferred/maybe-deferred.js';
import { callDeadline } from '../context/call-deadline.js';
import { TimeoutError, WorkerCrashedError } from '../errors.js';
import type { Decision } from '../policy/decision.js';
import { driveInlineGenerator, noteInlineRun, watchLaterRun } from '../policy/inline-runs.js';
import { isTask, type Task } from '../task/task.js';
import { targetName } from '../task/target-name.js';
import type { StreamRequest } from '../threads/wire.js';
import type { Scheduler } from '../time/scheduler.js';
import { InProcessStream, runInStream } from './in-process-stream.js';
import { StreamBuffer } from './stream-buffer.js';
import type { StreamStats } from './stream-stats.js';
import { TaskStream } from './task-stream.js';
import { ThreadStream } from './thread-stream.js';

/** `streamWindow` when neither the task nor a rule sets one. */
export const defaultStreamWindow = 16;

/** What a stream needs from its reactor. */
export interface StreamTargets {
  /** The policy's decision for this call, as `dispatch` takes it; throws `TypeError` for what is no task or function. */
  decide(task: unknown, args: unknown[]): Decision;
  /**
   * Runs `start` through the deciding rule's bulkhead (`maxConcurrent`), as `dispatch` would: at once when there is
   * room, else when a place frees.
   */
  admit(target: Task | ((...args: unknown[]) => unknown), decision: Decision, args: unknown[], start: () => Deferred<unknown>): Deferred<unknown>;
  /**
   * Runs `start` (the stream's thread run) through the policy's crash budget, as `dispatch` does a thread call: the
   * task's crashes count, and its calls that could crash a worker wait while the budget has none left.
   */
  guardStream(task: Task, args: unknown[], start: () => Deferred<unknown>): Deferred<unknown>;
  /** The reactor's pool (no name), or the policy's named pool `name` (`undefined` when there is none). */
  readonly threadPool: (name: string | undefined) => { runStreamed(task: Task, args: readonly unknown[], stream: StreamRequest): Deferred<unknown> } | undefined;
  /** Spawns a Task or function as a greenlet on the reactor's hub (with its `timeoutMs` and deadline). */
  spawnDeferred(task: Task | ((...args: any[]) => unknown), args: unknown[]): Deferred<unknown>;
  /** The reactor's clock (timeouts, progress coalescing). */
  readonly clock: Scheduler;
  /** Wall time for blocked-time figures. */
  readonly now: () => number;
  /** The reactor's stream counters. */
  readonly stats: StreamStats;
  /** Where errors of progress listeners go. */
  readonly onError: (error: unknown) => void;
}

type Target = Task | ((...args: unknown[]) => unknown);

/**
 * A stream that has already failed with `error` (bad input, a stopped reactor).
 * @param error - the error.
 * @returns the stream.
 */
export function failedStream<Item, R>(error: unknown): TaskStream<Item, R> {
  const buffer = new StreamBuffer({ onRead: noop, cancel: noop, onError: noop });
  buffer.fail(error);
  return new TaskStream(buffer) as TaskStream<Item, R>;
}

function noop(): void {}


/**
 * Starts `task(...args)` where the policy says, with a stream attached.
 * @param targets - the reactor's paths.
 * @param task - a Task, or a plain function (in-process only).
 * @param args - its arguments.
 * @returns the stream.
 */
export function startTaskStream<Item, R>(targets: StreamTargets, task: unknown, args: unknown[]): TaskStream<Item, R> {
  let decision: Decision;
  try {
    decision = targets.decide(task, args);
  } catch (error) {
    return failedStream(
      error instanceof TypeError ? new TypeError(`stream: ${error.message}; pass a Task (defineTask/taskFrom) or a function`, { cause: error }) : error,
    );
  }
  const target = task as Target;
  const name = targetName(target);
  const identity = isTask(target) ? target : { id: name, name };
  // SPEC §9: a matching rule's window, else the task's own, else the default.
  const window = decision.streamWindow ?? (isTask(target) ? target.options.streamWindow : undefined) ?? defaultStreamWindow;
  let buffer: StreamBuffer;
  let run: Deferred<unknown>;
  let attach: (d: Deferred<unknown>) => void;
  if (decision.route === 'thread') {
    if (decision.crashBudgetSpent === true) {
      return failedStream(new WorkerCrashedError(`Task \`${name}\` was not sent to a worker: ${decision.reason}`, { task: name }));
    }
    const pool = targets.threadPool(decision.pool);
    if (pool === undefined) return failedStream(new TypeError(`Rule '${decision.rule ?? ''}' sends task \`${name}\` to pool '${decision.pool ?? ''}', which this reactor does not have`));
    const stream = new ThreadStream(window, targets.stats.task('thread', identity, decision.pool), targets.onError);
    buffer = stream.buffer;
    attach = (d) => stream.attach(d);
    run = targets.admit(target, decision, args, () =>
      targets.guardStream(target as Task, args, () => pool.runStreamed(target as Task, args, stream.request)),
    );
  } else if (decision.route === 'green' || decision.route === 'inline') {
    const stream = new InProcessStream(window, targets.stats.task('green', identity), targets.clock, targets.now, targets.onError);
    buffer = stream.buffer;
    attach = (d) => stream.attach(d);
    run = targets.admit(target, decision, args, () =>
      decision.route === 'green' ? runInStream(stream, () => targets.spawnDeferred(target, args)) : runInline(stream, target, args, targets.clock),
    );
  } else {
    return failedStream(new TypeError(`Task \`${name}\` is routed to '${decision.route}': streams run on the thread, green and inline routes`));
  }
  if (decision.timeoutMs !== undefined && !run.called) run.addTimeout(decision.timeoutMs, targets.clock);
  attach(run);
  return new TaskStream(buffer) as TaskStream<Item, R>;
}

/**
 * Runs an inline decision now, inside `stream` (a generator's every step too), within the caller's `withDeadline`
 * scope (past it the call never runs; an asynchronous result ends with `TimeoutError` when it passes).
 */
function runInline(stream: InProcessStream, target: Target, args: unknown[], clock: Scheduler): Deferred<unknown> {
  const limit = callDeadline(undefined, clock);
  if (limit !== undefined && limit.timeoutMs <= 0) {
    return fail(new TimeoutError(`Task \`${targetName(target)}\` was not started: the deadline of its withDeadline scope had passed`));
  }
  const d = callInline(stream, target, args);
  if (limit !== undefined && !d.called) d.addTimeout(limit.timeoutMs, clock);
  return d;
}

function callInline(stream: InProcessStream, target: Target, args: unknown[]): Deferred<unknown> {
  if (isTask(target) && target.fn === undefined) {
    const loading = maybeDeferred(() => target.load());
    // The function runs once imported, after a bulkhead's start returned: watched as the call was, so a cancelled
    // stream keeps its place until what the function started ends (inline-runs.ts, as for an inline call).
    const later = watchLaterRun(loading);
    return loading.addCallback((fn) => {
      const run = (): Deferred<unknown> => callInline(stream, fn as Target, args);
      return later === undefined ? run() : later(run);
    });
  }
  const fn = (isTask(target) ? target.fn : target) as (...a: unknown[]) => unknown;
  let result: unknown;
  try {
    result = runInStream(stream, () => fn(...args));
  } catch (error) {
    return fail(error);
  }
  let generator: boolean;
  try {
    generator = isGenerator(result);
  } catch (error) {
    return fail(error); // a `next`/`throw` getter threw (user code): the call fails, `stream()` does not throw
  }
  // Driven as an inline call's generator is (inline-runs.ts): a bulkhead starting it keeps its place until what a
  // cancelled or timed-out generator waited on has ended.
  if (generator) return driveInlineGenerator(steppedIn(stream, result as Generator<unknown, unknown, unknown>));
  const d = maybeDeferred(() => result);
  // Still pending and not the returned Deferred itself: it follows a thenable the function returned, which nothing can
  // stop. A bulkhead starting it keeps its place until that settles, as for an inline call (inline-runs.ts).
  if (d !== result && !d.called) noteInlineRun(d, result as PromiseLike<unknown>);
  return d;
}

/** `gen`, each of whose steps runs inside `stream` (the driver steps it from whatever fired what it yielded). */
function steppedIn(stream: InProcessStream, gen: Generator<unknown, unknown, unknown>): Generator<unknown, unknown, unknown> {
  const stepped = {
    next: (...value: [] | [unknown]) => runInStream(stream, () => gen.next(...value)),
    throw: (error: unknown) => runInStream(stream, () => gen.throw(error)),
    return: (value: unknown) => runInStream(stream, () => gen.return(value)),
    [Symbol.iterator]: () => stepped,
  };
  return stepped as unknown as Generator<unknown, unknown, unknown>; // the driver calls next/throw/return only
}
