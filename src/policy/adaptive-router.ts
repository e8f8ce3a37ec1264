/**
 * The `auto` route: where a task runs when nobody said, learned from what the reactor measures.
 *
 * Rules (SPEC §7): a declared kind decides at once (`cpu`/`blocking` → threads, `io`/`cooperative` →
 * greenlets). A task without a kind starts on threads; once the median of its last `sampleSize` thread
 * runs is below `minThreadRunMs` the hop costs more than the work, so it moves to greenlets. A green
 * step of it longer than `blockingThresholdMs` froze the event loop, so it goes back to threads for
 * good. A plain function (not a Task) cannot be loaded by a worker, so it always runs green.
 *
 * The router only learns from what it is fed (`recordThreadRun`, `recordBlockedStep`), so tests drive
 * it deterministically. `version` changes whenever a task's route changes, which lets callers cache
 * decisions and notice when they go stale.
 *
 * @module
 */
import type { Kind } from '../task/task.js';

/** How `auto` learns; see {@link defaultAdaptiveOptions}. */
export interface AdaptiveOptions {
  /** Thread runs measured before a task without a kind is judged (a rolling window of this size). */
  sampleSize: number;
  /** A median thread run below this (ms) moves the task to greenlets. */
  minThreadRunMs: number;
  /** A green step longer than this (ms) sends the task back to threads for good. */
  blockingThresholdMs: number;
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
 */
export const defaultAdaptiveOptions: Readonly<AdaptiveOptions> = Object.freeze({
  sampleSize: 20,
  minThreadRunMs: 0.5,
  blockingThresholdMs: 20,
});

/** What `auto` currently thinks of a task without a kind. */
export type AutoPhase = 'measuring' | 'threads' | 'green' | 'pinned-to-threads';

/** A route `auto` resolves to, with the reason. */
export interface AutoVerdict {
  /** Threads or greenlets. */
  readonly route: 'thread' | 'green';
  /** Why, for a person. */
  readonly reason: string;
}

/** What `auto` learned about one task (by name), as shown by `stats()`. */
export interface AutoTaskStats {
  /** The current phase. */
  phase: AutoPhase;
  /** Thread runs recorded in total. */
  threadRuns: number;
  /** Median of the last `sampleSize` thread runs (ms); `undefined` before any run. */
  medianThreadRunMs: number | undefined;
  /** Green steps reported as blocked. */
  blockedSteps: number;
  /** Longest blocked green step seen (ms); `undefined` when none. */
  longestGreenStepMs: number | undefined;
  /** The reason of the current route. */
  reason: string;
}

interface TaskRecord {
  phase: AutoPhase;
  /** The last `sampleSize` thread run times (a sliding window: the oldest is dropped first). */
  samples: number[];
  threadRuns: number;
  blockedSteps: number;
  longestGreenStepMs: number | undefined;
  reason: string | undefined;
}

/** Learns, per task name, whether work without a declared kind belongs on threads or greenlets. */
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
   * Replaces the thresholds (a policy reload); what was learned is kept and re-judged lazily.
   * @param options - the new thresholds; missing fields take the defaults.
   */
  configure(options: LooseAdaptiveOptions): void {
    this.#options = { ...defaultAdaptiveOptions, ...stripUndefined(options) };
    for (const record of this.#tasks.values()) {
      record.samples = record.samples.slice(-this.#options.sampleSize);
      if (record.phase !== 'pinned-to-threads') this.#judge(record);
    }
    this.#version += 1;
  }

  /**
   * Resolves `auto` for a task.
   * @param name - the task's name.
   * @param kind - its declared kind, if any.
   * @param plain - true for a plain function (which cannot run on a thread).
   */
  route(name: string, kind: Kind | undefined, plain: boolean): AutoVerdict {
    if (kind === 'cpu' || kind === 'blocking') return { route: 'thread', reason: `auto: kind '${kind}' runs on threads` };
    if (kind === 'io' || kind === 'cooperative') return { route: 'green', reason: `auto: kind '${kind}' runs on greenlets` };
    if (plain) return { route: 'green', reason: 'auto: a plain function can only run in-process, on a greenlet' };
    const record = this.#tasks.get(name);
    if (record === undefined || record.reason === undefined) {
      return {
        route: 'thread',
        reason: `auto: task '${name}' declares no kind; it runs on threads until ${this.#options.sampleSize} runs are measured`,
      };
    }
    return { route: record.phase === 'green' ? 'green' : 'thread', reason: record.reason };
  }

  /**
   * Feeds one thread run time of a task.
   * @param name - the task's name.
   * @param ms - how long the worker ran it.
   * @returns true when the task's route changed.
   */
  recordThreadRun(name: string, ms: number): boolean {
    const record = this.#record(name);
    record.threadRuns += 1;
    record.samples.push(ms);
    if (record.samples.length > this.#options.sampleSize) record.samples.shift();
    return record.phase === 'pinned-to-threads' ? false : this.#judge(record);
  }

  /**
   * Feeds one blocked green step of a task (the hub's `blocked` event).
   * @param name - the task's name.
   * @param ms - how long the step held the event loop.
   * @returns true when the task's route changed (it is now pinned to threads).
   */
  recordBlockedStep(name: string, ms: number): boolean {
    const record = this.#record(name);
    record.blockedSteps += 1;
    record.longestGreenStepMs = Math.max(record.longestGreenStepMs ?? 0, ms);
    if (record.phase === 'pinned-to-threads' || !(ms > this.#options.blockingThresholdMs)) return false;
    const wasGreen = record.phase === 'green';
    record.phase = 'pinned-to-threads';
    record.reason = `auto: green step took ${formatMs(ms)} ms > ${formatMs(this.#options.blockingThresholdMs)} ms`;
    this.#version += 1;
    return wasGreen;
  }

  /** What was learned, per task name. */
  snapshot(): Record<string, AutoTaskStats> {
    const out: Record<string, AutoTaskStats> = {};
    for (const [name, r] of this.#tasks) {
      out[name] = {
        phase: r.phase,
        threadRuns: r.threadRuns,
        medianThreadRunMs: r.samples.length === 0 ? undefined : median(r.samples),
        blockedSteps: r.blockedSteps,
        longestGreenStepMs: r.longestGreenStepMs,
        reason: this.route(name, undefined, false).reason,
      };
    }
    return out;
  }

  #record(name: string): TaskRecord {
    let record = this.#tasks.get(name);
    if (record === undefined) {
      record = {
        phase: 'measuring',
        samples: [],
        threadRuns: 0,
        blockedSteps: 0,
        longestGreenStepMs: undefined,
        reason: undefined,
      };
      this.#tasks.set(name, record);
    }
    return record;
  }

  /** Re-judges a task from its samples; returns true when its route changed. */
  #judge(record: TaskRecord): boolean {
    const { sampleSize } = this.#options;
    if (record.samples.length < sampleSize) return false;
    const m = median(record.samples);
    const { minThreadRunMs } = this.#options;
    const next: AutoPhase = m < minThreadRunMs ? 'green' : 'threads';
    if (next === record.phase) return false;
    const routeChanged = (record.phase === 'green') !== (next === 'green');
    record.phase = next;
    record.reason =
      next === 'green'
        ? `auto: median thread run ${formatMs(m)} ms < ${formatMs(minThreadRunMs)} ms over ${sampleSize} runs`
        : `auto: median thread run ${formatMs(m)} ms >= ${formatMs(minThreadRunMs)} ms over ${sampleSize} runs`;
    this.#version += 1;
    return routeChanged;
  }
}

/**
 * Formats milliseconds for reasons: 37, 3.2, 0.04.
 * @param ms - a duration.
 */
export function formatMs(ms: number): string {
  const digits = ms >= 10 ? 0 : ms >= 1 ? 1 : 2;
  return String(Number(ms.toFixed(digits)));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function stripUndefined(options: LooseAdaptiveOptions): Partial<AdaptiveOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}
