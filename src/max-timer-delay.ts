/**
 * `maxTimerDelayMs`: the longest delay a Node timer takes.
 *
 * @module
 */

/**
 * 2³¹ − 1 ms (about 24.8 days), the longest delay `setTimeout`/`setInterval` take: Node turns a longer one into 1 ms
 * (with a `TimeoutOverflowWarning`).
 *
 * Why one definition at the bottom layer: the timers of `src/time/` reach a later call in hops of at most this, hold
 * the process open with a timer this long, and the option ranges (`src/option-ranges.ts`, below `src/time/`) refuse a
 * duration past it; they all mean the same limit, so it is written once, where every layer may import it.
 */
export const maxTimerDelayMs = 2 ** 31 - 1;
