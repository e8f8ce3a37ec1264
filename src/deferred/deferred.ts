/**
 * `Deferred`: Twisted's callback chain, in TypeScript.
 *
 * Core invariants (read before changing anything here):
 * - Firing is synchronous: `callback`/`errback` run every handler that can run before they return; handlers added
 *   after firing run at once. There is no microtask hop anywhere in the chain.
 * - The chain runs iteratively, never recursively (Twisted's `_runCallbacks`): one loop walks the links of the
 *   current Deferred; when a handler returns an unfired Deferred, the current one pauses and appends a CONTINUE
 *   link to the inner one; when that link is reached, the loop moves on to the waiting (outer) Deferred, keeping
 *   the inner one on an explicit stack to finish it afterwards. A handler that fires another Deferred as its last
 *   act (`chainDeferred`, a finished `inlineCallbacks` generator) returns `fireAfterHandler(target, result)`
 *   instead of calling `target.callback()`: the loop fires `target` and moves on to it the same way, keeping the
 *   current one (still marked running) on that stack. A returned thenable that settles from inside its own `then`
 *   (before `then` returns) is taken up by the same loop too. Long chains and long chains of chained Deferreds
 *   therefore use constant JavaScript stack.
 * - `cancel()` walks down the waits and the cancellers that pass the cancellation on (`cancelInstead`) in a loop.
 *   Waits that loop back are found (Brent's cycle detection) and one of them is abandoned, as a Promise wait is;
 *   a CONTINUE link whose waiter no longer waits on it hands nothing over.
 *   A canceller's exception fails its Deferred, or, when the canceller had fired it already, is reported as
 *   unhandled: `cancel()` never throws.
 * - A drain cannot re-enter itself: while a handler of a Deferred runs, `running` is set and a nested attempt to
 *   run that Deferred only appends; the running loop picks the new links up after the handler returns (FIFO).
 * - Hand-over: when a result moves from an inner Deferred to the outer one, the inner one's result becomes
 *   `undefined`, so exactly one Deferred owns a failure and only that one can report it as unhandled.
 * - `paused` counts user pauses plus one while waiting on an inner Deferred or a Promise; no handler runs while it
 *   is non-zero.
 * - Unhandled-failure tracking is synced each time the loop finishes with a Deferred, and when a result reaches a
 *   Deferred its caller has paused: registered while its chain ends in a failure nobody observed, unregistered
 *   otherwise (see `unhandled-error-handler.ts`).
 * - `then` (and so `await`) adds one THEN link holding the resolving functions of the Promise it returns: the link
 *   leaves the result unchanged, marks a failure observed and settles that Promise; the caller's handlers are
 *   native reactions on it, so they run later, in the caller's async context (`then-reaction.ts`). On a Deferred
 *   that fired and has nothing left to run (chain drained, not paused) with a success that is not a thenable, `then`
 *   adds no link: it starts from a Promise already fulfilled with the result, which is what the link would give.
 * - State: a Deferred's one field is `#s`, its `DeferredState` record (fields named without `#` below are that
 *   record's). The record is made only here, so it has one shape whatever class the Deferred is; see its comment.
 *
 * This file is longer than the house limit on purpose: the runner reads and writes the `#private` state of every
 * Deferred in a chain, which only code inside the class body can do. Everything that needs only the public API
 * lives beside it (`add-timeout.ts`, the helpers and combinators).
 *
 * @module
 */
import { AlreadyCalledError } from '../errors.js';
import type { Scheduler } from '../time/scheduler.js';
import { addTimeoutTo, type OnTimeoutCancel } from './add-timeout.js';
import { Failure, cancelledFailure, isFailure } from './failure.js';
import { isThenable } from '../is-thenable.js';
import { safeString } from '../safe-string.js';
import { pendingPromise, takeReject, takeResolve } from './then-reaction.js';
import { reportUnhandledFailure, trackFailure, untrackFailure } from './unhandled-error-handler.js';
import { armedUserCodeGate, isLibraryHandler, passUserCodeGate } from './user-code-gate.js';

/** The value a handler's return type `R` gives the next handler: promises unwrapped, a returned `Failure` excluded. */
export type ChainResult<R> = Exclude<Awaited<R>, Failure>;

/** Extra arguments for {@link Deferred.addCallbacks}, passed after the result. */
export interface AddCallbacksOptions {
  /** Extra arguments for the callback. */
  callbackArgs?: readonly unknown[];
  /** Extra arguments for the errback. */
  errbackArgs?: readonly unknown[];
}

/**
 * A canceller may return this to say "I handled the cancellation; leave the Deferred pending even if I did not
 * fire it" (used by `inlineCallbacks` and `DeferredList`). Internal to the Deferred family.
 */
export const CANCELLER_KEEPS_PENDING: unique symbol = Symbol('greenreactor.cancellerKeepsPending');

/**
 * Fire `target` with `result` as this handler's last act, from the running chain's loop instead of a nested call:
 * a handler returns what this returns (`return fireAfterHandler(other, result)`), its own chain goes on with
 * `undefined`, and the loop runs `target`'s chain before the rest of the handler's chain, as a `target.callback()`
 * inside the handler would. Handlers that fire the next Deferred of a chain (`chainDeferred`, the generator driver
 * when a generator finishes) use it so a chain of such Deferreds of any length uses constant stack. `target`
 * already fired: the handler's chain fails with `AlreadyCalledError` (one late firing after a canceller-less
 * `cancel()` is ignored), as from `callback()`. Only for a handler's return value. Internal to the Deferred family.
 */
export let fireAfterHandler: (target: Deferred<any>, result: unknown) => unknown;

/**
 * Returned by a canceller to leave its Deferred pending and have `cancel()` cancel `next` instead (Twisted's
 * inlineCallbacks canceller, without the nested call): `cancel()` follows these in a loop, so nested
 * `inlineCallbacks` of any depth cancel with constant stack. When the pass-ons and waits loop back (generators
 * waiting on each other), nothing on the loop can be cancelled and one wait on it is abandoned instead: when that
 * is the canceller's own wait on `next`, `cancel()` calls `abandon`, which must stop waiting on `next` and go on
 * with `CancelledError`, as for an abandoned Promise wait. Internal to the Deferred family.
 */
export let cancelInstead: (next: Deferred<any>, abandon: () => void) => unknown;

/**
 * True when the Deferred has its result: fired and not waiting on a chained Deferred or a Promise (its handlers may
 * still be held back by its caller's `pause()`). `cancel()` cannot change such a result; `addTimeout`'s timer uses
 * it to tell a result that came first from one its cancellation made. Internal to the Deferred family.
 */
export let holdsResult: (d: Deferred<any>) => boolean;

/**
 * What {@link watchHeldResult} calls: `held` when the Deferred comes to hold its result (fired, not waiting) while
 * its caller's `pause()` holds its handlers back; `resumed` when the last such pause is undone while it holds its
 * result, just before its handlers run. Either may be called more than once; neither may throw.
 */
export interface HeldResultWatcher {
  held(): void;
  resumed(): void;
}

/**
 * Watch `d` for a result its caller's `pause()` holds back (see {@link HeldResultWatcher}); the returned function
 * stops watching. For `addTimeout`, whose own handler cannot run while the caller holds the Deferred paused: it
 * cancels its timer when the result is held (a result that came first ends the timeout) and re-arms it for the time
 * left on `unpause()`. Kept in a WeakMap, off the hot path until the first watch. Internal to the Deferred family.
 */
export let watchHeldResult: (d: Deferred<any>, watcher: HeldResultWatcher) => () => void;
/** Watchers of each watched Deferred; `null` until the first watch, so an unwatched process pays one null check. */
let heldWatchers: WeakMap<Deferred<any>, HeldResultWatcher[]> | null = null;

/**
 * A plain Deferred that belongs to a library object (a thread run, a greenlet call, a `gatherResults` gathering):
 * `ownerOf` gives that object back, so its canceller and the code that meets the Deferred reach the work behind it.
 * Why not a subclass holding it in a field: every class of Deferred is one more hidden class (V8 map) at the sites
 * that touch Deferreds, so the library makes plain Deferreds and keeps what it needs beside them. Internal to the
 * library.
 */
export let ownedDeferred: <T>(owner: object, canceller: (d: Deferred<T>) => void) => Deferred<T>;

/**
 * The object a Deferred made by {@link ownedDeferred} belongs to; `null` for any other Deferred, and for a value
 * that is not a Deferred (a brand check: no user code runs, a Proxy is not followed). Internal to the library.
 */
export let ownerOf: (value: unknown) => object | null;

/**
 * `d.addBoth(handler, index)` for a combinator that tells its members apart by a small integer (`gatherResults`): the
 * index is kept in the link as it is and passed as the handler's second argument, so a member costs no rest array
 * and the handler is not called through a spread (measured: the peers no-op row joined by `gatherResults`,
 * 0.92-0.95x the time). Internal to the library.
 */
export let addBothIndexed: <T>(d: Deferred<T>, handler: (resultOrFailure: T | Failure, index: number) => unknown, index: number) => void;

/** Returned by {@link takeReadyResult} when the Deferred has no result to hand over right now. */
export const NOT_READY: unique symbol = Symbol('greenreactor.notReady');

/**
 * Take the result of a Deferred that has fired and has nothing left to run, as the chain does with an
 * already-fired inner Deferred (its result becomes `undefined`, its failure no longer unhandled); `NOT_READY`
 * otherwise. Lets the generator driver skip a handler per already-fired yield. Internal to the Deferred family.
 */
export let takeReadyResult: (d: Deferred<any>) => unknown;

/**
 * Watch a Deferred's result at this point of its chain without changing it, synchronously: `observer` gets the
 * result or the `Failure`, and an observed failure no longer counts as unhandled (what `then` does, without a
 * Promise). For the parts of the library that wait on a Deferred without taking its result over (a parked
 * greenlet, a stream's result). The result stays exactly as it was, whatever it is (a revoked Proxy, a pending
 * Promise: never read as a thenable here). An exception thrown by `observer` fails the chain like any handler's.
 */
export let observe: <T>(d: Deferred<T>, observer: (resultOrFailure: T | Failure) => void) => void;

/**
 * True for a real Deferred: a brand check that runs no user code, where `instanceof` would call a Proxy's
 * `getPrototypeOf` trap (a revoked Proxy throws from it) and a Proxy of a Deferred would pass, then fail on its
 * private fields. A Proxy of a Deferred is followed as a thenable instead. Exported for the helpers that follow
 * values a caller handed them (`driveGenerator`, `ensureDeferred`, `maybeDeferred`).
 */
export let isDeferred: (value: unknown) => value is Deferred<any>;

/**
 * Whether `cancel()` left work of `d` running out of reach, not ended yet; if so, `ended` is called (once; it must not
 * throw) when it ends. That work is: `d`'s own, when it was cancelled with no canceller (until the one late firing,
 * ignored, SPEC §1); or, when `d` had fired and its chain waited (through any number of chained Deferreds) when it was
 * cancelled, that of the wait at the bottom: a chained Deferred with no canceller (until its late firing) or a Promise
 * (until it settles, its outcome dropped). Lets a rule's bulkhead keep a cancelled call's place until then. Off the hot
 * path: kept in WeakMaps, set by `cancel()`, no field per Deferred.
 */
export let whenAbandonedWorkEnds: (d: Deferred<any>, ended: () => void) => boolean;
/** A Deferred cancelled with no canceller, or a Promise wait cancel() abandoned → who waits for that work to end. */
const abandonedWorkEnds = new WeakMap<Deferred<any> | PromiseWait, Array<() => void>>();
/**
 * Each Deferred a `cancel()` walked through, fired and waiting, to the wait at the bottom whose work it abandoned (a
 * chained Deferred with no canceller, or a Promise wait): the work a `whenAbandonedWorkEnds` of that Deferred asks about.
 */
const abandonedBelow = new WeakMap<Deferred<any>, Deferred<any> | PromiseWait>();

type Handler = (result: unknown, ...args: unknown[]) => unknown;

/** Marker stored in both handler slots of the link that hands an inner Deferred's result to the outer one. */
const CONTINUE: Handler = () => undefined;

/** Marker stored in both handler slots of a `then` link; its argument slots hold its Promise's `resolve` and `reject`. */
const THEN: Handler = () => undefined;
/**
 * Marker in both handler slots of an `observe` link: the runner calls the link's observer with the result or the
 * `Failure` and keeps the result as it is. Not a handler whose return becomes the result: a returned value would go
 * through the chain's checks for a Deferred or a thenable, which read its `then` (a revoked Proxy throws there) and
 * wait on a pending Promise, so observing would change the Deferred's result.
 */
const OBSERVE: Handler = () => undefined;

/** What a handler returns after {@link fireAfterHandler} stored its target and result in `tailTarget`/`tailResult`. */
const TAIL_FIRE: unique symbol = Symbol('greenreactor.tailFire');
let tailTarget: Deferred<any> | null = null;
let tailResult: unknown = undefined;

/** What a canceller returns after {@link cancelInstead} stored the Deferred to cancel next in `nextCancel`. */
const CANCEL_NEXT: unique symbol = Symbol('greenreactor.cancelNext');
let nextCancel: Deferred<any> | null = null;
let nextAbandon: (() => void) | null = null;

/**
 * Stands in `canceller` while the canceller runs, so a `cancel()` made from inside it (directly, or round a
 * combinator whose canceller cancels its members) does not call it again: SPEC §1 calls it once, and each nested
 * call used to call it again until the stack overflowed. The outer `cancel()` finishes the job when it returns.
 */
const CANCELLING = (): undefined => undefined;

/** Identity of one wait on a Promise, so a late outcome after `cancel()` can be recognised and dropped. */
class PromiseWait {}

/**
 * The state of one `Deferred`, in a record of its own.
 *
 * Why not fields of the Deferred itself: `Deferred` is a public class users may subclass, and each subclass gives its
 * instances another hidden class (V8 map). The runner reads and writes the state of every Deferred that reaches
 * it; with its fields on the Deferred, past four such classes in one process every one of those accesses (and each
 * field definition in the constructor) went megamorphic, and a `deferToGreenlet` call took over twice as long. This
 * record is made only here, so it has one shape whatever the Deferred's class: a Deferred costs one map-dependent
 * read (its `#s`) per operation, and everything after it is monomorphic. Every field is set here, in this order,
 * and none is ever added or deleted.
 */
class DeferredState {
  // Links, four slots each: callback, errback, callback args, errback args. `next` is the next unread slot.
  chain: unknown[] | null = null;
  next = 0;
  result: unknown = undefined;
  called = false;
  paused = 0;
  running = false;
  waiting: Deferred<any> | PromiseWait | null = null;
  canceller: ((d: Deferred<any>) => unknown) | undefined = undefined; // `any`: keeps Deferred<T> covariant in T
  suppressAlreadyCalled = false;
  tracked: Failure | null = null;
  observed: Failure | null = null;
  owner: object | null = null; // see `ownedDeferred`
}

/**
 * A result that is not there yet, with a chain of callbacks and errbacks that run synchronously when it arrives.
 *
 * Use a Deferred where Twisted would: to hand back work that finishes later, to let callers add processing steps
 * that can switch between success and failure, and to cancel it. It is also a `PromiseLike`, so `await d` works.
 *
 * @typeParam T - the type of the result the chain currently holds.
 * @example
 * ```ts
 * const d = new Deferred<number>();
 * d.addCallback((n) => n * 2).addErrback((f) => { f.trap(TypeError); return 0; });
 * d.callback(21); // handlers ran already; `await d` gives 42
 * ```
 */
export class Deferred<T = unknown> implements PromiseLike<T> {
  /**
   * All of its state, in one record of one shape (see `DeferredState`). Its only field: its private methods
   * are `static` (called as `Deferred.#run(d, state)`), because an instance private method would also give every
   * instance a brand to define and to check, at a site that sees every subclass's map.
   */
  readonly #s = new DeferredState();

  static {
    fireAfterHandler = (target, result) => {
      tailTarget = target;
      tailResult = result;
      return TAIL_FIRE;
    };
    cancelInstead = (next, abandon) => {
      nextCancel = next;
      nextAbandon = abandon;
      return CANCEL_NEXT;
    };
    isDeferred = (value): value is Deferred<any> => typeof value === 'object' && value !== null && #s in value;
    observe = (d, observer) => {
      Deferred.#append(d, d.#s, OBSERVE, OBSERVE, observer, observer);
    };
    ownedDeferred = <T>(owner: object, canceller: (d: Deferred<T>) => void): Deferred<T> => {
      const d = new Deferred<T>(canceller);
      d.#s.owner = owner;
      return d;
    };
    ownerOf = (value) => (isDeferred(value) ? value.#s.owner : null);
    addBothIndexed = (d, handler, index) => {
      Deferred.#append(d, d.#s, handler, handler, index, index);
    };
    watchHeldResult = (d, watcher) => {
      const watchers = (heldWatchers ??= new WeakMap());
      const list = watchers.get(d);
      if (list === undefined) watchers.set(d, [watcher]);
      else list.push(watcher);
      return () => {
        const now = watchers.get(d);
        const at = now === undefined ? -1 : now.indexOf(watcher);
        if (at < 0) return;
        if (now!.length === 1) watchers.delete(d);
        else now!.splice(at, 1);
      };
    };
    holdsResult = (d) => {
      const st = d.#s;
      return st.called && st.waiting === null;
    };
    whenAbandonedWorkEnds = (d, ended) => {
      const work = abandonedBelow.get(d) ?? d;
      // A Deferred's late firing has not come while `suppressAlreadyCalled` holds; a Promise wait's late outcome has
      // not come while it is listed (its arrival takes it out, see `#settleWait`).
      if (work instanceof Deferred ? !work.#s.suppressAlreadyCalled : !abandonedWorkEnds.has(work)) return false;
      abandonedWorkEnds.set(work, [...(abandonedWorkEnds.get(work) ?? []), ended]);
      return true;
    };
    takeReadyResult = (d) => {
      const st = d.#s;
      if (!st.called || st.paused > 0 || st.running || st.chain !== null) return NOT_READY;
      const result = st.result;
      st.result = undefined;
      if (st.tracked !== null) {
        untrackFailure(d);
        st.tracked = null;
      }
      return result;
    };
  }

  /**
   * @param canceller - called by {@link Deferred.cancel} while the Deferred has not fired, to stop the work; if it
   *   does not fire the Deferred itself, the Deferred errbacks with `CancelledError`.
   * @throws TypeError when `canceller` is given and is not a function (refused here, where it was passed, not at a
   *   later `cancel()`).
   */
  constructor(canceller?: (d: Deferred<T>) => void) {
    if (canceller !== undefined && typeof canceller !== 'function') {
      throw new TypeError(`Expected \`canceller\` to be a function, got \`${safeString(canceller)}\` (${typeof canceller})`);
    }
    if (canceller !== undefined) this.#s.canceller = canceller;
  }

  /** True once `callback` or `errback` was called (or `cancel()` fired it). */
  get called(): boolean {
    return this.#s.called;
  }

  /** True while handlers cannot run: paused by `pause()` or waiting on a chained Deferred or Promise. */
  get paused(): boolean {
    return this.#s.paused > 0;
  }

  /**
   * Fire the chain with a success result; the handlers run before this returns.
   *
   * @param result - the result; a `Failure` is the same as `errback(failure)`.
   * @throws AlreadyCalledError when already fired (one call after a canceller-less `cancel()` is ignored).
   * @throws TypeError when `result` is a Deferred.
   */
  callback(result: T): void {
    if (isDeferred(result)) throw new TypeError('Expected `result` not to be a Deferred; chain it instead');
    Deferred.#fire(this, this.#s, result);
  }

  /**
   * Fire the chain with a failure; the handlers run before this returns.
   *
   * @param reason - the error; wrapped in a `Failure` unless it is one. Omitted, a generic `Error` is used.
   * @throws AlreadyCalledError when already fired (one call after a canceller-less `cancel()` is ignored).
   */
  errback(reason?: unknown): void {
    const failure =
      isFailure(reason)
        ? reason
        : new Failure(reason === undefined ? new Error('Deferred.errback() was called without a reason') : reason);
    Deferred.#fire(this, this.#s, failure);
  }

  /**
   * Append a callback and an errback as one link: exactly one of them runs, depending on the result at that point.
   *
   * @param callback - gets the success result (and `options.callbackArgs`).
   * @param errback - gets the `Failure` (and `options.errbackArgs`); omitted, a failure passes through.
   * @returns this Deferred, typed by the handlers' results.
   */
  addCallbacks<R1, R2 = never>(
    callback: ((result: T, ...args: any[]) => R1) | null,
    errback?: ((failure: Failure, ...args: any[]) => R2) | null,
    options?: AddCallbacksOptions,
  ): Deferred<ChainResult<R1> | ChainResult<R2>> {
    if (callback !== null && typeof callback !== 'function') throw handlerTypeError('callback', callback);
    if (errback != null && typeof errback !== 'function') throw handlerTypeError('errback', errback);
    return Deferred.#append(this, this.#s, callback ?? undefined, errback ?? undefined, options?.callbackArgs, options?.errbackArgs);
  }

  /**
   * Append a callback: it gets the success result, a failure passes it by.
   *
   * @param callback - gets the result, then `args`.
   * @param args - extra arguments.
   * @returns this Deferred, typed by the callback's result.
   */
  addCallback<R, A extends unknown[]>(callback: (result: T, ...args: A) => R, ...args: A): Deferred<ChainResult<R>> {
    if (typeof callback !== 'function') throw handlerTypeError('callback', callback);
    return Deferred.#append(this, this.#s, callback, undefined, args.length === 0 ? undefined : args, undefined);
  }

  /**
   * Append an errback: it gets the `Failure`; returning normally switches back to the callback side.
   *
   * @param errback - gets the failure, then `args`.
   * @param args - extra arguments.
   * @returns this Deferred.
   */
  addErrback<R, A extends unknown[]>(
    errback: (failure: Failure, ...args: A) => R,
    ...args: A
  ): Deferred<T | ChainResult<R>> {
    if (typeof errback !== 'function') throw handlerTypeError('errback', errback);
    return Deferred.#append(this, this.#s, undefined, errback, undefined, args.length === 0 ? undefined : args);
  }

  /**
   * Append one handler for both sides (Twisted's `addBoth`), e.g. for cleanup that must run either way.
   *
   * @param handler - gets the result or the `Failure`, then `args`.
   * @param args - extra arguments.
   * @returns this Deferred, typed by the handler's result.
   */
  addBoth<R, A extends unknown[]>(handler: (result: T | Failure, ...args: A) => R, ...args: A): Deferred<ChainResult<R>> {
    if (typeof handler !== 'function') throw handlerTypeError('handler', handler);
    const extra = args.length === 0 ? undefined : args;
    return Deferred.#append(this, this.#s, handler, handler, extra, extra);
  }

  /**
   * Fire `other` with this chain's result at this point; this chain continues with `undefined`.
   *
   * `other`'s chain runs before this chain's next handler; when `other` had already fired, this chain fails with
   * `AlreadyCalledError`. Links chained this way (`d1.chainDeferred(d2)`, `d2.chainDeferred(d3)`, …) fire from one
   * loop, so chains of any length use constant stack.
   *
   * @param other - the Deferred to fire.
   * @returns this Deferred.
   * @throws TypeError when `other` is not a Deferred (refused here: found only when the chain fired, it threw out of
   *   `callback()` into whoever fired this one, and the rest of the chain never ran).
   */
  chainDeferred(other: Deferred<T>): Deferred<void> {
    if (!isDeferred(other)) {
      throw new TypeError(`Expected \`other\` to be a Deferred, got \`${safeString(other)}\` (${typeof other})`);
    }
    // Fired from this chain's loop, not by a nested `other.callback()`: chains of chained Deferreds of any length.
    const fireOther = (result: unknown): unknown => fireAfterHandler(other, result);
    return Deferred.#append(this, this.#s, fireOther, fireOther, undefined, undefined);
  }

  /** Stop running handlers until a matching `unpause()`; pauses nest. */
  pause(): void {
    this.#s.paused++;
  }

  /**
   * Undo one `pause()`; when no pause is left and the Deferred has fired, the waiting handlers run now. An
   * `unpause()` with no `pause()` left to undo does nothing: in particular it cannot undo the pause a wait on a
   * chained Deferred or a Promise holds, which would run the handlers before that result arrived (and again after).
   */
  unpause(): void {
    // A wait holds exactly one of the pauses (`waiting` is set iff it does); only the others are the caller's.
    if (this.#s.paused === (this.#s.waiting === null ? 0 : 1)) return;
    this.#s.paused--;
    if (this.#s.paused === 0 && this.#s.called) {
      if (heldWatchers !== null) Deferred.#tellWatchers(this, 'resumed');
      Deferred.#run(this, this.#s);
    }
  }

  /**
   * Cancel the work behind this Deferred.
   *
   * Not fired yet: the canceller runs; if it did not fire the Deferred, it errbacks with `CancelledError` (with no
   * canceller, the one late `callback`/`errback` of the abandoned work is then ignored). Fired but waiting on a
   * chained Deferred: that one is cancelled. Waiting on a Promise: errbacks with `CancelledError` at once and the
   * Promise's outcome is dropped. Otherwise nothing happens.
   */
  cancel(): void {
    // Follow the waits down to the Deferred that has the work (or the Promise wait), and the cancellers that pass
    // the cancellation on (`cancelInstead`), in a loop, not by calling `cancel()` on each: nested waits of any
    // length must not grow the stack here either. `passedOn` maps each Deferred whose canceller passed it on to
    // where: each canceller runs at most once per `cancel()`, and reaching one of them again means the waits loop.
    let target: Deferred<any> = this;
    let passedOn: Map<Deferred<any>, Deferred<any>> | null = null;
    let abandons: Map<Deferred<any>, () => void> | null = null;
    for (;;) {
      const top = target;
      target = Deferred.#bottomOfWaits(target);
      Deferred.#noteAbandonedBelow(top, target);
      if (target.#s.canceller === CANCELLING) return; // its canceller is running: that cancel() goes on from there
      if (target.#s.called && target.#s.waiting instanceof Deferred) {
        // Still waiting: the waits loop back to `target`, and nothing on the loop can be cancelled, as with a
        // Promise wait. The one waiting on `target` stops waiting, so the CancelledError goes round the loop to
        // `target` and on up to this Deferred, as a cancellation does.
        let last = target.#s.waiting;
        while (last.#s.waiting !== target) last = last.#s.waiting as Deferred<any>;
        Deferred.#abandonWait(last);
        return;
      }
      if (passedOn !== null && passedOn.has(target)) {
        Deferred.#breakLoop(this, target, passedOn, abandons!);
        return;
      }
      const next = Deferred.#cancelHere(target);
      if (next === null) return;
      (passedOn ??= new Map()).set(target, next);
      (abandons ??= new Map()).set(target, nextAbandon!);
      nextAbandon = null;
      target = next;
    }
  }

  /**
   * The waits and pass-ons from `from` (the Deferred `cancel()` was called on) came back to `start`, whose
   * canceller passed the cancellation on already (generators waiting on each other, maybe through plain waits):
   * nothing on that loop can be cancelled, as with a loop of plain waits. Where the path from `from` enters the
   * loop, the one on the loop waiting there stops waiting (its own `#abandonWait`, or the abandon its canceller gave `cancelInstead`), so the
   * CancelledError goes round the loop and on up to `from`, which ends with it.
   */
  static #breakLoop(from: Deferred<any>, start: Deferred<any>, passedOn: Map<Deferred<any>, Deferred<any>>, abandons: Map<Deferred<any>, () => void>): void {
    const step = (d: Deferred<any>): Deferred<any> => passedOn.get(d) ?? (d.#s.waiting as Deferred<any>);
    const loop = new Set<Deferred<any>>();
    for (let d = start; !loop.has(d); d = step(d)) loop.add(d);
    let entry: Deferred<any> = from;
    while (!loop.has(entry)) entry = step(entry);
    let last = entry;
    while (step(last) !== entry) last = step(last);
    const abandon = abandons.get(last);
    if (abandon === undefined) Deferred.#abandonWait(last);
    else abandon();
  }

  /**
   * Before `cancel()` acts on `bottom`, the bottom of the waits from `top`: when that abandons work (`bottom` has not
   * fired and has no canceller, or waits on a Promise) and `top` is not `bottom` itself (or `bottom` waits on a
   * Promise), each Deferred on the waits from `top` to `bottom` is noted as standing for that work (see
   * `whenAbandonedWorkEnds`); a Promise wait is listed so that its late outcome can tell who waits for it.
   */
  static #noteAbandonedBelow(top: Deferred<any>, bottom: Deferred<any>): void {
    const bs = bottom.#s;
    let work: Deferred<any> | PromiseWait;
    if (bs.called && bs.waiting instanceof PromiseWait) {
      work = bs.waiting;
      if (!abandonedWorkEnds.has(work)) abandonedWorkEnds.set(work, []);
    } else if (!bs.called && bs.canceller === undefined && top !== bottom) work = bottom;
    else return;
    for (let d = top; d !== bottom; d = d.#s.waiting as Deferred<any>) abandonedBelow.set(d, work);
    if (work !== bottom) abandonedBelow.set(bottom, work);
  }

  /**
   * Follow the waits from this Deferred (each fired and waiting on a chained Deferred) to the one at the bottom.
   * Waits can loop (d1's callback returned d2, d2's returned d1): then the first Deferred on the loop, found with
   * Brent's cycle detection (no allocation, a constant number of passes), which is still waiting.
   */
  static #bottomOfWaits(d: Deferred<any>): Deferred<any> {
    let hare: Deferred<any> = d;
    let tortoise: Deferred<any> = d;
    let power = 1;
    let length = 0;
    for (;;) {
      if (!hare.#s.called || !(hare.#s.waiting instanceof Deferred)) return hare;
      hare = hare.#s.waiting;
      length++;
      if (hare === tortoise) break;
      if (length === power) {
        tortoise = hare;
        power *= 2;
        length = 0;
      }
    }
    // A loop of `length` waits: the first Deferred on it is where two walks `length` apart meet.
    let first: Deferred<any> = d;
    let ahead: Deferred<any> = d;
    for (let i = 0; i < length; i++) ahead = ahead.#s.waiting as Deferred<any>;
    while (first !== ahead) {
      first = first.#s.waiting as Deferred<any>;
      ahead = ahead.#s.waiting as Deferred<any>;
    }
    return first;
  }

  /**
   * Stop waiting on the chained Deferred and go on with `CancelledError` (a wait that loops back can never end).
   * The CONTINUE link left in the chained Deferred finds this one no longer waiting on it and hands nothing over.
   */
  static #abandonWait(d: Deferred<any>): void {
    d.#s.waiting = null;
    d.#s.paused--;
    d.#s.result = cancelledFailure('The Deferred was cancelled');
    Deferred.#run(d, d.#s);
  }

  /**
   * `cancel()` on the Deferred at the bottom of the waits: it has not fired, waits on a Promise, or neither.
   *
   * @returns the Deferred its canceller passed the cancellation on to, or `null`.
   */
  static #cancelHere(d: Deferred<any>): Deferred<any> | null {
    if (!d.#s.called) {
      const canceller = d.#s.canceller;
      let keepPending = false;
      if (canceller === undefined) {
        d.#s.suppressAlreadyCalled = true;
      } else {
        let returned: unknown;
        d.#s.canceller = CANCELLING;
        try {
          returned = canceller(d);
        } catch (error) {
          if (d.#s.canceller === CANCELLING) d.#s.canceller = canceller;
          // Fired, then threw: the Deferred keeps the canceller's result, and throwing out of cancel() would hit
          // callers that cannot take it (a timeout's timer, a combinator cancelling its members); nothing else
          // can handle the error, so it is reported as unhandled now.
          if (d.#s.called) reportUnhandledFailure(isFailure(error) ? error : new Failure(error));
          else d.errback(error);
          return null;
        }
        // Not fired: kept for a later cancel() (a canceller may leave it pending: `CANCELLER_KEEPS_PENDING`).
        if (d.#s.canceller === CANCELLING) d.#s.canceller = canceller;
        if (returned === CANCEL_NEXT) {
          const next = nextCancel!;
          nextCancel = null;
          return next;
        }
        keepPending = returned === CANCELLER_KEEPS_PENDING;
      }
      if (!d.#s.called && !keepPending) d.errback(cancelledFailure('The Deferred was cancelled'));
    } else if (d.#s.waiting instanceof PromiseWait) {
      Deferred.#settleWait(d, d.#s.waiting, cancelledFailure('The Deferred was cancelled'));
    }
    return null;
  }

  /**
   * Cancel this Deferred if it has not fired after `ms` of `clock` time; then its `CancelledError` becomes a
   * `TimeoutError`. Covers the handlers added before this call; the timer is cancelled when the result comes first.
   *
   * @param ms - the time limit in milliseconds.
   * @param clock - the scheduler to time with; defaults to real time.
   * @param onTimeoutCancel - maps the result after a timeout (default: `CancelledError` → `TimeoutError`).
   * @returns this Deferred.
   * @throws RangeError when `ms` is negative, NaN or not finite (`Infinity`: leave the timeout out instead).
   */
  addTimeout(ms: number, clock?: Scheduler, onTimeoutCancel?: OnTimeoutCancel<T>): Deferred<T> {
    return addTimeoutTo(this, ms, clock, onTimeoutCancel);
  }

  /**
   * Promise interop: observe the result without changing it. `await d` gives the result or throws the failure's
   * `value`; a failure observed this way no longer counts as unhandled.
   *
   * @param onFulfilled - gets the result.
   * @param onRejected - gets the failure's `value`.
   * @returns a Promise of what the handlers return.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const withHandlers = typeof onFulfilled === 'function' || typeof onRejected === 'function';
    const st = this.#s;
    if (st.chain === null && st.called && st.paused === 0) {
      // Fired, with nothing left to run (a running chain is not null): the result at this point is known now. A
      // success that is not a thenable becomes a Promise fulfilled with it: no pending Promise, resolving functions
      // or link (`then-reaction.ts`).
      const result = st.result;
      if (!isFailure(result) && !mayBeThenable(result)) {
        const fulfilled: Promise<any> = Promise.resolve(result);
        return withHandlers ? fulfilled.then(onFulfilled, onRejected) : fulfilled;
      }
    }
    const promise = pendingPromise();
    Deferred.#append(this, st, THEN, THEN, takeResolve(), takeReject());
    return withHandlers ? promise.then(onFulfilled, onRejected) : promise;
  }

  /**
   * A Promise settled with this chain's result at this point (the chain itself is unchanged).
   *
   * @returns a Promise resolving to the result or rejecting with the failure's `value`.
   */
  asPromise(): Promise<T> {
    // Without handlers, `then` returns the Promise its link settles (or, on its fast path, one already fulfilled).
    return this.then();
  }

  /**
   * A Deferred that fires with a Promise's outcome (Twisted's `fromFuture`). Cancelling it cannot stop the
   * Promise: it errbacks with `CancelledError` and ignores the outcome.
   *
   * A thenable is held to a Promise's rules, so the Deferred fires exactly once: the first handler called wins,
   * later calls are ignored, and a `then` that throws before calling one errbacks with what it threw.
   *
   * @param promise - any Promise or thenable.
   * @returns a Deferred; `promise` itself when it already is a Deferred.
   */
  static fromPromise<T>(promise: PromiseLike<T>): Deferred<T> {
    if (isDeferred(promise)) return promise as Deferred<T>;
    const d = new Deferred<T>();
    // A thenable is user code: it may call its resolving functions more than once, both of them, or after
    // `cancel()`, and its `then` may throw. Only the first outcome counts, as for a Promise; nothing is thrown
    // back into the thenable (that could be a microtask, where a throw ends the process).
    let settled = false;
    const settle = (result: unknown): void => {
      if (settled || (d.#s.called && !d.#s.suppressAlreadyCalled)) return; // fired by its user: nothing to throw at
      settled = true;
      if (isDeferred(result)) result = new Failure(new TypeError('A thenable fulfilled with a Deferred'));
      Deferred.#fire(d, d.#s, result);
    };
    try {
      promise.then(settle, (reason: unknown) => settle(new Failure(reason)));
    } catch (error) {
      settle(new Failure(error));
    }
    return d;
  }

  /** @returns a short description of the state, for debugging. */
  toString(): string {
    if (!this.#s.called) return 'Deferred (pending)';
    if (this.#s.waiting !== null) return 'Deferred (waiting)';
    return `Deferred (current result: ${isFailure(this.#s.result) ? this.#s.result.toString() : typeof this.#s.result})`;
  }

  static #append(d: Deferred<any>, st: DeferredState, cb: unknown, eb: unknown, cbArgs: unknown, ebArgs: unknown): Deferred<any> {
    const chain = st.chain;
    if (chain === null) st.chain = [cb, eb, cbArgs, ebArgs];
    else if (cb === THEN && chain.length === 4 && st.next === 0) {
      // A `then` after one link (a library's timeout or callback, then `await`): an array of exactly two links.
      // `push` would grow the backing store to 28 slots (V8 grows to 1.5 × length + 16): 272 bytes, not 112, held
      // while the Deferred is pending. Replacing the array is safe only while `next === 0`: a `#run` loop reads
      // the array once and walks it, and `next` is past the first link before any handler of it runs.
      st.chain = [chain[0], chain[1], chain[2], chain[3], cb, eb, cbArgs, ebArgs];
    } else chain.push(cb, eb, cbArgs, ebArgs);
    if (st.called) Deferred.#run(d, st);
    return d;
  }

  static #fire(d: Deferred<any>, st: DeferredState, result: unknown): void {
    if (st.called) {
      if (st.suppressAlreadyCalled) {
        st.suppressAlreadyCalled = false;
        const ended = abandonedWorkEnds.get(d);
        abandonedWorkEnds.delete(d);
        if (ended !== undefined) for (const end of ended) end();
        return;
      }
      throw new AlreadyCalledError('The Deferred was already called');
    }
    st.called = true;
    st.result = result;
    st.canceller = undefined; // never called once fired; let whatever it holds be collected
    Deferred.#run(d, st);
  }

  /** Outcome of a Promise this Deferred waited on (or the cancellation that abandoned it). */
  static #settleWait(d: Deferred<any>, wait: PromiseWait, result: unknown): void {
    if (d.#s.waiting !== wait) {
      // Abandoned by cancel(): drop the late outcome; its first arrival ends the work it stood for.
      const ended = abandonedWorkEnds.get(wait);
      if (ended !== undefined) {
        abandonedWorkEnds.delete(wait);
        for (const end of ended) end();
      }
      return;
    }
    d.#s.waiting = null;
    d.#s.result = result;
    d.#s.paused--;
    Deferred.#run(d, d.#s); // still paused by the caller: only syncs the unhandled-failure tracking
  }

  /**
   * Make `d` wait on a thenable. Returns true when the wait ended from inside the thenable's own `then`, before it
   * returned (it settled, or a `cancel()` abandoned it): `d` holds the outcome, for the calling loop to go on with
   * (run from inside the `then`, as a later settlement is, each such thenable nested the rest of the chain one level
   * deeper, and a long run of them overflowed the stack). False while it waits: `#settleWait` goes on when the
   * outcome comes. `d` counts as running during `then`, as during a handler: a handler `then` adds is appended and
   * a nested run returns at once, so only the calling loop runs the chain.
   */
  static #waitOnThenable(d: Deferred<any>, then: (...args: unknown[]) => unknown, thenable: unknown): boolean {
    const wait = new PromiseWait();
    const st = d.#s;
    st.waiting = wait;
    st.result = undefined;
    st.paused++;
    st.running = true;
    let inThen = true;
    const settle = (result: unknown): void => {
      if (inThen && st.waiting === wait) {
        // What `#settleWait` does, but the chain goes on in the loop that called `then`, not from in here.
        st.waiting = null;
        st.result = result;
        st.paused--;
      } else Deferred.#settleWait(d, wait, result);
    };
    try {
      then.call(thenable, (value: unknown) => settle(value), (reason: unknown) => settle(new Failure(reason)));
    } catch (error) {
      settle(new Failure(error));
    }
    inThen = false;
    st.running = false;
    return st.waiting !== wait;
  }

  /** The iterative runner; see the invariants at the top of the file. */
  static #run(d: Deferred<any>, own: DeferredState): void {
    if (own.running) return;
    if (own.paused > 0) {
      // A failure that arrives while the caller holds a pause is this chain's to report until it is unpaused.
      if (heldWatchers !== null && own.called && own.waiting === null) Deferred.#tellWatchers(d, 'held');
      Deferred.#syncTracking(d, own);
      return;
    }
    let current: Deferred<any> = d;
    let cs = own; // current's state: one read of `#s` per Deferred the loop moves to
    let below: Deferred<any>[] | null = null; // Deferreds whose result was handed up, to finish afterwards
    outer: for (;;) {
      const chain = cs.chain;
      if (cs.paused === 0 && chain !== null) {
        while (cs.paused === 0 && cs.next < chain.length) {
          const i = cs.next;
          cs.next = i + 4;
          const result = cs.result;
          const failed = isFailure(result);
          const fn = chain[failed ? i + 1 : i] as Handler | undefined;
          if (fn === undefined) continue;
          const args = chain[failed ? i + 3 : i + 2] as unknown[] | number | undefined;
          if (fn === CONTINUE) {
            const waiter = args as unknown as Deferred<any>;
            const ws = waiter.#s;
            if (ws.waiting !== current) continue; // the wait was abandoned (#abandonWait): keep the result
            ws.result = result;
            ws.waiting = null;
            ws.paused--;
            cs.result = undefined;
            (below ??= []).push(current);
            current = waiter;
            cs = ws;
            continue outer;
          }
          if (fn === THEN) {
            // Observes without changing the result: a failure seen here is no longer unhandled.
            if (failed) cs.observed = result;
            (args as unknown as (outcome: unknown) => void)(failed ? result.value : result);
            continue;
          }
          if (fn === OBSERVE) {
            // Observes without changing the result; a failure seen here is no longer unhandled. A throw of the
            // observer fails the chain, as a handler's would.
            if (failed) cs.observed = result;
            if (armedUserCodeGate !== null) passUserCodeGate(); // see user-code-gate.ts
            cs.running = true;
            try {
              (args as unknown as (resultOrFailure: unknown) => void)(result);
            } catch (error) {
              cs.result = isFailure(error) ? error : new Failure(error);
            }
            cs.running = false;
            continue;
          }
          if (armedUserCodeGate !== null && !isLibraryHandler(fn)) passUserCodeGate(); // see user-code-gate.ts
          let next: unknown;
          cs.running = true;
          try {
            // A number is an index (`addBothIndexed`), passed as it is; any other extra arguments are an array.
            next = args === undefined ? fn(result) : typeof args === 'number' ? fn(result, args) : fn(result, ...args);
          } catch (error) {
            next = isFailure(error) ? error : new Failure(error);
          }
          cs.running = false;
          if (next === TAIL_FIRE) {
            const target = tailTarget!;
            next = tailResult;
            tailTarget = null;
            tailResult = undefined;
            const ts = target.#s;
            if (ts.called) {
              // What `target.callback()` would have thrown, into this chain instead.
              if (ts.suppressAlreadyCalled) {
                ts.suppressAlreadyCalled = false;
                cs.result = undefined;
              } else cs.result = new Failure(new AlreadyCalledError('The Deferred was already called'));
              continue;
            }
            if (isDeferred(next)) {
              cs.result = new Failure(new TypeError('Expected `result` not to be a Deferred; chain it instead'));
              continue;
            }
            ts.called = true;
            ts.result = next;
            ts.canceller = undefined;
            cs.result = undefined;
            // Still "running" while below: a handler of `target` adding to this chain only appends, as it would
            // have while this handler's nested `target.callback()` ran.
            cs.running = true;
            (below ??= []).push(current);
            current = target;
            cs = ts;
            continue outer;
          }
          if (typeof next === 'object' && next !== null) {
            if (isDeferred(next)) {
              const ns = next.#s;
              if (next === current) {
                next = new Failure(new TypeError('A Deferred cannot be returned from its own callbacks'));
              } else if (!ns.called || ns.paused > 0 || ns.running) {
                cs.result = undefined;
                cs.waiting = next;
                cs.paused++;
                // A literal, not `push` onto `[]`, whose first growth would take 22 slots for these 4.
                if (ns.chain === null) ns.chain = [CONTINUE, CONTINUE, current, current];
                else ns.chain.push(CONTINUE, CONTINUE, current, current);
                break;
              } else {
                const inner = next;
                next = ns.result;
                ns.result = undefined;
                if (ns.tracked !== null) {
                  untrackFailure(inner);
                  ns.tracked = null;
                }
              }
            } else if (!isFailure(next)) {
              let then: unknown;
              try {
                then = (next as { then?: unknown }).then;
              } catch (error) {
                next = new Failure(error);
              }
              if (typeof then === 'function') {
                if (Deferred.#waitOnThenable(current, then as (...args: unknown[]) => unknown, next)) continue;
                break;
              }
            }
          }
          cs.result = next;
        }
        if (cs.next >= chain.length) {
          cs.chain = null; // drained: drop the handlers so they can be collected
          cs.next = 0;
        }
      }
      // Handed a result (or fired by a tail call) while its caller holds it paused, or paused by its own handler.
      if (heldWatchers !== null && cs.paused > 0 && cs.waiting === null) Deferred.#tellWatchers(current, 'held');
      Deferred.#syncTracking(current, cs);
      if (below === null || below.length === 0) return;
      current = below.pop()!;
      cs = current.#s;
      cs.running = false;
    }
  }

  /** Call the {@link HeldResultWatcher}s of `d`, if any, with `event`. */
  static #tellWatchers(d: Deferred<any>, event: keyof HeldResultWatcher): void {
    const watchers = heldWatchers!.get(d);
    if (watchers === undefined) return;
    for (const watcher of [...watchers]) watcher[event]();
  }

  /** Register this Deferred for unhandled-failure reporting iff its chain now ends in an unobserved failure. */
  static #syncTracking(d: Deferred<any>, st: DeferredState): void {
    const result = st.result;
    if (isFailure(result) && result !== st.observed && st.waiting === null) {
      if (st.tracked === result) return;
      if (st.tracked !== null) untrackFailure(d);
      trackFailure(d, result);
      st.tracked = result;
    } else if (st.tracked !== null) {
      untrackFailure(d);
      st.tracked = null;
    }
  }
}

/**
 * Whether `then`'s fast path must leave `value` to the link: a thenable, or an object whose `then` getter throws
 * (the link's Promise adopts or rejects as it always did). A thenable result gets no fast path because adopting it
 * takes more turns than fulfilling, so its handlers would run out of `then` order with those of earlier links.
 */
function mayBeThenable(value: unknown): boolean {
  try {
    return isThenable(value);
  } catch {
    return true;
  }
}

function handlerTypeError(name: string, value: unknown): TypeError {
  return new TypeError(`Expected \`${name}\` to be a function, got \`${safeString(value)}\` (${typeof value})`);
}
