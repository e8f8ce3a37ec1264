/**
 * Per-task step timing of the green hub.
 *
 * Contract (one `StepStats` is shared by the hub, the step timer and every greenlet of a task; gevent's `Waiter`
 * docstring is the model — say who may call what, and from where):
 * - Made by the hub only (`Hub.#siteFor`): one per task id per hub, on the task's first spawn, kept in the hub's
 *   `#taskStats` for the hub's life — never reset, never removed, so a task's figures only accumulate.
 * - Held, not touched, by a task's greenlets and lazy calls: through their `SpawnSite.stats` (shared by a run of
 *   spawns), handed back to the hub by `greenletControl.stats(g)` / `GreenletCall.stats` when it times their step.
 *   Greenlet code never reaches it.
 * - Written by `StepTimer` only (`#step`: `steps`, `maxMs` and {@link StepStats.record}), for the hub, where a step
 *   ends: the run loop after a synchronous step (`after`), a death inside a step before its links run (`died`), and
 *   an async step's end (`timed`: the hub wait its greenlet's code just asked for, or its death). Always
 *   synchronously on the hub's thread, once per step, and never from code of another task's greenlet.
 * - Read by the hub only through {@link StepStats.snapshot} (`Hub.taskStatsById`, behind `hub.stats()` and
 *   `reactor.stats()`), at any time: JavaScript runs one thing at a time, so a snapshot sees whole steps (a step is
 *   counted, its `maxMs` and its sample recorded in one synchronous `#step`), and it is a copy the caller owns.
 * - Invariants: `steps` counts every step timed, `maxMs` is the longest of them, neither ever decreases; the
 *   histogram holds a sample of them (`StepTimer` decides which), so `p50Ms`/`p99Ms` are of that sample.
 *
 * @module
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** Step-time figures of one task (all greenlets running the same function or Task). */
export interface TaskStepStats {
  /** Steps run. */
  steps: number;
  /** Median step time in milliseconds (over a sample: every step while steps are long, fewer while they are short). */
  p50Ms: number;
  /** 99th-percentile step time in milliseconds (over the same sample). */
  p99Ms: number;
  /** Longest step in milliseconds (over every step). */
  maxMs: number;
}

/**
 * Records step times of one task into a `perf_hooks` histogram (nanosecond resolution, constant memory).
 *
 * Why a native histogram: one `record` per step is cheaper than keeping samples, and percentiles stay exact to
 * the histogram's precision however many steps run.
 */
export class StepStats {
  /** The task name. */
  readonly name: string;
  /** Which task: a Task's `id` (`moduleUrl#exportName`), a function's name. Two tasks may share a name, never an id. */
  readonly id: string;
  /** Steps run (all of them; the histogram holds a sample, see `StepTimer`). Written by `StepTimer` only (see the module). */
  steps = 0;
  /** The longest step in milliseconds (all of them). Written by `StepTimer` only (see the module). */
  maxMs = 0;
  readonly #histogram: RecordableHistogram = createHistogram();

  /**
   * @param name - the task name.
   * @param id - the task's id (a function's: its name).
   */
  constructor(name: string, id: string = name) {
    this.name = name;
    this.id = id;
  }

  /**
   * Record one step.
   * @param ms - the step's wall time in milliseconds.
   */
  record(ms: number): void {
    const ns = Math.round(ms * 1e6);
    this.#histogram.record(ns < 1 ? 1 : ns);
  }

  /** @returns the figures so far (percentiles over the sampled steps, the longest over all). */
  snapshot(): TaskStepStats {
    const h = this.#histogram;
    const steps = this.steps;
    if (h.count === 0) return { steps, p50Ms: 0, p99Ms: 0, maxMs: this.maxMs };
    return { steps, p50Ms: h.percentile(50) / 1e6, p99Ms: h.percentile(99) / 1e6, maxMs: this.maxMs };
  }
}
