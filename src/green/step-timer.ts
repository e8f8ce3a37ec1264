/**
 * `StepTimer`: how the hub times greenlet steps — one clock read per step, every step (an async step: where it
 * ends; the hub reads once more where its suspended pass goes on), and one more at a death inside a step that has
 * links to notify.
 *
 * @module
 */
import type { StepStats } from './step-stats.js';

/** A step shorter than this (ms) lets the histogram sampling thin out; a longer one makes it record every step. */
const shortMs = 0.05;
/** At most one step in this many is recorded in the per-task histograms while steps are short. */
const maxSampleEvery = 64;

/**
 * Times steps for the hub's slices, per-task step statistics and blocking detection.
 *
 * Why one clock read per step: SPEC §6 says every step longer than `blockingThresholdMs` is reported (the hub's
 * `'blocked'` event and `blockedSteps`, which teach `auto` that a task blocks). Steps timed in batches between
 * two clock reads cannot say which step of a batch was long, so a blocking step that fell inside a batch went
 * unreported. The end of one step is the start of the next, so each step costs exactly one read of `now`; that
 * read is the price of exactness (the green bench's switch-cost rows show it against a clock that costs nothing).
 * Slices end exactly too: the hub checks the slice after every step.
 *
 * What stays cheap: the per-task histograms (a native call per record) take a sample — every step while steps
 * are long, thinning to one in 64 while they stay under 0.05 ms; which step is sampled is decided before it runs,
 * so the sample is unbiased. The step count and the longest step are exact.
 *
 * Why a second read at a death (SPEC §6: links run synchronously at death, so they run inside the dying step): a
 * greenlet's step is its own code. What its death notifies — a `deferToGreenlet` Deferred running the caller's
 * `addCallback` chain, a join's waiters — is not, so the hub calls {@link StepTimer.died} just before the links run:
 * the step is charged up to there, and the next {@link StepTimer.after} times the callbacks alone. A callback run
 * longer than the threshold is still reported (it froze the loop), to `onSlowCallbacks`, not as the task's step:
 * otherwise `auto` would pin the wrong task (the quick greenlet whose Deferred fired a slow callback) to threads.
 * A death with nothing to notify needs no second read.
 *
 * The timer is the only writer of a task's {@link StepStats} (its counters and histogram): who makes, holds, writes
 * and reads them, and when, is the contract in step-stats.ts.
 */
export class StepTimer {
  #last = 0; // the clock when the step now running started: the end of the previous one
  #sampleEvery = 1;
  #countdown = 1;
  #callbacks = false; // the step now running died and its links run: the next after() times them, not a step
  readonly #thresholdMs: number;
  readonly #now: () => number;
  readonly #onBlocked: (g: unknown, stats: StepStats, ms: number) => void;
  readonly #onSlowCallbacks: (g: unknown, ms: number) => void;

  /**
   * @param thresholdMs - a step (or a death's callbacks) longer than this is blocking.
   * @param now - the wall-time source (ms), the hub's `now` option.
   * @param onBlocked - told about each blocking step: the greenlet, its task stats, the ms.
   * @param onSlowCallbacks - told about each death whose links ran longer than the threshold: the dead greenlet,
   *   the ms (not its task's time).
   */
  constructor(
    thresholdMs: number,
    now: () => number,
    onBlocked: (g: unknown, stats: StepStats, ms: number) => void,
    onSlowCallbacks: (g: unknown, ms: number) => void = () => undefined,
  ) {
    this.#thresholdMs = thresholdMs;
    this.#now = now;
    this.#onBlocked = onBlocked;
    this.#onSlowCallbacks = onSlowCallbacks;
  }

  /**
   * Start timing (a pass begins, or a suspended one goes on).
   * @param t - the clock now, when the caller has just read it (one read, not two, where a pass goes on).
   * @returns the clock now.
   */
  start(t: number = this.#now()): number {
    this.#last = t;
    return t;
  }

  /**
   * After a step of greenlet `g` of task `stats`: reads the clock once, counts and times the step.
   * @param g - the greenlet.
   * @param stats - its task's stats.
   * @returns the clock now (the next step's start).
   */
  after(g: unknown, stats: StepStats): number {
    const t = this.#now();
    const ms = t - this.#last;
    // The common step (no callbacks to time, no new longest step, nothing to report, not sampled) only counts: kept
    // this small, the hub's run loop takes it in whole (the switch row: 0.96x the time, CPU time, A/A beside).
    if (this.#callbacks || ms > stats.maxMs || ms > this.#thresholdMs || this.#countdown === 1) this.#afterRare(g, stats, ms);
    else {
      stats.steps++;
      this.#countdown--;
    }
    this.#last = t;
    return t;
  }

  /** {@link StepTimer.after} for a step that is not the common one: the callbacks' time, or {@link StepTimer.#step}. */
  #afterRare(g: unknown, stats: StepStats, ms: number): void {
    if (this.#callbacks) {
      this.#callbacks = false;
      if (ms > this.#thresholdMs) this.#onSlowCallbacks(g, ms);
    } else {
      this.#step(g, stats, ms);
    }
  }

  /**
   * Greenlet `g` died inside the step now running and its links run next: charge the step up to now, and let the
   * step's {@link StepTimer.after} time the links' callbacks instead (see the class comment).
   * @param g - the greenlet. @param stats - its task's stats.
   */
  died(g: unknown, stats: StepStats): void {
    const t = this.#now();
    this.#step(g, stats, t - this.#last);
    this.#last = t;
    this.#callbacks = true;
  }

  /**
   * The start of the step now running, for a step the caller times itself (an async step, from its resumption
   * to its next hub wait, which may come after other code ran).
   * @returns the clock when the step started (no new read).
   */
  mark(): number {
    return this.#last;
  }

  /**
   * Account a step that started at `startedAt` (an async step, from its resumption to its next hub wait) and ends
   * now, then go on timing from now: one clock read.
   * @param g - the greenlet. @param stats - its task's stats. @param startedAt - from {@link StepTimer.mark}.
   */
  timed(g: unknown, stats: StepStats, startedAt: number): void {
    const t = this.#now();
    this.#step(g, stats, t - startedAt);
    this.#last = t;
  }

  #step(g: unknown, stats: StepStats, ms: number): void {
    stats.steps++;
    if (ms > stats.maxMs) stats.maxMs = ms;
    if (ms > this.#thresholdMs) this.#onBlocked(g, stats, ms);
    if (--this.#countdown === 0) {
      stats.record(ms);
      if (ms > shortMs) this.#sampleEvery = 1;
      else if (this.#sampleEvery < maxSampleEvery) this.#sampleEvery *= 2;
      this.#countdown = this.#sampleEvery;
    }
  }
}
