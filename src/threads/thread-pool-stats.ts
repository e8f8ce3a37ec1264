/**
 * Counters and per-task time histograms of a `ThreadPool`.
 *
 * @module
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { TaskIdentity } from '../task/task.js';
import { byLabel, type TaskFigures } from '../task/task-labels.js';

/** Median and 99th percentile of a time, in ms. */
export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
}

/** Times of one task: how many runs were timed, how long they waited and ran. */
export interface ThreadTaskStats {
  readonly runs: number;
  readonly waitMs: Percentiles;
  readonly runMs: Percentiles;
}

/** A snapshot of a pool's activity; the `threads` part of `reactor.stats()`. */
export interface ThreadPoolStats {
  /** Tasks that succeeded. */
  readonly completed: number;
  /** Tasks whose function threw (or rejected), plus bad input (unknown task, uncloneable arguments, full queue). */
  readonly failed: number;
  /** Tasks whose Deferred was cancelled. */
  readonly cancelled: number;
  /** Tasks that hit their `timeoutMs`. */
  readonly timedOut: number;
  /** Tasks that errbacked with `WorkerCrashedError` (after their retries). */
  readonly crashed: number;
  /** Crashed runs that were retried. */
  readonly retried: number;
  /** Calls sent to a worker inside a coalesced batch (`threads.coalesce`) rather than in a message of their own. */
  readonly coalesced: number;
  /** Coalesced batches sent (each of two calls or more). */
  readonly batches: number;
  /** Workers retired by `threads.recycle` (counted when retired; each left after its current tasks, none crashed). */
  readonly recycledWorkers: number;
  /** Tasks dispatched and not yet settled. */
  readonly inFlight: number;
  /** Tasks waiting for a worker. */
  readonly queueDepth: number;
  /** Live workers. */
  readonly threads: number;
  /**
   * Share of worker time spent running tasks, 0–1: the run time of every finished task (as its worker measured it)
   * over the time since the pool started times `maxThreads`.
   */
  readonly utilisation: number;
  /**
   * Per task, under its name; once two tasks of different modules share a name, under the name and the shortest
   * distinguishing tail of the module (`parse (a.js)`, `parse (b.js)`), as the hub and `stats().policy.auto` do.
   */
  readonly tasks: Readonly<Record<string, ThreadTaskStats>>;
}

/** One task's histograms, with its identity (records are kept per id, labelled by name when read). */
interface TaskTimes extends TaskIdentity {
  readonly wait: RecordableHistogram;
  readonly run: RecordableHistogram;
}

function percentiles(h: RecordableHistogram): Percentiles {
  // Recorded in microseconds (histograms take integers); reported in ms.
  return h.count === 0 ? { p50: 0, p99: 0 } : { p50: h.percentile(50) / 1000, p99: h.percentile(99) / 1000 };
}

function figuresOf(t: TaskTimes): ThreadTaskStats {
  return { runs: t.run.count, waitMs: percentiles(t.wait), runMs: percentiles(t.run) };
}

/**
 * Told of every timed run as it finishes (the policy's `auto` keeps a sliding window of them, per task id).
 * @param name - the task's name.
 * @param waitMs - time from dispatch to start.
 * @param runMs - time running.
 * @param id - the task's id (`moduleUrl#exportName`): two modules may export tasks of the same name.
 */
export type RunTimedListener = (name: string, waitMs: number, runMs: number, id: string) => void;

/**
 * Mutable counters a pool updates as tasks settle.
 *
 * Shared state: the fields are written from the files that settle a call, never read there; they are read only
 * here, by {@link ThreadPoolCounters.snapshot} (for `ThreadPool.stats()` and the remote route's `RemoteCounters`).
 * The rule that keeps the outcome counters true: **a call's outcome is counted once, by the code that fires its
 * Deferred with it** (never by a caller that only sees it go by; `retried` counts re-runs, not outcomes). Who writes
 * what:
 * - `thread-task-run.ts` (`ThreadTaskRun`): every outcome of a call that was sent, or queued to be sent — `completed`,
 *   `failed` (the task threw, a clone refused), `cancelled`, `timedOut`, `crashed` and `retried` (a crash re-run
 *   under `retries`);
 * - `thread-pool.ts`: the calls refused before a run exists — `failed` (a full queue, a context carrier that failed to
 *   capture) and `timedOut` (a `withDeadline` scope already past);
 * - `thread-batch.ts`: `batches` and `coalesced` as a coalesced batch is sent (calls, not outcomes);
 * - `worker-lifecycle.ts`: `recycledWorkers` as `threads.recycle` retires a worker;
 * - `remote-bullmq/remote-call.ts` and `bullmq-backend.ts`, on a `RemoteCounters`: the same outcome rule for remote
 *   calls (the backend counts the calls refused before a job exists, the call the rest).
 * A new place that fires a call's Deferred with an outcome counts it there, and nowhere else.
 */
export class ThreadPoolCounters {
  completed = 0;
  failed = 0;
  cancelled = 0;
  timedOut = 0;
  crashed = 0;
  retried = 0;
  coalesced = 0;
  batches = 0;
  recycledWorkers = 0;
  readonly #times = new Map<string, TaskTimes>();
  /** Run time of every timed run so far (ms), for the utilisation. */
  #runMsTotal = 0;
  readonly #onTimed: RunTimedListener | undefined;

  /** @param onTimed - told of each timed run (see {@link RunTimedListener}). */
  constructor(onTimed?: RunTimedListener) {
    this.#onTimed = onTimed;
  }

  /**
   * Records one finished run of the task `id` (named `name`).
   * @param name - the task's name.
   * @param waitMs - time from dispatch to start.
   * @param runMs - time running.
   * @param id - the task's id, which the record is kept under (default: the name, a plain function's identity).
   */
  time(name: string, waitMs: number, runMs: number, id: string = name): void {
    let times = this.#times.get(id);
    if (times === undefined) {
      times = { id, name, wait: createHistogram(), run: createHistogram() };
      this.#times.set(id, times);
    }
    times.wait.record(Math.max(1, Math.round(waitMs * 1000)));
    times.run.record(Math.max(1, Math.round(runMs * 1000)));
    this.#runMsTotal += runMs;
    this.#onTimed?.(name, waitMs, runMs, id);
  }

  /**
   * Share of `threads` workers' time spent running tasks over `elapsedMs`, 0–1.
   * @param elapsedMs - time since the pool started.
   * @param threads - its worker capacity (`maxThreads`).
   * @returns the share (0 before any time elapsed).
   */
  utilisation(elapsedMs: number, threads: number): number {
    return elapsedMs > 0 && threads > 0 ? Math.min(1, this.#runMsTotal / (elapsedMs * threads)) : 0;
  }

  /**
   * The times of one task, without building the whole snapshot.
   * @param id - the task's id (what {@link ThreadPoolCounters.time} was given as `id`).
   * @returns its runs and percentiles, or `undefined` when it never finished a run.
   */
  task(id: string): ThreadTaskStats | undefined {
    const t = this.#times.get(id);
    return t === undefined ? undefined : figuresOf(t);
  }

  /**
   * Every task's times under its id, unlabelled: for a caller that adds figures of its own to a task's before
   * labelling them ({@link byLabel}), as `reactor.stats()` adds stream figures.
   * @returns each task's identity and figures, by id.
   */
  taskStatsById(): Map<string, TaskFigures<ThreadTaskStats>> {
    const byId = new Map<string, TaskFigures<ThreadTaskStats>>();
    for (const [id, t] of this.#times) byId.set(id, { task: { id, name: t.name }, figures: figuresOf(t) });
    return byId;
  }

  /**
   * Snapshot with the pool's live figures.
   * @param live - in-flight, queue depth, thread count and utilisation.
   * @param label - turns the per-task figures by id into the `tasks` record (default {@link byLabel}; a caller
   *   adding figures of its own to a task's passes its own, so the percentiles are computed once).
   */
  snapshot<F = ThreadTaskStats>(
    live: Pick<ThreadPoolStats, 'inFlight' | 'queueDepth' | 'threads' | 'utilisation'>,
    label: (byId: Map<string, TaskFigures<ThreadTaskStats>>) => Record<string, F> = byLabel as (byId: Map<string, TaskFigures<ThreadTaskStats>>) => Record<string, F>,
  ): Omit<ThreadPoolStats, 'tasks'> & { tasks: Record<string, F> } {
    const tasks = label(this.taskStatsById());
    return {
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
      timedOut: this.timedOut,
      crashed: this.crashed,
      retried: this.retried,
      coalesced: this.coalesced,
      batches: this.batches,
      recycledWorkers: this.recycledWorkers,
      ...live,
      tasks,
    };
  }
}
