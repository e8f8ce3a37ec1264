/**
 * `StepTimer`: how the hub times greenlet steps without reading the clock on every switch.
 *
 * @module
 */
import type { StepStats } from './step-stats.js';

/** Most steps timed together in one batch. */
const maxBatch = 64;
/** A batch shorter than this (ms) lets the next one grow; a step longer than this is timed alone. */
const shortMs = 0.05;
/**
 * How many of a suspect task's steps are timed alone before it may be batched again. Large enough that a task
 * blocking one call in hundreds blocks again while still timed alone; small enough that a one-off stall of the
 * machine (a GC pause, the process descheduled) during a batch costs its innocent tasks only ~0.1 ms of clock reads.
 */
const suspectSteps = 1_000;

/**
 * Times steps for the hub's slices, per-task step statistics and blocking detection.
 *
 * Why not a clock read per step: `performance.now()` costs more than a whole generator switch, so timing every
 * step would at least double the switch cost. Instead steps run in batches of up to 64 between two clock reads;
 * the batch size adapts (doubling while batches stay under 0.05 ms, back to 1 as soon as steps get long), so a
 * slice never overruns by more than a fraction of a millisecond. The first step of every batch is timed alone —
 * an unbiased sample for the per-task histograms — and so is every step while batches are of size 1.
 *
 * Blocking detection never blames the wrong task: a step timed alone that exceeds the threshold is reported with
 * its greenlet; a batch that exceeds it (one of its steps blocked, unknown which) reports nothing but marks every
 * task in it as a suspect, whose next 1,000 steps are timed alone — so the task that blocked is reported the
 * next time it blocks unless that is rarer than one step in a thousand. (The innocent tasks batched with it only
 * lose the batching discount for a while; a stall of the whole machine during a batch costs no more than that.)
 */
export class StepTimer {
  #size = 1;
  #inBatch = 0;
  #distinct = 0; // tasks recorded in #batch for the batch in progress
  #sampleDue = true;
  #batchStart = 0;
  readonly #batch: StepStats[] = [];
  readonly #thresholdMs: number;
  readonly #now: () => number;
  readonly #onBlocked: (g: unknown, stats: StepStats, ms: number) => void;

  /**
   * @param thresholdMs - a step longer than this is blocking.
   * @param now - the wall-time source (ms), the hub's `now` option.
   * @param onBlocked - told about each blocking step timed alone: the greenlet, its task stats, the ms.
   */
  constructor(thresholdMs: number, now: () => number, onBlocked: (g: unknown, stats: StepStats, ms: number) => void) {
    this.#thresholdMs = thresholdMs;
    this.#now = now;
    this.#onBlocked = onBlocked;
  }

  /** Start timing (a pass begins). @returns the clock now. */
  start(): number {
    this.#inBatch = 0;
    this.#distinct = 0;
    this.#sampleDue = true;
    this.#batchStart = this.#now();
    return this.#batchStart;
  }

  /**
   * Before a step of a greenlet of task `stats`.
   * @returns true when this step is to be timed alone.
   */
  solo(stats: StepStats): boolean {
    if (!this.#sampleDue && this.#size > 1 && stats.suspect === 0) return false;
    if (this.#inBatch > 0) this.#close(this.#now());
    return true;
  }

  /**
   * After a step.
   * @param g - the greenlet.
   * @param stats - its task's stats.
   * @param solo - what {@link StepTimer.solo} said.
   * @returns the clock when it was read, else -1.
   */
  after(g: unknown, stats: StepStats, solo: boolean): number {
    stats.steps++;
    if (!solo) {
      // Remember the batch's tasks for suspicion; a run of one task's steps is stored once.
      if (this.#distinct === 0 || this.#batch[this.#distinct - 1] !== stats) this.#batch[this.#distinct++] = stats;
      if (++this.#inBatch < this.#size) return -1;
      const t = this.#now();
      this.#close(t);
      return t;
    }
    const t = this.#now();
    this.#timed(g, stats, t - this.#batchStart);
    this.#batchStart = t;
    this.#sampleDue = false; // batched steps follow the sample
    return t;
  }

  /**
   * Close the batch in progress (before an async step, whose time is taken separately).
   * @returns the clock now.
   */
  mark(): number {
    const t = this.#now();
    if (this.#inBatch > 0) this.#close(t);
    else this.#batchStart = t;
    return t;
  }

  /**
   * Account a step timed by the caller (an async step, from its resumption to its next hub wait).
   * @param g - the greenlet. @param stats - its task's stats. @param ms - the step's time.
   */
  timed(g: unknown, stats: StepStats, ms: number): void {
    stats.steps++;
    this.#timed(g, stats, ms);
    this.#batchStart = this.#now();
  }

  /** End timing (a pass ends): close the batch in progress. */
  finish(): void {
    if (this.#inBatch > 0) this.#close(this.#now());
  }

  #timed(g: unknown, stats: StepStats, ms: number): void {
    stats.record(ms);
    if (ms > this.#thresholdMs) {
      stats.suspect = suspectSteps;
      this.#size = 1;
      this.#onBlocked(g, stats, ms);
      return;
    }
    if (stats.suspect > 0) stats.suspect--;
    if (ms > shortMs) this.#size = 1;
    else if (this.#size === 1) this.#size = 2;
  }

  #close(t: number): void {
    const n = this.#inBatch;
    const distinct = this.#distinct;
    const ms = t - this.#batchStart;
    this.#batchStart = t;
    this.#inBatch = 0;
    this.#distinct = 0;
    this.#sampleDue = true;
    if (ms > this.#thresholdMs) {
      for (let i = 0; i < distinct; i++) this.#batch[i]!.suspect = suspectSteps; // one of them blocked: time each alone a while
      this.#size = 1;
    } else if (ms < shortMs) {
      if (this.#size < maxBatch) this.#size *= 2;
    } else if (ms / n > shortMs) {
      this.#size = 1;
    }
  }
}
