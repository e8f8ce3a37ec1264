/**
 * A workload and the ways of running it: what every measuring helper takes.
 *
 * `measure-comparison.ts` measures the variants one after another, `measure-interleaved.ts` in interleaved rounds;
 * both take this one shape, so a suite can move a workload from one to the other without rewriting it (the
 * workloads suite builds its workloads with these types and measures them interleaved).
 *
 * @module
 */

/** One way of running a workload. */
export interface Variant {
  /** The path's name, e.g. `inline`, `deferToThread`, `piscina`. */
  readonly name: string;
  /** Runs one batch (all `batch` operations) and settles when all are done. */
  readonly run: () => unknown;
  /** Runs once before this variant is measured (e.g. start a pool, warm workers, a fresh call source). */
  readonly setup?: () => unknown;
  /** Runs once after (close the pool). Always runs, also after an error. */
  readonly teardown?: () => unknown;
}

/** One workload and the ways to run it. */
export interface Workload {
  /** Short name, e.g. `fib(27)`. */
  readonly name: string;
  /** One sentence on what it does. */
  readonly description: string;
  /** Operations per sample. */
  readonly batch: number;
  /** The variant every ratio is relative to. */
  readonly baseline: string;
  /** The variants, baseline included. */
  readonly variants: readonly Variant[];
  /**
   * Untimed batches to run per variant, after its setup and before it is measured. Worker threads moving large
   * payloads take a hundred-odd calls to reach their steady speed (their heaps grow, their code gets optimised);
   * without this the first path measured looks several times slower than it is.
   * @defaultValue 0
   */
  readonly warmupRuns?: number;
}
