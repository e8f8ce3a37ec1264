/**
 * Inline async runs a bulkhead keeps a place for: an inline call whose function returned a Promise (or another
 * thenable) may be cancelled, or time out, and its Deferred fails at once, but nothing can stop the Promise: the
 * function runs on until it settles.
 *
 * Why: a rule's `maxConcurrent` bounds what runs (docs/policies.md, bulkheads), so a bulkhead keeps such a call's place
 * until its Promise settles, as it does for a thread task deaf to its signal or a killed greenlet not dead yet. Only
 * the calls a bulkhead starts are watched ({@link watchInlineRuns}): the inline route's common path pays nothing.
 * A function that returned a Deferred is not watched (cancelling it ran its canceller: what runs on is the
 * canceller's to say), nor is a generator (driven like `inlineCallbacks`: cancelling it cancels what it waits on).
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';

/** One watched run: whether its thenable settled, and who waits for it to. */
interface InlineRun {
  ended: boolean;
  frees: Array<() => void>;
}

const runs = new WeakMap<Deferred<unknown>, InlineRun>();
/** Set while a bulkhead starts an inline call: {@link noteInlineRun} records only then. */
let watching = false;

/**
 * Runs `start` (a bulkhead starting an inline call) with the inline runs it makes watched.
 * @param start - starts the call.
 * @returns what `start` returns.
 */
export function watchInlineRuns<R>(start: () => R): R {
  const outer = watching;
  watching = true;
  try {
    return start();
  } finally {
    watching = outer;
  }
}

/**
 * Notes that `d` follows `thenable`, an inline run's asynchronous result, while a bulkhead starts it. Never throws.
 * @param d - the call's Deferred.
 * @param thenable - what the function returned.
 */
export function noteInlineRun(d: Deferred<unknown>, thenable: PromiseLike<unknown>): void {
  if (!watching) return;
  const run: InlineRun = { ended: false, frees: [] };
  const end = (): void => {
    run.ended = true;
    runs.delete(d);
    for (const free of run.frees) free();
  };
  try {
    thenable.then(end, end);
  } catch {
    return; // a `then` that throws: the call failed with it already, nothing runs on
  }
  runs.set(d, run);
}

/**
 * Whether the inline run behind `d` (which has fired) still runs; if so, calls `free` once its thenable settled.
 * @param d - a call's Deferred.
 * @param free - called once, later (it must not throw).
 * @returns true when `free` will be called.
 */
export function whenInlineRunEnds(d: Deferred<unknown>, free: () => void): boolean {
  const run = runs.get(d);
  if (run === undefined || run.ended) return false;
  run.frees.push(free);
  return true;
}
