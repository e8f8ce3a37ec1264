/**
 * Unhandled failures that hold a cancellation: a Deferred left failing with an error that carries a `cancel()`'s
 * `CancelledError` (a timeout's `TimeoutError` and its `cause`, a combinator's `FirstError` or `FailureGroup`, a
 * user's error wrapping `failure.value`) must be garbage-collected and reported once, like any other.
 *
 * Why this can fail: a `cancel()` makes its `CancelledError` with the traceback left unread (`cancelledFailure`), and
 * on Node 20 an `Error` whose `stack` was never read keeps its captured frames, with their receivers and functions
 * (`cancel()` on the Deferred, a combinator's canceller closing over its Deferred). The unhandled-error registry
 * holds the tracked `Failure` strongly; if that `Failure`'s error reaches the unread `CancelledError`, the frames
 * keep the Deferred alive, so it is never collected and never reported (and its whole chain leaks).
 *
 * Synchronisation: `gc()` and a macrotask per round until the Deferred's own `FinalizationRegistry` entry ran and
 * the report arrived, with a bound on the rounds (no sleeps).
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Clock, Deferred, DeferredList, gatherResults, race, type Failure } from '../../src/index.js';
import { captureReports, restoreUnhandledErrorHandler } from '../helpers/unhandled-reports.js';
import { collectUntil } from '../helpers/collect-garbage.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('These tests need node --expose-gc (npm run jest passes it)');

const collected = new Set<string>();
const watch = new FinalizationRegistry<string>((tag) => collected.add(tag));

afterEach(restoreUnhandledErrorHandler);

// Each scenario builds its Deferreds in a function of its own, so no local variable of the test keeps them.
const scenarios: Array<[string, (tag: string) => void, RegExp]> = [
  [
    'a Deferred that timed out (TimeoutError, its cause the CancelledError)',
    (tag) => {
      const clock = new Clock();
      const d = new Deferred<number>();
      watch.register(d, tag);
      d.addTimeout(10, clock);
      clock.advance(10);
    },
    /^TimeoutError: The Deferred timed out after 10 ms/,
  ],
  [
    'a cancelled gatherResults() (FirstError of a cancelled member)',
    (tag) => {
      const gathered = gatherResults([new Deferred<number>(), new Deferred<number>()], true);
      watch.register(gathered, tag);
      gathered.cancel();
    },
    /^FirstError: Deferred #0 failed first: The Deferred was cancelled/,
  ],
  [
    'a cancelled DeferredList with fireOnOneErrback (FirstError)',
    (tag) => {
      const list = new DeferredList([new Deferred<number>()], { fireOnOneErrback: true, consumeErrors: true });
      watch.register(list, tag);
      list.cancel();
    },
    /^FirstError: Deferred #0 failed first/,
  ],
  [
    'a cancelled race() (FailureGroup of cancelled members)',
    (tag) => {
      const raced = race([new Deferred<number>(), new Deferred<number>()]);
      watch.register(raced, tag);
      raced.cancel();
    },
    /^FailureGroup: All 2 raced Deferreds failed/,
  ],
  [
    "a cancelled Deferred whose errback threw an error with the cancellation's value as its cause",
    (tag) => {
      const d = new Deferred<number>();
      watch.register(d, tag);
      d.addErrback((f) => {
        throw new Error(`wrapped for ${tag}`, { cause: f.value });
      });
      d.cancel();
    },
    /^Error: wrapped for /,
  ],
];

describe('setUnhandledErrorHandler() and a cancellation held by the unhandled failure', () => {
  it.each(scenarios)('collects and reports once %s', async (tag, drop, traceback) => {
    const reports = captureReports();
    drop(tag);
    const mine = (): Failure[] => reports.filter((f) => traceback.test(f.getTraceback()));
    await collectUntil(() => collected.has(tag) && mine().length > 0);
    expect(collected.has(tag)).toBe(true);
    await collectUntil(() => false, 3);
    expect(mine()).toHaveLength(1);
  });
});
