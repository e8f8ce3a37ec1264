/**
 * `ResultFlush`: when a worker running a coalesced batch sends the results it holds (SPEC §7 `coalesce.flushMs`).
 *
 * Why: one message per result costs both threads more than the no-op calls themselves, and a backlog of them is
 * read by the main thread in one go (one long event-loop turn); one message per batch would let a slow call hold
 * its finished batch-mates. So results are held while the calls run quickly, and leave before a call that may take
 * them past `flushMs`: one of a task this worker has not timed yet (it may run long, crash or be killed: what
 * finished before it is sent first), or one whose task recently ran long enough.
 *
 * Invariants:
 * - Nothing is held across a call of unknown length; across a known one, only results younger than half of
 *   `flushMs` minus the longest recent run of its task (so a task whose calls take `flushMs / 2` or more never
 *   holds a result behind one of its calls).
 * - A task's expected run time is its longest recent run, decaying by half a run: one slow call makes the next
 *   few calls of its task flush first, then it is forgotten.
 * - Time comes from the injected `now` (ms, monotonic): the policy itself never reads a clock.
 *
 * @module
 */

/** How fast a task's longest recent run is forgotten: each run keeps this share of the previous estimate. */
const decay = 0.5;

/** The flush policy of one worker. */
export class ResultFlush {
  readonly #flushMs: number;
  readonly #now: () => number;
  /** Longest recent run (ms) per task key. */
  readonly #expected = new Map<string, number>();
  /** When the oldest held result was recorded (ms, `now` scale); NaN while none is held. */
  #oldest = Number.NaN;

  /**
   * @param flushMs - the longest a finished result should wait (`coalesce.flushMs`).
   * @param now - the clock (ms, monotonic; `performance.now` in a worker).
   */
  constructor(flushMs: number, now: () => number) {
    this.#flushMs = flushMs;
    this.#now = now;
  }

  /** Whether results are held now. */
  get holding(): boolean {
    return !Number.isNaN(this.#oldest);
  }

  /** A result was added to the held ones. */
  held(): void {
    if (Number.isNaN(this.#oldest)) this.#oldest = this.#now();
  }

  /** The held results were sent. */
  flushed(): void {
    this.#oldest = Number.NaN;
  }

  /**
   * Records how long a call of `task` ran.
   * @param task - the task's key (module URL and export name).
   * @param runMs - its run time.
   */
  learn(task: string, runMs: number): void {
    const previous = this.#expected.get(task);
    this.#expected.set(task, Math.max(runMs, (previous ?? 0) * decay));
  }

  /**
   * Whether the held results must leave before a call of `task` starts.
   * @param task - the next call's task key.
   * @returns true when results are held and the call is of unknown length, or expected to take them past half of
   *   `flushMs` (half: a call of its task that runs longer than expected then still keeps them within `flushMs`
   *   as long as it stays below twice the expectation, and a task of 1 ms calls never holds one behind another).
   */
  before(task: string): boolean {
    if (Number.isNaN(this.#oldest)) return false;
    const expected = this.#expected.get(task);
    return expected === undefined || this.#now() - this.#oldest + expected >= this.#flushMs / 2;
  }
}
