/**
 * The generator driver behind `inlineCallbacks` and `ensureDeferred(generator)`.
 *
 * Invariants: the generator is resumed from one loop; a yielded Deferred that already has its result, a thenable
 * that settles from inside its own `then`, or a value that is not waitable, is fed back within the same loop
 * iteration, so thousands of such yields use constant stack. Exactly one wait is outstanding at a time (`waiting`), and an outcome that arrives for a wait
 * that is no longer current (a Promise abandoned by `cancel()`) is dropped. Values from the generator are user
 * code's: they are told apart with brand checks (`isDeferred`, `isFailure`), never `instanceof` (a revoked Proxy
 * throws from it), and a `then` getter that throws fails the wait it was probed for.
 *
 * @module
 */
import {
  CANCELLER_KEEPS_PENDING,
  Deferred,
  NOT_READY,
  cancelInstead,
  fireAfterHandler,
  isDeferred,
  takeReadyResult,
} from './deferred.js';
import { AlreadyCalledError } from '../errors.js';
import { Failure, cancelledFailure, isFailure } from './failure.js';
import { isThenable } from '../is-thenable.js';
import { iteratorResult } from '../iterator-result.js';
import { reportUnhandledFailure } from './unhandled-error-handler.js';

/** One wait on a Promise; compared by identity to drop outcomes that arrive after `cancel()`. */
class PromiseWait {}

/** What {@link driveGenerator}'s `step` returns while the generator waits: it has no outcome for its Deferred yet. */
const PENDING: unique symbol = Symbol('greenreactor.generatorPending');

/**
 * Run `gen` to completion, resuming it with the outcome of each Deferred/Promise it yields.
 *
 * Cancelling the returned Deferred cancels what the generator waits on (a Promise wait is abandoned with
 * `CancelledError`) and throws the outcome into the generator; if the generator catches it and waits again, the
 * returned Deferred stays pending.
 *
 * Nested generators (each waiting on the next one's Deferred) of any depth use constant stack both ways: a
 * generator that finishes inside the handler that resumed it fires its Deferred from that chain's loop
 * (`fireAfterHandler`), not by a nested `callback()`, and the canceller passes the cancellation on to the waited-on
 * Deferred (`cancelInstead`) instead of calling its `cancel()`.
 *
 * @param gen - a started-or-not generator object.
 * @returns a Deferred of the generator's return value (or of what it threw).
 */
export function driveGenerator<R>(gen: Generator<unknown, R, any>): Deferred<Awaited<R>> {
  let waiting: Deferred<unknown> | PromiseWait | null = null;
  let stepping = false;
  let cancelRequested = false;
  let syncSource: Deferred<unknown> | null = null;
  let syncDone = false;
  let syncResult: unknown;
  let returned = false; // the generator returned a thenable: `waiting` is the wait on it, for the returned Deferred

  const cancelled = (): Failure => cancelledFailure('The inlineCallbacks Deferred was cancelled');

  /**
   * Stop waiting on `d` (a loop of waits leads back to it, so it can never fire first) and go on as for an
   * abandoned Promise wait: `CancelledError` is thrown into the generator, or fails the returned Deferred when the
   * wait was on the generator's return value. `d` keeps its result when it fires later.
   */
  const abandon = (d: Deferred<unknown>): void => {
    if (waiting !== d) return;
    waiting = null;
    settle(returned ? cancelled() : step(cancelled()));
  };

  const outer = new Deferred<Awaited<R>>(() => {
    const current = waiting;
    if (isDeferred(current)) {
      return cancelInstead(current, () => abandon(current));
    } else if (current !== null) {
      waiting = null;
      settle(step(cancelled()));
    } else if (stepping) {
      cancelRequested = true; // cancelled from inside the generator: cancel its next wait
    }
    return CANCELLER_KEEPS_PENDING;
  });

  /**
   * Fire the returned Deferred with what `step` returned, unless the generator is still waiting. Its caller may
   * have fired it meanwhile (misuse): the `AlreadyCalledError` `callback()` would throw is reported as unhandled
   * instead, because this runs where nobody can take a throw (a Promise reaction, where it would become an
   * unhandled rejection; `cancel()`, which never throws).
   */
  const settle = (outcome: unknown): void => {
    if (outcome === PENDING) return;
    if (outer.called) {
      const cause = isFailure(outcome) ? { cause: outcome.value } : undefined;
      const message = 'The inlineCallbacks Deferred was already called (by its caller) when its generator ended';
      reportUnhandledFailure(new Failure(new AlreadyCalledError(message, cause)));
      return;
    }
    outer.callback(outcome as Awaited<R>); // a Failure errbacks
  };

  const onDeferredResult = (result: unknown, source: Deferred<unknown>): unknown => {
    if (source === syncSource) {
      syncSource = null;
      syncDone = true;
      syncResult = result;
    } else if (waiting === source) {
      waiting = null;
      const outcome = step(result);
      if (outcome !== PENDING) return fireAfterHandler(outer, outcome); // the yielded Deferred's chain: undefined
    } else {
      return result; // the wait was abandoned (a loop of waits): nobody took the result, it stays
    }
    return undefined; // Twisted's rule: the yielded Deferred's result is consumed
  };

  /**
   * Wait on a thenable. Returns its outcome when it settled from inside its own `then`, before it returned, for
   * `step`'s loop to resume the generator with (resumed from inside the `then`, as a later outcome is, each such
   * yield nested the generator's next step one level deeper, and a long run of them overflowed the stack); `PENDING`
   * while it waits. Called while `stepping`: a `cancel()` from inside the `then` after the outcome came is for the
   * generator's next wait.
   */
  const waitOnPromise = (promise: PromiseLike<unknown>): unknown => {
    const wait = new PromiseWait();
    waiting = wait;
    let inThen = true;
    let early: unknown = PENDING;
    const resume = (result: unknown): void => {
      if (waiting !== wait) return;
      waiting = null;
      if (inThen) early = result;
      else settle(step(result));
    };
    try {
      promise.then(resume, (reason: unknown) => resume(new Failure(reason)));
    } catch (error) {
      resume(new Failure(error));
    }
    inThen = false;
    return early;
  };

  /** The outcome of the generator's return value: itself, or `PENDING` while a returned thenable settles. */
  const finish = (value: unknown): unknown => {
    let thenable: boolean;
    try {
      thenable = isThenable(value);
    } catch (error) {
      return new Failure(error); // its `then` getter threw: the return value cannot be followed
    }
    if (!thenable) return value;
    const d = isDeferred(value) ? value : Deferred.fromPromise(value as PromiseLike<unknown>);
    waiting = d;
    returned = true;
    d.addBoth((result: unknown) => {
      if (waiting !== d) return result; // abandoned (a loop of waits): nobody took the result, it stays
      waiting = null;
      return fireAfterHandler(outer, result);
    });
    if (cancelRequested && waiting === d) {
      // cancel() came from inside the generator, before it had a wait: the thenable it returned is its next wait,
      // as a yielded one would be (left alone, the cancellation was lost and the Deferred waited on it regardless).
      cancelRequested = false;
      d.cancel();
    }
    return PENDING;
  };

  /**
   * Resume the generator with `input` until it waits or ends.
   *
   * @returns the outcome to fire the returned Deferred with (a `Failure` when the generator threw), or `PENDING`.
   */
  function step(input: unknown): unknown {
    let value = input;
    stepping = true;
    for (;;) {
      let done: boolean;
      let yielded: unknown;
      try {
        // A hand-written generator object may return anything: its result is read here, where a throw fails the
        // Deferred (see iterator-result.ts).
        const next = iteratorResult(isFailure(value) ? gen.throw(value.value) : gen.next(value));
        done = next.done === true;
        yielded = next.value;
      } catch (error) {
        stepping = false;
        return isFailure(error) ? error : new Failure(error);
      }
      if (done) {
        stepping = false;
        return finish(yielded);
      }
      if (isDeferred(yielded)) {
        const ready = takeReadyResult(yielded);
        if (ready !== NOT_READY) {
          value = ready;
          continue;
        }
        syncSource = yielded;
        syncDone = false;
        yielded.addBoth(onDeferredResult, yielded);
        if (!syncDone && cancelRequested) {
          cancelRequested = false;
          yielded.cancel();
        }
        syncSource = null;
        if (syncDone) {
          value = syncResult;
          syncResult = undefined;
          continue;
        }
        waiting = yielded;
        stepping = false;
        return PENDING;
      }
      let thenable: boolean;
      try {
        thenable = isThenable(yielded);
      } catch (error) {
        value = new Failure(error); // its `then` getter threw: thrown back in at the yield, as a rejection would be
        continue;
      }
      if (thenable) {
        if (cancelRequested) {
          cancelRequested = false;
          value = cancelled();
          continue;
        }
        const early = waitOnPromise(yielded as PromiseLike<unknown>);
        if (early !== PENDING) {
          value = early;
          continue;
        }
        stepping = false;
        return PENDING;
      }
      value = yielded; // not waitable: sent straight back
    }
  }

  settle(step(undefined));
  return outer;
}
