/**
 * The `auto` route: where a task runs when nobody said, learned from what the reactor measures (SPEC §7).
 *
 * Measurements decide; a task's declared kind is only where it starts: `cpu`/`blocking` and no kind start on
 * threads, `io`/`cooperative` in-process. Over its last `sampleSize` thread runs (a sliding window), a task whose
 * median run is below `minThreadRunMs`, or below its hop, moves in-process. The hop is the fastest dispatch-to-start
 * time in the window: what cloning and posting cost a call that found a worker idle. Queue wait is left out on
 * purpose: it measures how busy the pool is, not what the trip costs, and judging by it moved CPU work that queued
 * behind two busy workers onto the event loop (a third of the threads' throughput, the loop stalled). In-process,
 * a synchronous function runs `inline` and a generator or async one (or one that returned a thenable) runs
 * `green`. An in-process run or green step longer than `blockingThresholdMs` sends the task to threads for good.
 * A thread run that long keeps the task on threads while it is in the window (in-process it would have held the
 * loop as long), so a task that is cheap nine calls in ten but stalls on the tenth does not move in-process to find
 * out. Only while in the window, not for good: a worker's first run of a task includes importing its module, and on
 * a loaded machine any run can be stretched by the scheduler; every thread run is timed, so one stretched run must
 * not decide for ever. A plain function (not a Task) cannot be loaded by a worker, so it only runs in-process.
 *
 * In-process, a task is judged again from its own sliding window: the last `sampleSize` timed in-process runs (the
 * dispatcher times every one of a task's first `sampleSize` in-process runs, then a random sample). A synchronous
 * task whose median there is at or above `minThreadRunMs` and its last known hop goes back to threads (not for good:
 * its thread window starts afresh), the mirror of the rule that moved it in-process, so a task that turns expensive
 * stops holding the loop. `blockingRunsToPin` (default 1, SPEC §7) is how many runs over `blockingThresholdMs` that
 * window must hold to send the task to threads for good: one, as the SPEC says, by default; 2 or 3 on a machine whose
 * scheduler stretches runs (a run the OS descheduled for 30 ms looks, by wall time, like a task that held the loop).
 *
 * What is learned is kept per task, keyed by its identity ({@link TaskIdentity}: a Task's `moduleUrl#exportName`, a
 * plain function's name), never by its name alone: two modules may each export a `parse`, and one that blocks must
 * not send the other to threads, nor may their runs share a window. `snapshot()` names them for people
 * (`taskLabels`: the name, and the module where two share it).
 *
 * The router only learns from what it is fed (`recordThreadRun`, `recordBlockedStep`, `recordAsync`), so tests
 * drive it deterministically. `version` changes whenever a task's route changes, which lets callers cache
 * decisions and notice when they go stale.
 *
 * @module
 */
import type { Kind, TaskIdentity } from '../task/task.js';
import { taskLabels } from '../task/task-labels.js';

/** How `auto` learns; see {@link defaultAdaptiveOptions}. */
export interface AdaptiveOptions {
  /** The sliding window: `auto` judges a task on threads by its last this many thread runs. */
  sampleSize: number;
  /** A median thread run below this (ms) moves the task in-process, whatever the hop costs. */
  minThreadRunMs: number;
  /** An in-process run or green step longer than this (ms) sends the task to threads for good. */
  blockingThresholdMs: number;
  /**
   * How many in-process runs or green steps over `blockingThresholdMs`, among a task's last `sampleSize` timed
   * in-process runs, send it to threads for good. 1 (the default) is SPEC §7's rule: the first one does.
   */
  blockingRunsToPin: number;
  /** Worker crashes that stop a task being sent to threads; `undefined` (the default): no budget. */
  crashBudget?: CrashBudget | undefined;
}

/** `adaptive.crashBudget`: `crashes` worker crashes within `windowMs` stop a task being sent to threads. */
export interface CrashBudget {
  /** Crashes that spend the budget. */
  readonly crashes: number;
  /** Within this long (ms). */
  readonly windowMs: number;
  /** `'green'`: run its calls in-process; `'fail'`: errback them with `WorkerCrashedError` at once. */
  readonly then: 'green' | 'fail';
}

/** A task whose crash budget is spent: what its thread calls do instead, and why. */
export interface CrashVerdict {
  /** `'green'` or `'fail'`. */
  readonly then: 'green' | 'fail';
  /** Why, for a person. */
  readonly reason: string;
}

/** {@link AdaptiveOptions} with every field optional (missing or `undefined` = the default). */
export type LooseAdaptiveOptions = { [K in keyof AdaptiveOptions]?: AdaptiveOptions[K] | undefined };

/**
 * Defaults of {@link AdaptiveOptions}.
 *
 * - `sampleSize` 20: enough runs for a stable median, few enough to settle within a second of traffic.
 * - `minThreadRunMs` 0.5: a thread hop (post, clone, wake a worker, post back) costs roughly 0.05–0.2 ms;
 *   work shorter than 0.5 ms is cheaper to run on the loop than to ship, and too short to hurt it.
 * - `blockingThresholdMs` 20: the hub's own blocked-step threshold; a longer step is a visible stall.
 * - `blockingRunsToPin` 1: SPEC §7, the first in-process run over the threshold sends a task to threads for good.
 */
export const defaultAdaptiveOptions: Readonly<AdaptiveOptions> = Object.freeze({
  sampleSize: 20,
  minThreadRunMs: 0.5,
  blockingThresholdMs: 20,
  blockingRunsToPin: 1,
});

/**
 * What `auto` currently thinks of a task: `'start'` (its kind decides; on threads, not judged yet),
 * `'threads'` or `'in-process'` (judged from its thread runs), `'pinned-to-threads'` (it blocked in-process).
 */
export type AutoPhase = 'start' | 'threads' | 'in-process' | 'pinned-to-threads';

/** How a task's function runs in-process: `'sync'` inline, `'async'` (generator, async, thenable) on a greenlet. */
export type TaskShape = 'sync' | 'async';

/** A route `auto` resolves to, with the reason. */
export interface AutoVerdict {
  /** Threads, a greenlet, or inline. */
  readonly route: 'thread' | 'green' | 'inline';
  /** Why, for a person, with the figures the choice rests on. */
  readonly reason: string;
  /**
   * In-process only: true while a synchronous task's in-process window holds fewer than `sampleSize` timed runs, so
   * every run should be timed (afterwards a random sample is).
   */
  readonly probe?: boolean;
}

/** What `auto` learned about one task, as shown by `stats()` (under the task's name; with its module where two share it). */
export interface AutoTaskStats {
  /** The current phase. */
  phase: AutoPhase;
  /** Thread runs recorded in total. */
  threadRuns: number;
  /** Median of the last `sampleSize` thread runs (ms); `undefined` before any run. */
  medianThreadRunMs: number | undefined;
  /** Median hop of the last `sampleSize` thread runs (ms: dispatch to start, queue wait included); `undefined` before any run. */
  medianHopMs: number | undefined;
  /**
   * The hop `auto` judges by: the fastest of the last `sampleSize` (ms: a call that found a worker idle, so cloning and
   * posting without queue wait); `undefined` before any run.
   */
  hopMs: number | undefined;
  /** Longest thread run in the window (ms); `undefined` before any run. */
  longestThreadRunMs: number | undefined;
  /** In-process runs or green steps reported as blocked. */
  blockedSteps: number;
  /** Longest blocked in-process run or green step seen (ms); `undefined` when none. */
  longestGreenStepMs: number | undefined;
  /** Timed in-process runs (inline runs, sampled green calls, blocked steps) in its in-process window. */
  inProcessSamples: number;
  /** Median of its in-process window (ms); `undefined` while empty. */
  medianInProcessRunMs: number | undefined;
  /** True once the task was seen to be a generator or async (or to return a thenable). */
  async: boolean;
  /** The reason of the current route (for a task without a kind that runs synchronously, as a Task). */
  reason: string;
}

interface TaskRecord {
  /** The task, as the first report of it named it (its id keys the record; its name is what people read). */
  readonly task: TaskIdentity;
  phase: AutoPhase;
  /** The last `sampleSize` thread run times (a sliding window: the oldest is dropped first). */
  runs: number[];
  /** The hops of the same runs. */
  hops: number[];
  /** The fastest hop of the window when it was last judged (0 before): what the in-process window is judged against. */
  hopMs: number;
  threadRuns: number;
  /** The last `sampleSize` timed in-process runs (inline runs, sampled green calls, blocked steps), oldest first. */
  local: number[];
  blockedSteps: number;
  longestGreenStepMs: number | undefined;
  async: boolean;
  /** Times (ms) of its recent worker crashes, while a crash budget is set. */
  crashes: number[];
  /** Set once its crash budget is spent. */
  crashed: CrashVerdict | undefined;
  /** Why the phase is what it is (undefined in `'start'`: the kind says). */
  reason: string | undefined;
}

/** Learns, per task ({@link TaskIdentity}), whether a task belongs on threads, on a greenlet or inline. */
export class AdaptiveRouter {
  #options: AdaptiveOptions;
  readonly #tasks = new Map<string, TaskRecord>();
  #version = 0;

  /** @param options - thresholds; missing fields take {@link defaultAdaptiveOptions}. */
  constructor(options: LooseAdaptiveOptions = {}) {
    this.#options = { ...defaultAdaptiveOptions, ...stripUndefined(options) };
  }

  /** Changes whenever some task's route changes (a cached decision older than this may be stale). */
  get version(): number {
    return this.#version;
  }

  /** The thresholds in force. */
  get options(): Readonly<AdaptiveOptions> {
    return this.#options;
  }

  /**
   * Replaces the thresholds (a policy reload); what was learned is kept and re-judged.
   * @param options - the new thresholds; missing fields take the defaults.
   */
  configure(options: LooseAdaptiveOptions): void {
    this.#options = { ...defaultAdaptiveOptions, ...stripUndefined(options) };
    for (const record of this.#tasks.values()) {
      record.runs = record.runs.slice(-this.#options.sampleSize);
      record.hops = record.hops.slice(-this.#options.sampleSize);
      record.local = record.local.slice(-this.#options.sampleSize);
      if (record.phase !== 'pinned-to-threads') this.#judge(record);
      // The budget in force judges the crashes counted so far: a reload may change `then`, raise `crashes` past
      // them, narrow `windowMs` or remove the budget (its calls go to threads again), or spend it.
      const budget = this.#options.crashBudget;
      record.crashed = budget === undefined ? undefined : crashVerdict(record.crashes, budget);
    }
    this.#version += 1;
  }

  /**
   * Resolves `auto` for a task.
   * @param task - the task (its id says which; its name is what the reason says).
   * @param kind - its declared kind, if any.
   * @param plain - true for a plain function (which cannot run on a thread).
   * @param shape - how its function looks: `'async'` for a generator or async function, else `'sync'`.
   */
  route(task: TaskIdentity, kind: Kind | undefined, plain: boolean, shape: TaskShape = 'sync'): AutoVerdict {
    const record = this.#tasks.get(task.id);
    const async = shape === 'async' || record?.async === true;
    // Only a synchronous task's runs are timed one by one while its window fills (an async one's steps are the hub's).
    const probe = !async && (record === undefined || record.local.length < this.#options.sampleSize);
    const inProcess = (why: string): AutoVerdict =>
      async
        ? { route: 'green', reason: `${why}; generator/async: runs on a greenlet`, probe }
        : { route: 'inline', reason: `${why}; synchronous: runs inline`, probe };
    if (plain) return inProcess('auto: a plain function runs in-process only');
    if (record !== undefined && record.phase !== 'start' && record.reason !== undefined) {
      return record.phase === 'in-process' ? inProcess(record.reason) : { route: 'thread', reason: record.reason };
    }
    if (kind === 'io' || kind === 'cooperative') return inProcess(`auto: kind '${kind}' starts in-process`);
    const n = this.#options.sampleSize;
    return {
      route: 'thread',
      reason:
        kind === undefined
          ? `auto: task '${task.name}' declares no kind; it starts on threads (judged after ${n} thread runs)`
          : `auto: kind '${kind}' starts on threads (judged after ${n} thread runs)`,
    };
  }

  /**
   * Feeds one thread run of a task into its sliding window and re-judges it; a run longer than
   * `blockingThresholdMs` keeps the task on threads while it is in the window.
   * @param task - the task.
   * @param ms - how long the worker ran it.
   * @param hopMs - what the hop cost it (dispatch to start: queue wait, cloning, posting); 0 when unknown.
   * @returns true when the task's route changed.
   */
  recordThreadRun(task: TaskIdentity, ms: number, hopMs = 0): boolean {
    const record = this.#record(task);
    record.threadRuns += 1;
    record.runs.push(ms);
    record.hops.push(hopMs);
    if (record.runs.length > this.#options.sampleSize) {
      record.runs.shift();
      record.hops.shift();
    }
    // A long run holds the task on threads while in the window (#judge), never for good: see the module comment.
    return record.phase === 'pinned-to-threads' ? false : this.#judge(record);
  }

  /**
   * Feeds one blocked in-process run or green step of a task (the hub's `blocked` event, the dispatcher's timed
   * inline runs).
   * @param task - the task.
   * @param ms - how long it held the event loop.
   * @param where - `'green step'` or `'inline run'`, for the reason.
   * @returns true when the task is now pinned to threads and was not judged to be on threads before.
   */
  recordBlockedStep(task: TaskIdentity, ms: number, where = 'green step'): boolean {
    const record = this.#record(task);
    record.blockedSteps += 1;
    record.longestGreenStepMs = Math.max(record.longestGreenStepMs ?? 0, ms);
    return this.#addLocal(record, ms, where);
  }

  /**
   * Feeds one timed in-process run of a task (a timed inline run, a sampled green call) into its in-process window
   * and re-judges it: enough runs over `blockingThresholdMs` there (`blockingRunsToPin`) send it to threads for
   * good; a synchronous task whose median there is at or above `minThreadRunMs` and its last known hop goes back
   * to threads.
   * @param task - the task.
   * @param ms - how long the run held the event loop.
   * @param where - `'inline run'` or `'green step'`, for the reason.
   * @returns true when the task's route changed.
   */
  recordInProcessRun(task: TaskIdentity, ms: number, where = 'inline run'): boolean {
    const record = this.#record(task);
    if (ms > this.#options.blockingThresholdMs) {
      record.blockedSteps += 1;
      record.longestGreenStepMs = Math.max(record.longestGreenStepMs ?? 0, ms);
    }
    return this.#addLocal(record, ms, where);
  }

  /** One timed in-process run into the window, then the in-process rules; true when the route changed. */
  #addLocal(record: TaskRecord, ms: number, where: string): boolean {
    if (record.phase === 'pinned-to-threads') return false;
    const { sampleSize, blockingThresholdMs, blockingRunsToPin, minThreadRunMs } = this.#options;
    record.local.push(ms);
    if (record.local.length > sampleSize) record.local.shift();
    else if (record.local.length === sampleSize) this.#version += 1; // probing ends: cached decisions drop their `probe`
    if (ms > blockingThresholdMs) {
      let over = 0;
      for (const x of record.local) if (x > blockingThresholdMs) over += 1;
      if (over >= blockingRunsToPin) {
        const what =
          blockingRunsToPin <= 1
            ? `${where} took ${formatMs(ms)} ms > ${formatMs(blockingThresholdMs)} ms`
            : `${over} of the last ${record.local.length} timed in-process runs took over ${formatMs(blockingThresholdMs)} ms (this ${where}: ${formatMs(ms)} ms; blockingRunsToPin ${blockingRunsToPin})`;
        return this.#pin(record, what);
      }
      return false;
    }
    // Judged again in-process (synchronous tasks only: an async task's wall time includes its waits).
    if (record.phase === 'in-process' && !record.async && record.local.length >= sampleSize) {
      const hop = record.hopMs;
      const bar = Math.max(minThreadRunMs, hop);
      // Cheap first (this runs on every timed run): the median can reach the bar only if half the window does.
      let atOrOver = 0;
      for (const x of record.local) if (x >= bar) atOrOver += 1;
      const run = 2 * atOrOver >= record.local.length ? median(record.local) : 0;
      if (run >= bar) {
        record.phase = 'threads';
        record.runs = []; // judged afresh on threads: sampleSize new thread runs before it may move again
        record.hops = [];
        record.local = [];
        record.reason = `auto: median in-process run ${formatMs(run)} ms >= minThreadRunMs ${formatMs(minThreadRunMs)} ms and >= hop ${formatMs(hop)} ms over the last ${sampleSize} timed in-process runs; back on threads`;
        this.#version += 1;
        return true;
      }
    }
    return false;
  }

  /** Sends a task to threads for good; returns true when it was not judged to be on threads before. */
  #pin(record: TaskRecord, what: string): boolean {
    const wasOnThreads = record.phase === 'threads';
    record.phase = 'pinned-to-threads';
    record.reason = `auto: ${what}; on threads for good`;
    this.#version += 1;
    return !wasOnThreads;
  }

  /**
   * Notes that a task's function returned a thenable or a generator: in-process it runs on a greenlet, not inline.
   * @param task - the task.
   * @returns true when this is news (the route of an in-process task changes).
   */
  recordAsync(task: TaskIdentity): boolean {
    const record = this.#record(task);
    if (record.async) return false;
    record.async = true;
    this.#version += 1;
    return true;
  }

  /**
   * Feeds one worker crash of a task (its Deferred errbacked `WorkerCrashedError`). With `adaptive.crashBudget`
   * set, `crashes` of them within `windowMs` spend the task's budget: it stops being sent to threads.
   * @param task - the task.
   * @param nowMs - the reactor clock's time of the crash.
   * @returns true when this crash spent the budget.
   */
  recordCrash(task: TaskIdentity, nowMs: number): boolean {
    const budget = this.#options.crashBudget;
    if (budget === undefined) return false;
    const record = this.#record(task);
    if (record.crashed !== undefined) return false;
    record.crashes.push(nowMs);
    record.crashed = crashVerdict(record.crashes, budget);
    if (record.crashed === undefined) return false;
    this.#version += 1;
    return true;
  }

  /**
   * How many of a task's worker crashes fall within the crash budget's `windowMs` before `nowMs` (0 without a
   * budget). The crash budget's gate lets at most `crashes` minus this many of its calls be on threads at once.
   * @param task - the task.
   * @param nowMs - the reactor clock's time.
   * @returns the count.
   */
  recentCrashes(task: TaskIdentity, nowMs: number): number {
    const budget = this.#options.crashBudget;
    const crashes = this.#tasks.get(task.id)?.crashes;
    if (budget === undefined || crashes === undefined) return 0;
    let n = 0;
    for (const at of crashes) if (nowMs - at <= budget.windowMs) n += 1;
    return n;
  }

  /**
   * The crash verdict of a task, if its budget is spent.
   * @param task - the task.
   */
  crashed(task: TaskIdentity): CrashVerdict | undefined {
    return this.#tasks.get(task.id)?.crashed;
  }

  /**
   * The name people read for a task: its name, with its module where another task the router knows shares it.
   * @param task - the task.
   */
  label(task: TaskIdentity): string {
    const known = [...this.#tasks.values()].map((r) => r.task);
    return taskLabels([task, ...known]).get(task.id) ?? task.name;
  }

  /** What was learned, per task: under its name, with its module where two share it (see `taskLabels`). */
  snapshot(): Record<string, AutoTaskStats> {
    const out: Record<string, AutoTaskStats> = {};
    const labels = taskLabels([...this.#tasks.values()].map((r) => r.task));
    for (const [id, r] of this.#tasks) {
      // Defined, not assigned: a task named `__proto__` is listed, not made the object's prototype.
      Object.defineProperty(out, labels.get(id) ?? r.task.name, { enumerable: true, writable: true, configurable: true, value: {
        phase: r.phase,
        threadRuns: r.threadRuns,
        medianThreadRunMs: r.runs.length === 0 ? undefined : median(r.runs),
        medianHopMs: r.hops.length === 0 ? undefined : median(r.hops),
        hopMs: r.hops.length === 0 ? undefined : Math.min(...r.hops),
        longestThreadRunMs: r.runs.length === 0 ? undefined : Math.max(...r.runs),
        blockedSteps: r.blockedSteps,
        longestGreenStepMs: r.longestGreenStepMs,
        inProcessSamples: r.local.length,
        medianInProcessRunMs: r.local.length === 0 ? undefined : median(r.local),
        async: r.async,
        reason: this.route(r.task, undefined, false).reason,
      } satisfies AutoTaskStats });
    }
    return out;
  }

  #record(task: TaskIdentity): TaskRecord {
    let record = this.#tasks.get(task.id);
    if (record === undefined) {
      record = {
        task: { id: task.id, name: task.name }, // not the Task itself: a record outlives it and needs only these
        phase: 'start',
        runs: [],
        hops: [],
        hopMs: 0,
        threadRuns: 0,
        local: [],
        blockedSteps: 0,
        longestGreenStepMs: undefined,
        async: false,
        crashes: [],
        crashed: undefined,
        reason: undefined,
      };
      this.#tasks.set(task.id, record);
    }
    return record;
  }

  /** Re-judges a task from its window; returns true when its route changed. */
  #judge(record: TaskRecord): boolean {
    const { sampleSize, minThreadRunMs, blockingThresholdMs } = this.#options;
    if (record.runs.length < sampleSize) return false;
    const run = median(record.runs);
    const longest = Math.max(...record.runs);
    // The fastest hop of the window: a call that found a worker idle (queue wait is load, not the trip's cost).
    const hop = Math.min(...record.hops);
    record.hopMs = hop;
    const figures = `median run ${formatMs(run)} ms`;
    let next: AutoPhase;
    let reason: string;
    if (longest > blockingThresholdMs) {
      next = 'threads';
      reason = `auto: a thread run of ${formatMs(longest)} ms > ${formatMs(blockingThresholdMs)} ms among the last ${sampleSize} (in-process it would hold the loop that long); stays on threads`;
    } else if (run < hop) {
      next = 'in-process';
      reason = `auto: ${figures} < hop ${formatMs(hop)} ms (the fastest of ${sampleSize} thread runs)`;
    } else if (run < minThreadRunMs) {
      next = 'in-process';
      reason = `auto: ${figures} < minThreadRunMs ${formatMs(minThreadRunMs)} ms over ${sampleSize} thread runs`;
    } else {
      next = 'threads';
      reason = `auto: ${figures} >= hop ${formatMs(hop)} ms and >= minThreadRunMs ${formatMs(minThreadRunMs)} ms over ${sampleSize} thread runs; stays on threads`;
    }
    record.reason = reason; // fresh figures for stats(); cached decisions keep theirs until the phase changes
    if (next === record.phase) return false;
    const changed = next === 'in-process' || record.phase === 'in-process';
    if (next === 'in-process') record.local = []; // its in-process window starts afresh (and is probed again)
    record.phase = next;
    this.#version += 1;
    return changed;
  }
}

/**
 * Formats milliseconds for reasons: 37, 3.2, 0.04, 0.002 (one significant digit below 1 ms).
 * @param ms - a duration.
 */
export function formatMs(ms: number): string {
  if (ms >= 10) return String(Math.round(ms));
  if (ms >= 1) return String(Number(ms.toFixed(1)));
  return ms <= 0 ? '0' : String(Number(ms.toPrecision(1)));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function stripUndefined(options: LooseAdaptiveOptions): Partial<AdaptiveOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

/**
 * The verdict of a crash budget on a task's crash times (oldest first): spent when `crashes` of them fall within
 * `windowMs` of the latest (older ones are dropped from `times`), else undefined.
 */
function crashVerdict(times: number[], budget: CrashBudget): CrashVerdict | undefined {
  const latest = times.at(-1);
  if (latest === undefined) return undefined;
  while (times.length > 0 && latest - (times[0] as number) > budget.windowMs) times.shift();
  if (times.length < budget.crashes) return undefined;
  const instead = budget.then === 'green' ? 'runs in-process on a greenlet' : 'fails at once with WorkerCrashedError';
  const crashes = times.length === 1 ? '1 worker crash' : `${times.length} worker crashes`;
  return { then: budget.then, reason: `crash budget spent: ${crashes} within ${formatMs(budget.windowMs)} ms; it ${instead}` };
}
