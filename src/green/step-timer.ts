/**
 * `StepTimer`: how the hub times greenlet steps — one clock read per group of quick steps of one task (a step alone
 * once steps are not quick, or the task changes), one where an async step ends, and one at a death inside a step
 * whose links run code that is not the library's.
 *
 * @module
 */
import type { StepStats } from './step-stats.js';

/** A step shorter than this (ms) lets the histogram sampling thin out; a longer one makes it record every step. */
const shortMs = 0.05;
/** At most one step in this many is recorded in the per-task histograms while steps are short. */
const maxSampleEvery = 64;
/** The most steps of one task timed by one clock read (see the class comment). */
const maxGroup = 64;

/**
 * Times steps for the hub's slices, per-task step statistics and blocking detection.
 *
 * Why not one clock read per step: a read of `performance.now()` costs 90-150 ns where the kernel has no vDSO clock
 * (the bench machine: `clock_gettime` in C takes ~100 ns there), which is several times a switch (a bare generator
 * round-robin switches in ~22 ns) and half a `deferToGreenlet` no-op call. So the timer reads the clock once per
 * *group*: up to `every` steps of one task in a row (the hub calls {@link StepTimer.before} before each step; a step
 * of another task closes the open group with a read first, so a group never mixes tasks). `every` is 1 (a read per
 * step) until groups prove short: it doubles after each group that took at most `shortMs`, up to `maxGroup`, and
 * falls back to 1 after any group that took longer. A run of quick steps of one task pays one read per 64 of them;
 * anything slower, and every change of task, is timed step by step as before.
 *
 * What a group keeps of SPEC §6 (every step longer than `blockingThresholdMs` is reported, so `auto` learns that its
 * task blocks): a long step inside a group makes the group longer than the threshold, so it is reported and counted,
 * under its task (a group is one task's steps) with the group's time as `ms` — the step's time plus that of at most
 * `maxGroup - 1` steps of the same task, each of which was under `shortMs` in the group before. What a group cannot
 * say: which of its greenlets blocked (the event names the one whose step ended the group), and two long steps in one
 * group are one report (the group after a long one is a single step again). `steps` stays exact; `maxMs` is the
 * longest step or group timed (never less than the longest step). Slices: the hub checks its slice at each read, so
 * a slice runs over by at most the rest of one group (a group grows only after the group before it took at most
 * `shortMs`).
 *
 * What stays cheap besides: the per-task histograms (a native call per record) take a sample — every timed step or
 * group while steps are long, thinning to one in 64 while they stay under `shortMs`; a group is recorded as its mean
 * step; which one is sampled is decided before it runs, so the sample is unbiased.
 *
 * Why a read at a death (SPEC §6: links run synchronously at death, so they run inside the dying step): a
 * greenlet's step is its own code. What its death notifies — a `deferToGreenlet` Deferred running the caller's
 * `addCallback` chain, a join's waiters — is not, so the hub calls {@link StepTimer.died} just before the links run
 * (only when the links run code that is not the library's: user-code-gate.ts): the open group is charged up to
 * there, and the next {@link StepTimer.after} times the callbacks alone. A callback run longer than the threshold is
 * still reported (it froze the loop), to `onSlowCallbacks`, not as the task's step: otherwise `auto` would pin the
 * wrong task (the quick greenlet whose Deferred fired a slow callback) to threads.
 *
 * The timer is the only writer of a task's {@link StepStats} (its counters and histogram): who makes, holds, writes
 * and reads them, and when, is the contract in step-stats.ts.
 */
export class StepTimer {
  #last = 0; // the clock at the last read: the start of the open group
  #sampleEvery = 1;
  #countdown = 1;
  #callbacks = false; // the step now running died and its links run: the next after() times them, not a step
  #stats: StepStats | null = null; // the task of the open group
  #pending = 0; // steps of the open group that ended since the last read
  #pendingG: unknown = null; // the greenlet whose step ended last in the open group
  #every = 1; // steps per group
  #left = 1; // steps the open group may still take before a read
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
   * Start timing (a pass begins, or a suspended one goes on). The caller closed any open group ({@link StepTimer.flush}).
   * @param t - the clock now, when the caller has just read it (one read, not two, where a pass goes on).
   * @returns the clock now.
   */
  start(t: number = this.#now()): number {
    this.#last = t;
    return t;
  }

  /**
   * Before a step of task `stats`: a step of another task closes the open group first (one read), so a group is
   * one task's steps.
   * @param stats - the task of the step about to run.
   */
  before(stats: StepStats): void {
    if (stats !== this.#stats) {
      if (this.#pending > 0) this.#read();
      this.#stats = stats;
    }
  }

  /**
   * After a step of greenlet `g` of task `stats` (the task {@link StepTimer.before} was told): ends the group with a
   * read when it is full or the step's death ran callbacks, else adds the step to it.
   * @param g - the greenlet.
   * @param stats - its task's stats.
   * @returns the clock as last read (now, when this call read it).
   */
  after(g: unknown, stats: StepStats): number {
    if (this.#callbacks) {
      const t = this.#now();
      this.#callbacks = false;
      if (t - this.#last > this.#thresholdMs) this.#onSlowCallbacks(g, t - this.#last);
      this.#last = t;
      return t;
    }
    this.#stats = stats;
    this.#pending++;
    this.#pendingG = g;
    if (--this.#left > 0) return this.#last;
    return this.#read();
  }

  /**
   * Greenlet `g` died inside the step now running and its links run next: charge the open group, this step
   * included, up to now, and let the step's {@link StepTimer.after} time the links' callbacks instead (see the class
   * comment).
   * @param g - the greenlet. @param stats - its task's stats.
   */
  died(g: unknown, stats: StepStats): void {
    this.#stats = stats;
    this.#pending++;
    this.#pendingG = g;
    this.#read();
    this.#callbacks = true;
  }

  /**
   * Close the open group with a read, if it has steps (the hub, where a pass ends or its drain suspends).
   * @returns the clock as last read.
   */
  flush(): number {
    return this.#pending > 0 ? this.#read() : this.#last;
  }

  /**
   * The start of the step now running, for a step the caller times itself (an async step, from its resumption
   * to its next hub wait, which may come after other code ran): the open group is closed first, so this may read.
   * @returns the clock when the step started, or (after a group) the moment its synchronous part was handed over.
   */
  mark(): number {
    return this.flush();
  }

  /**
   * Account a step that started at `startedAt` (an async step, from its resumption to its next hub wait) and ends
   * now, then go on timing from now: one clock read.
   * @param g - the greenlet. @param stats - its task's stats. @param startedAt - from {@link StepTimer.mark}.
   */
  timed(g: unknown, stats: StepStats, startedAt: number): void {
    const t = this.#now();
    this.#account(g, stats, 1, t - startedAt);
    this.#last = t;
  }

  /** Read the clock and account the open group's steps. @returns the reading. */
  #read(): number {
    const t = this.#now();
    const n = this.#pending;
    const ms = t - this.#last;
    this.#last = t;
    this.#pending = 0;
    this.#account(this.#pendingG, this.#stats!, n, ms);
    this.#pendingG = null;
    // The next group: longer while groups stay short, a single step again after a long one.
    if (ms > shortMs) this.#every = 1;
    else if (this.#every < maxGroup) this.#every *= 2;
    this.#left = this.#every;
    return t;
  }

  #account(g: unknown, stats: StepStats, n: number, ms: number): void {
    stats.steps += n;
    if (ms > stats.maxMs) stats.maxMs = ms;
    if (ms > this.#thresholdMs) this.#onBlocked(g, stats, ms);
    if (--this.#countdown === 0) {
      const mean = ms / n;
      stats.record(mean);
      if (mean > shortMs) this.#sampleEvery = 1;
      else if (this.#sampleEvery < maxSampleEvery) this.#sampleEvery *= 2;
      this.#countdown = this.#sampleEvery;
    }
  }
}
