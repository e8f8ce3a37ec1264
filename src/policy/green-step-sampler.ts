/**
 * Times a sample of the green runs `auto` chose, so a task that blocks now and then is caught.
 *
 * Why, when the hub already reports blocked steps: the hub reads the clock once per batch of steps and
 * names a blocker only when it blocks again while still suspect, so a task that stalls the loop one call
 * in 25 can go unreported for ever — and `auto` would keep it on greenlets. This sampler times a random
 * share of those calls itself (two clock reads each, so only a share: the clock costs more than a
 * tiny task) and feeds each time to the task's in-process window (`recordInProcessRun`: a long one counts as
 * a blocked step, the median re-judges the task). It only wraps plain synchronous
 * functions of Tasks: their whole call is one green step; generator and async tasks are
 * stepped by the hub, which times them.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { defineTask, isTask, type Task } from '../task/task.js';
import type { Policy } from './policy.js';

/** Options of {@link GreenStepSampler}. */
export interface GreenStepSamplerOptions {
  /**
   * Share of the calls timed, 0–1.
   * @defaultValue 0.125
   */
  rate?: number;
  /**
   * Source of randomness (tests pass a fixed one).
   * @defaultValue Math.random
   */
  random?: () => number;
  /**
   * The wall time (ms) a call is timed with (tests pass a fake one).
   * @defaultValue performance.now
   */
  now?: () => number;
}

/** Picks green calls of plain-function Tasks to time, and feeds their times to the policy's in-process window. */
export class GreenStepSampler {
  readonly #policy: Policy;
  readonly #rate: number;
  readonly #random: () => number;
  readonly #now: () => number;
  /** Per task: its timed twin, or `null` when it cannot be timed this way. */
  readonly #twins = new WeakMap<Task, Task | null>();

  /**
   * @param policy - told about long calls (`recordBlockedStep`).
   * @param options - sampling rate and randomness.
   */
  constructor(policy: Policy, options: GreenStepSamplerOptions = {}) {
    this.#policy = policy;
    this.#rate = options.rate ?? 0.125;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * The task to spawn: `task` itself, or (for a sampled call) a twin with the same name and options whose
   * function times the call.
   * @param task - a Task `auto` sent to greenlets.
   * @param every - time this call whatever the rate (the task's in-process window is still filling).
   */
  pick(task: Task, every = false): Task {
    if (!every && this.#random() >= this.#rate) return task;
    let twin = this.#twins.get(task);
    if (twin === undefined) {
      twin = this.#makeTwin(task);
      this.#twins.set(task, twin);
    }
    return twin ?? task;
  }

  #makeTwin(task: Task): Task | null {
    const fn = task.fn as ((...args: unknown[]) => unknown) | undefined;
    // Only plain functions: a generator or async function is stepped (and timed) by the hub.
    if (typeof fn !== 'function' || fn.constructor.name !== 'Function') return null;
    const policy = this.#policy;
    const now = this.#now;
    const identity = { id: task.id, name: task.name }; // the twin is the same task: its runs are the task's
    const timed = function (this: unknown, ...args: unknown[]): unknown {
      const start = now();
      try {
        return fn.apply(this, args);
      } finally {
        policy.recordInProcessRun(identity, now() - start, 'green step');
      }
    };
    const twin = defineTask(task.moduleUrl, task.exportName, timed, task.options);
    return isTask(twin) ? twin : null;
  }
}
