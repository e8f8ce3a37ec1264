/**
 * `restoreAroundDeferred`: starts a call that returns a Deferred inside a carried context (SPEC §10), and hands back
 * the call's own Deferred whatever the carriers' `restore`s return: what a remote host needs to run a job's task (it
 * lives here, beside its only user, because `src/context` sits below the Deferred in the layers).
 *
 * Why not `restoreCarriedContext` alone: it returns what the outermost `restore` returns, which is the call's Deferred
 * only for a synchronous restore. An asynchronous one (allowed: it calls `run` before its promise settles) returns a
 * Promise: a caller that takes it for the Deferred cannot wait on it (`addCallbacks` is not there) nor cancel the call
 * through it, and a rejection nobody handles ends the process. Here the call's outcome is always its own Deferred's,
 * the restore's promise only says whether the call could start (its rejection before `run` is the call's error, and
 * is handled either way), and cancelling before `run` means the call never starts.
 *
 * @module
 */
import { CancelledError } from '../errors.js';
import { Deferred } from '../deferred/deferred.js';
import { promiseLike, restoreCarriedContext, type CarriedContext } from '../context/context-carrier.js';

/**
 * Runs `start` inside the carried context and returns the Deferred of its outcome.
 *
 * @param carried - the values that travelled (or `undefined`: `start` runs as is).
 * @param start - starts the call; called at most once (never when the call was cancelled before a `restore` ran it).
 * @returns `start`'s Deferred when the restores called it at once; otherwise one that fires with its outcome, or with
 *   the error of a `restore` that failed before calling it (`ContextCarrierError` for one that never called it).
 *   Cancelling it cancels the call, or keeps it from starting.
 * @throws what {@link restoreCarriedContext} throws at once (an unknown carrier, a `restore` that throws).
 */
export function restoreAroundDeferred<T>(carried: CarriedContext | undefined, start: () => Deferred<T>): Deferred<T> {
  if (carried === undefined) return start();
  let started: Deferred<T> | undefined;
  /** Handed out (`handedOut`) while an asynchronous restore has not called `run` yet. */
  const waiting = new Deferred<T>(() => started?.cancel());
  let handedOut = false;
  const restored = restoreCarriedContext(carried, () => {
    if (waiting.called) throw new CancelledError('The call was cancelled before its carried context was restored: it never started');
    started = start();
    if (handedOut) started.chainDeferred(waiting);
    return started;
  });
  if (restored !== started && promiseLike(restored)) {
    // Settles after `run` (the restore awaited first) or with the restore's own error; only the latter counts.
    Promise.resolve(restored).then(undefined, (error: unknown) => {
      if (started === undefined && !waiting.called) waiting.errback(error);
    });
  }
  if (started !== undefined) return started;
  handedOut = true;
  return waiting;
}
