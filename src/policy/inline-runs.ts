/**
 * Inline runs a bulkhead keeps a place for: an inline call may be cancelled, or time out, and its Deferred fails at
 * once, while what the call started runs on, out of reach: a Promise (or another thenable) its function returned or
 * its generator waited on (nothing can stop a Promise), or a thread run or greenlet its generator waited on, which its
 * cancel asked to stop (a task deaf to its signal runs on in its worker, a killed greenlet runs its `finally` blocks).
 *
 * Why: a rule's `maxConcurrent` bounds what runs (docs/policies.md, bulkheads), so a bulkhead keeps such a call's place
 * until all of that ended, as it does for a thread task deaf to its signal or a killed greenlet not dead yet. Only the
 * calls a bulkhead starts are watched ({@link watchInlineRuns}): the inline route's common path pays nothing.
 *
 * What is watched: a thenable the function returned, until it settles; a generator's waits (see
 * {@link driveInlineGenerator}): each thenable it yields until it settles, and each Deferred it yields that failed (it
 * may have been cancelled while its work runs on) until the route it came from lets go of it (`routeRunsOn`: the
 * reactor's thread runs and greenlets); the same for a `taskFrom` task's function that runs only once its module is
 * imported, after the bulkhead's start returned ({@link watchLaterRun}). A Deferred the function returned itself (or
 * its generator waited on), once failed: with no canceller, its cancel left the work running until its maker fires it
 * (that one late firing is ignored, SPEC §1), so its place is kept until then (`whenAbandonedWorkEnds`; the same for a
Deferred that had fired and whose chain waited, when cancelled, on a chained Deferred with no canceller or a Promise:
until that work ends); with a
 * canceller, cancelling it ran that (Twisted's contract: the canceller stops the work) and nothing more is looked
 * into, unless it is a route's own Deferred (a thread run's, a greenlet's): the bulkhead's `runsOn` asks that route.
 *
 * @module
 */
import { observe, isDeferred, whenAbandonedWorkEnds, type Deferred } from '../deferred/deferred.js';
import { driveGenerator } from '../deferred/drive-generator.js';
import { Failure } from '../deferred/failure.js';
import { isThenable } from '../is-thenable.js';
import { iteratorResult } from '../iterator-result.js';
import type { RunsOn } from './admission-gate.js';

/** One watched run: its thenables not settled yet, its failed waits, and who waits for the thenables to settle. */
interface InlineRun {
  /** Thenables it returned or waited on that have not settled. */
  pending: number;
  /** Deferreds its generator waited on that failed (their work may run on: ask their route). */
  failedWaits: Array<Deferred<unknown>>;
  /** Called once `pending` is back to 0. */
  frees: Array<() => void>;
}

const runs = new WeakMap<Deferred<unknown>, InlineRun>();
/**
 * A call's Deferred whose function ran later (a `taskFrom` task imported first) → the Deferred of that later run:
 * what the run left running is looked up there (see {@link watchLaterRun}).
 */
const laterRuns = new WeakMap<Deferred<unknown>, Deferred<unknown>>();
/** Set while a bulkhead starts an inline call: {@link noteInlineRun} and {@link driveInlineGenerator} watch only then. */
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
 * For an inline call a bulkhead starts whose function runs later, once its module is imported (a `taskFrom` task not
 * imported yet): the run happens in a callback of `d`, the call's Deferred, after the bulkhead's start returned, so
 * it is not watched by {@link watchInlineRuns}. The function returned runs such a later part watched, and has `d`
 * stand for it: a Promise it returned, or what its generator waited on, keeps the call's place as for a function
 * already loaded (and a route's Deferred it returned as it is, its route is asked about).
 * @param d - the call's Deferred (its function not loaded yet).
 * @returns what runs the later part; undefined when no bulkhead starts the call (nothing to watch).
 */
export function watchLaterRun(d: Deferred<unknown>): ((start: () => Deferred<unknown>) => Deferred<unknown>) | undefined {
  if (!watching) return undefined;
  return (start) => {
    const later = watchInlineRuns(start);
    laterRuns.set(d, later);
    return later;
  };
}

function newRun(): InlineRun {
  return { pending: 0, failedWaits: [], frees: [] };
}

/** Counts `thenable` as running until it settles. Never throws (a `then` that throws: nothing of it runs on). */
function watchThenable(run: InlineRun, thenable: PromiseLike<unknown>): void {
  const end = (): void => {
    run.pending -= 1;
    if (run.pending > 0) return;
    const frees = run.frees;
    run.frees = [];
    for (const free of frees) free();
  };
  try {
    thenable.then(end, end);
  } catch {
    return;
  }
  run.pending += 1;
}

/**
 * Notes that `d` follows `thenable`, an inline run's asynchronous result, while a bulkhead starts it. Never throws.
 * @param d - the call's Deferred.
 * @param thenable - what the function returned.
 */
export function noteInlineRun(d: Deferred<unknown>, thenable: PromiseLike<unknown>): void {
  if (!watching) return;
  const run = newRun();
  watchThenable(run, thenable);
  if (run.pending > 0) runs.set(d, run);
}

/**
 * Drives a generator an inline call returned, like `inlineCallbacks` (`driveGenerator`); while a bulkhead starts the
 * call, each of its waits is watched: a thenable until it settles, a Deferred that failed until its route lets go of it.
 * @param gen - the generator object.
 * @returns its Deferred.
 */
export function driveInlineGenerator(gen: Generator<unknown, unknown, unknown>): Deferred<unknown> {
  if (!watching) return driveGenerator(gen);
  const run = newRun();
  const d = driveGenerator(watchedWaits(gen, run));
  runs.set(d, run);
  return d;
}

/** `gen`, each value it yields noted in `run` before the driver waits on it. */
function* watchedWaits(gen: Generator<unknown, unknown, unknown>, run: InlineRun): Generator<unknown, unknown, unknown> {
  let next = iteratorResult(gen.next());
  for (;;) {
    if (next.done === true) return next.value;
    const value = next.value;
    noteWait(run, value);
    let sent: unknown;
    try {
      sent = yield value;
    } catch (error) {
      next = iteratorResult(gen.throw(error));
      continue;
    }
    next = iteratorResult(gen.next(sent));
  }
}

/** Notes one yielded value (user code's: brand checks only, and a `then` getter that throws is the driver's to report). */
function noteWait(run: InlineRun, value: unknown): void {
  if (isDeferred(value)) {
    observe(value, (result) => {
      if (result instanceof Failure) run.failedWaits.push(value);
    });
    return;
  }
  let thenable: boolean;
  try {
    thenable = isThenable(value);
  } catch {
    return;
  }
  if (thenable) watchThenable(run, value as PromiseLike<unknown>);
}

/**
 * Whether the work behind `d` (which has fired) still runs: an inline run's (watched here), the abandoned work of a
 * Deferred cancelled with no canceller, or what its route says (`routeRunsOn`); if so, calls `free` once all of it ended.
 * @param d - a call's Deferred.
 * @param free - called once, later (it must not throw).
 * @param routeRunsOn - asks a route whether a failed Deferred's work runs on (the reactor's thread runs, greenlets).
 * @returns true when `free` will be called.
 */
export function whenInlineRunEnds(d: Deferred<unknown>, free: () => void, routeRunsOn?: RunsOn): boolean {
  // A Deferred cancelled with no canceller stands for work that runs on until its maker fires it (that late firing is
  // ignored, SPEC §1); a route's own Deferred (a thread run's, a greenlet's) is asked of its route.
  const stillRuns: RunsOn = (x, f) => whenAbandonedWorkEnds(x, f) || (routeRunsOn !== undefined && routeRunsOn(x, f));
  const later = laterRuns.get(d);
  const run = runs.get(later ?? d);
  if (run === undefined) return stillRuns(later ?? d, free);
  let parts = 1; // this function's own, dropped at the end: no part can free before every part was counted
  const partEnded = (): void => {
    parts -= 1;
    if (parts === 0) free();
  };
  if (run.pending > 0) {
    parts += 1;
    run.frees.push(partEnded);
  }
  for (const wait of run.failedWaits) if (stillRuns(wait, partEnded)) parts += 1;
  if (parts === 1) return false;
  parts -= 1;
  return true;
}
