/**
 * How the dispatcher times the in-process runs of a decision `auto` made.
 *
 * @module
 */

/**
 * `'every'`: the task's in-process window is not full yet, so each of its runs is timed (a new in-process task is
 * judged on its first `sampleSize` runs, not on a thin random sample of them); `'sampled'`: a random share is.
 */
export type AutoTiming = 'every' | 'sampled';
