/**
 * `BatchCosts`: what the pool knows a task's calls cost, and which waiting calls may share a coalesced batch
 * because of it (SPEC §7 `threads.coalesce`).
 *
 * Why: a batch runs its calls one after another in one worker. For calls far shorter than a message round trip
 * that is the whole gain of coalescing; for long calls it gains nothing (one round trip saved per several ms of
 * work) and costs a great deal: the calls of a batch cannot move to a worker that frees up meanwhile, so the last
 * worker to finish holds a long tail while the others idle (40 × fib(30) on 2 threads ran slower than one call per
 * message), and a batch-mate's result waits in the worker until it is flushed. So the pool sizes batches by cost:
 * - a call whose task is known to run long travels alone, as it would without coalescing;
 * - a batch grows only while its calls' expected total stays within its budget (`flushMs`, so a batch's calls end
 *   about as often as the worker flushes results);
 * - a call of a task never timed yet travels alone when the pool has more than one place for messages (it may be
 *   long: piling such calls onto one worker is what makes the tail). With a single place there is no other worker
 *   to balance against, and the worker flushes finished results before any call of unknown length anyway.
 *
 * Invariants:
 * - A task's expected run time is its longest recent run, decaying to an eighth with each timed run: one slow call
 *   (or the first call in a worker, which imports the task's module) makes the next call or two of its task travel
 *   alone, then it is forgotten.
 * - Run times come from the pool's timed runs (the workers' timing cells), never from a clock read here.
 * - Costs are kept per task id (`moduleUrl#exportName`), never per name: two modules' same-named tasks may cost
 *   very different amounts.
 *
 * @module
 */

/**
 * How fast a task's longest recent run is forgotten: each timed run keeps this share of the previous estimate. Fast:
 * the first run of a task in each worker includes importing its module (often several ms), which must not keep a
 * quick task out of batches for long.
 */
const decay = 0.125;

/**
 * The least run time (ms) counted as long whatever `flushMs` is: about five message round trips, so batching such a
 * call would save under a fifth of its time. Keeps `flushMs: 0` (flush every result at once) from ending batching
 * of quick calls.
 */
const minLongMs = 0.25;

/** The expected cost of each task's calls, and the batching decisions that follow from it. */
export class BatchCosts {
  /** Expected run time (ms) per task id. */
  readonly #expected = new Map<string, number>();
  /** A call expected to run this long or longer travels alone (ms). */
  readonly #longMs: number;
  /** Whether a call of unknown cost travels alone (the pool has more than one place for messages). */
  readonly #spread: boolean;

  /**
   * @param flushMs - `coalesce.flushMs`: a call of half of it or more travels alone; a batch's expected total
   *   stays within it.
   * @param places - how many messages the pool's serving workers hold at once (maxThreads ×
   *   concurrentTasksPerWorker): above 1, calls of unknown cost travel alone.
   */
  constructor(flushMs: number, places: number) {
    this.#longMs = Math.max(flushMs / 2, minLongMs);
    this.#spread = places > 1;
  }

  /**
   * Records how long a call of a task ran.
   * @param taskId - the task's id (`TaskIdentity.id`: two modules' tasks of one name are kept apart).
   * @param runMs - its run time (ms).
   */
  learn(taskId: string, runMs: number): void {
    const previous = this.#expected.get(taskId);
    this.#expected.set(taskId, Math.max(runMs, (previous ?? 0) * decay));
  }

  /**
   * What a call of a task is expected to cost.
   * @param taskId - the task's id.
   * @returns its expected run time (ms), or `undefined` before any run of it was timed.
   */
  expected(taskId: string): number | undefined {
    return this.#expected.get(taskId);
  }

  /**
   * Starts a batch with a call of a task.
   * @param taskId - the first call's task id.
   * @returns the budget (ms) left for batch-mates, or -1 when the call must travel alone.
   */
  open(taskId: string): number {
    return this.add(taskId, 2 * this.#longMs);
  }

  /**
   * Adds a call of a task to a batch with `budget` left.
   * @param taskId - the call's task id.
   * @param budget - what is left of the batch's budget (ms), from {@link BatchCosts.open} or the previous `add`.
   * @returns the budget left with the call in the batch, or -1 when it must not join (it travels alone or in the
   *   next batch).
   */
  add(taskId: string, budget: number): number {
    const expected = this.#expected.get(taskId);
    if (expected === undefined) return this.#spread ? -1 : budget;
    if (expected >= this.#longMs) return -1;
    const left = budget - expected;
    return left >= 0 ? left : -1;
  }
}
