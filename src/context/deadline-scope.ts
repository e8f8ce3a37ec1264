/**
 * Deadline scopes: `reactor.withDeadline(ms, fn)` and what code running inside one reads back (SPEC §10).
 *
 * A scope is an `AsyncLocalStorage` store, so it follows `fn` into its async continuations and into greenlets it
 * spawns (they run in their spawner's context). The storage is made on the first `withDeadline` call, never at
 * import: on Node 20 an `AsyncLocalStorage` in use adds promise hooks to every Promise in the process, a cost only
 * programs that use deadlines should pay. A nested scope never extends its outer one: the earlier deadline wins.
 *
 * Scopes are counted while they live. A scope can be read only through an async resource (or the running `fn`)
 * that holds it, so once every scope made has been garbage-collected no code can be in one: {@link scopedDeadline}
 * then answers `undefined` without reading the storage, and the storage is disabled (on Node 20 its promise hooks
 * go away) until the next `withDeadline`. Why: once a storage has been used, each read costs ~15–22 ns, paid by every
 * dispatch (the inline route's fast path checks for a scope on every call), and its hooks tax every Promise — in a
 * program that used a deadline once, for the rest of its life. A program with scopes alive pays as before.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Scheduler } from '../time/scheduler.js';

/** A deadline as a scope holds it: on its clock (for timers) and on `Date.now()`'s scale (for `deadline()`). */
export interface ScopedDeadline {
  /** The clock the deadline counts on (the reactor's). */
  readonly clock: Pick<Scheduler, 'now'>;
  /** When it passes, on `clock`'s scale. */
  readonly at: number;
  /** When it passes, in ms since the epoch (`Date.now()` scale). */
  readonly wallAt: number;
}

let storage: AsyncLocalStorage<ScopedDeadline> | undefined;

/** Scopes made and not yet garbage-collected; 0: no code runs in a scope (see the module's comment). */
let liveScopes = 0;

/** Counts each scope's collection; the last one disables the storage. */
const scopeCollected = new FinalizationRegistry<undefined>(() => {
  liveScopes -= 1;
  if (liveScopes === 0) storage?.disable();
});

/**
 * Runs `fn` with a deadline `ms` from now on `clock`; the earlier deadline wins inside an enclosing scope.
 *
 * `ms` of `Infinity` is a deadline that never passes, so it adds none: `fn` runs in the enclosing scope, or in none
 * (`deadline()` reads `undefined` there). Why not a scope at `Infinity`: every call dispatched in it would arm its
 * route's timer for `Infinity` ms, which no timer takes, and a scope holds finite times only.
 *
 * @param clock - the clock the deadline counts on.
 * @param ms - milliseconds from now; a number >= 0, or `Infinity` for no deadline.
 * @param fn - the code to run; its return value is returned as is.
 * @returns what `fn` returned.
 * @throws TypeError when `ms` is not a number >= 0 or `fn` is not a function (a programming error, reported at once).
 */
export function runWithDeadline<R>(clock: Pick<Scheduler, 'now'>, ms: number, fn: () => R): R {
  if (typeof ms !== 'number' || !(ms >= 0)) {
    throw new TypeError(`Expected \`ms\` of withDeadline to be a number >= 0, got \`${String(ms)}\` (${typeof ms})`);
  }
  if (typeof fn !== 'function') throw new TypeError(`Expected \`fn\` of withDeadline to be a function, got ${typeof fn}`);
  if (ms === Number.POSITIVE_INFINITY) return fn();
  return runInScope({ clock, at: clock.now() + ms, wallAt: Date.now() + ms }, fn);
}

/**
 * Runs `fn` with a deadline given as a wall time (ms since the epoch), kept exactly: what a remote host does with the
 * deadline a job carries. Converting it to "ms from now" and back would move it later by the time between the two
 * clock reads (decoding the job's arguments, a descheduled thread), so the task's `deadline()` would read a later
 * deadline than its caller set. The earlier deadline wins inside an enclosing scope, as in {@link runWithDeadline}.
 *
 * @param clock - the clock the deadline counts on (its timers); `at` is `wallAt`'s distance from now on it.
 * @param wallAt - when the deadline passes, on `Date.now()`'s scale; may be past (the time left is then 0).
 * @param fn - the code to run; its return value is returned as is.
 * @returns what `fn` returned.
 */
export function runUntilWallTime<R>(clock: Pick<Scheduler, 'now'>, wallAt: number, fn: () => R): R {
  return runInScope({ clock, at: clock.now() + Math.max(0, wallAt - Date.now()), wallAt }, fn);
}

/**
 * Runs `fn` in exactly the scope `scope` — one {@link scopedDeadline} returned earlier — or, with `undefined`, in
 * no scope, whatever scope the calling code is in.
 *
 * Why: a call held back before it starts (a rule's bulkhead, the crash budget) is started later by whoever frees
 * its place, in that code's context. It must start under its own caller's deadline (SPEC §10: it gets the time
 * left, and never runs once the deadline passed), not under the releasing code's, or none.
 *
 * @param scope - the captured scope, or `undefined` for none.
 * @param fn - the code.
 * @returns what `fn` returned.
 */
export function runInCapturedScope<R>(scope: ScopedDeadline | undefined, fn: () => R): R {
  if (scope !== undefined) return storage!.run(scope, fn); // a scope that exists was made with the storage
  return storage === undefined || liveScopes === 0 ? fn() : storage.exit(fn);
}

/**
 * Runs `fn` in `inner`, or in the enclosing scope when that one ends first: the one with less time left, each on its
 * own clock (what a call dispatched in it gets). Not by `wallAt`: `Date.now()` does not follow a virtual clock (a
 * scope opened after a `Clock` advanced past an enclosing one's end compared earlier by `wallAt`, and replaced it),
 * nor a monotonic one when the system time is set back.
 */
function runInScope<R>(inner: ScopedDeadline, fn: () => R): R {
  storage ??= new AsyncLocalStorage<ScopedDeadline>();
  const outer = scopedDeadline();
  if (outer !== undefined && outer.at - outer.clock.now() <= inner.at - inner.clock.now()) return storage.run(outer, fn);
  liveScopes += 1;
  scopeCollected.register(inner, undefined);
  return storage.run(inner, fn); // (run enables a storage the last collection disabled)
}

/**
 * The deadline of the scope the caller runs in.
 * @returns the scope's deadline, or `undefined` outside every `withDeadline`.
 */
export function scopedDeadline(): ScopedDeadline | undefined {
  return liveScopes === 0 ? undefined : storage!.getStore();
}

/**
 * @internal How many scopes are alive (made and not yet garbage-collected): for tests.
 * @returns the count.
 */
export function liveDeadlineScopes(): number {
  return liveScopes;
}
