/**
 * Per-task step timing of the green hub.
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
  /** Steps run (all of them; the histogram holds a sample, see `StepTimer`). */
  steps = 0;
  /** The longest step in milliseconds (all of them). */
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
