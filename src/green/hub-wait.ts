/**
 * `HubWait`: the Deferred behind the hub's switch points (`cooperate`, `sleep`, and every primitive's wait).
 *
 * The state machine of a wait made by the code of an async greenlet `g` (one made outside a greenlet, or by a
 * generator greenlet, is not owned: an ordinary Deferred, which a generator greenlet parks on when it yields it):
 * - `made`: `g`'s code made it; `g` counts as parked on it until its first `then` says how it was taken.
 * - `awaited`: the first `then` came after the run that made it (`await w`, or `Promise.race([w, …])`, which looks
 *   the same): it is `g`'s switch point, and the hub hands `g` its outcome, or a kill, in `g`'s turn (`deliver`).
 * - `raced`: the first `then` came in the run that made it (`w.then(cb)` written in `g`): `g` runs on, unparked.
 * - `taken`: the first `then` came from code that is not `g`'s (another greenlet awaiting a wait handed to it, code
 *   outside any greenlet; the hub tells by the greenlet identity): theirs now, an ordinary Deferred; `g` runs on,
 *   unparked, and a `cooperate()` fires at once (its maker's turn is not theirs to wait for).
 * - `left`: `g`'s code made another hub wait before taking this one (it only gave it callbacks, or raced it): `g`
 *   no longer waits on it; a `cooperate()` left so, before its turn came, fires then. Should `g`'s own code await
 *   it later (`const w = q.get(); await hub.cooperate(); await w`), it is `awaited` from then on: `g` parks on it
 *   again — unless `g` already awaits another hub wait (`Promise.all([q1.get(), q2.get()])`): then it stays an
 *   ordinary Deferred whose outcome reaches that await the Promise way; with no outcome yet when `g` is killed
 *   (it fires with the kill), makes another hub wait or ends, it is released as a lost wait is (below).
 * - `awaited` and lost: `g`'s code is seen running on (it makes another hub wait, or ends) while the hub has not
 *   handed it this wait's outcome: that `then` was not `g`'s await but a race's (`Promise.race([w, p])` that `p`
 *   won, `Promise.any`). It is released ({@link HubWait.abandon}: it leaves its line, gives back what it was served)
 *   and, with no outcome yet, errbacks with a handled `ConcurrentWaitError`; when `g`'s code goes on (not when it
 *   ends) the `await` still pending on it rejects with that error too ({@link HubWait.rejectAwait}): into the decided
 *   race, unseen, or into a line of `g`'s code that does still await it (a floating `async` branch made the new
 *   wait), which then fails at once instead of hanging: a greenlet has one line of control.
 * A `cooperate()` given callbacks fires when its turn comes even if `g` has not awaited it (the hub resumes an
 * awaited one without firing it).
 * Each of them also has an outcome or not yet (`called`).
 *
 * What a kill of `g` does to it (greenlet.ts, `kill`):
 * - `made` or `awaited`, `g` parked on it, or `g` queued with an outcome it has not taken: the wait is
 *   {@link HubWait.abandon}ed — it lets go of its timer or its place in a waiter line, and a value served to it
 *   goes back — and then, if it has no outcome yet, {@link HubWait.dropped} errbacks it with the kill, so callbacks
 *   on it (and anyone else awaiting it) hear of it; a failure it already had (it timed out in the turn before `g`
 *   ran again) counts as handled once the kill is thrown in instead: `g`, its taker, saw the kill in its place. The kill itself reaches `g` through the wait when `g` awaits it
 *   (`awaited`: in `g`'s next turn; `made`: held until `g` awaits it or makes its next hub wait), never through the
 *   wait's callbacks, which can see it but not swallow it.
 * - `raced` with no outcome yet: abandoned and errbacked with the kill the same way (the Promises its `then` calls
 *   made reject, marked handled: a kill is not their error, and a floating `w.then(cb)` must not end the process
 *   with an unhandled rejection), and the kill is held for `g`'s next hub wait too: a `then` chain is not `g`'s own
 *   switch point. This holds as well after `g`'s code went on to other hub waits (`const p = q.get().then(f);
 *   await hub.cooperate(); await p`): `g` keeps each raced wait it went on from with no outcome yet (greenlet.ts,
 *   `#keepRaced`), so a kill while it awaits `p` rejects `p` instead of waiting for `w`'s outcome.
 * - `taken` or `left`: untouched: an ordinary Deferred that fires with its own outcome (nothing it was served goes
 *   back: its taker has it).
 * Who owns what a served wait was handed when the kill comes before its greenlet ran again: a `Queue` item that a
 * callback of the caller's code taking the value already ran with ({@link HubWait.took}) is that callback's; else
 * the greenlet never took it and it goes back. A `Lock`/`Semaphore` token goes back, once: its callbacks only saw
 * `true`, and the token is released by the greenlet's own code, which will never run — unless one of those callbacks
 * released it itself (a `release()` made while it ran, {@link takerRunning}): then it is back already and the kill
 * gives nothing; and a release such a callback makes after the kill gave the token back (a chain that waited on a
 * Deferred it returned) is that same token and does nothing (waiter-list.ts, `WaiterList.releasing`).
 * (This holds for waits of generator greenlets as well, whose waits are not owned.)
 * So every hub wait fires exactly once, whatever the order of await, callbacks, foreign awaits and kill; the one
 * case the hub cannot tell apart is a lost `Promise.race` before `g`'s code goes on (it looks `awaited`: a kill or
 * an outcome the hub hands over in that window goes into the decided race; see docs/design.md).
 *
 * @module
 */
import { Deferred, isDeferred, type AddCallbacksOptions, type ChainResult } from '../deferred/deferred.js';
import { succeed } from '../deferred/succeed.js';
import { Failure, isFailure } from '../deferred/failure.js';

const noop = (): undefined => undefined;

// The hub wait whose callback of the caller's code that takes its value runs right now (innermost), or null.
let running: HubWait<unknown> | null = null;

/**
 * @internal The hub wait whose callback of the caller's code that takes its value (`addCallback`, `addBoth`, the
 * callback of `addCallbacks`) is running right now, innermost first; null outside any. A `Semaphore` asks, to tell
 * a `release()` made by the callbacks of a wait it served (that wait's token coming back) from any other.
 */
export function takerRunning(): HubWait<unknown> | null {
  return running;
}

// "Awaited" versus "given callbacks": `await w` calls `w.then` from a microtask queued by the `await` (so does
// `Promise.race([w, …])`, which resolves `w` the same way: a race looks like an await, see docs/design.md), while
// `w.then(cb)` written in the greenlet's code calls it synchronously. The epoch moves on at the first microtask
// after a wait is made, so a `then` in the same synchronous run as the wait's creation is not an `await`.
// The microtask that moves it on may be the hub's own hop (see `epochMovesOnSoon`), which is already queued while a
// resumed async greenlet runs: then a wait it makes queues none of its own.
let epoch = 0;
let epochQueued = false;
const nextEpoch = (): void => {
  epoch++;
  epochQueued = false;
};

/**
 * @internal The caller just queued a microtask that calls {@link moveEpochOn} first thing (the hub's hop, queued when
 * it hands a resumption to an async greenlet): it runs after the synchronous run now going on and before any
 * microtask queued from now on, which is all a wait made meanwhile needs, so it queues no microtask of its own.
 */
export function epochMovesOnSoon(): void {
  epochQueued = true;
}

/** @internal Move the epoch on: the first thing the microtask announced with {@link epochMovesOnSoon} does. */
export function moveEpochOn(): void {
  nextEpoch();
}

/**
 * A `Deferred<T>` the hub hands out from its switch points, which lets the hub resume an async greenlet in its own
 * turn.
 *
 * Why: an async greenlet suspends with `await hub.sleep(ms)`, and `await` calls `then`. For a wait made by an async
 * greenlet, the first `then` does not go through the Promise machinery: it stores the continuation, and the hub calls
 * it when it schedules that greenlet again — so the step that follows is timed, attributed and counted like any
 * other. A wait the greenlet does not await (chained with `then` in the run that made it, or given callbacks with
 * `addCallback`) does not park it: it stays an ordinary Deferred, and a kill of its greenlet rejects it unless its
 * greenlet made another hub wait since (the module comment has the whole state machine). Everything else about it
 * is an ordinary Deferred.
 *
 * @typeParam T - the result type.
 */
export class HubWait<T> extends Deferred<T> {
  #owned: boolean;
  #hooked = false;
  #raced = false;
  #epoch = 0;
  #onThen: ((raced: boolean) => boolean) | null = null;
  #continuation: ((value: unknown, failed: boolean, kill: boolean) => void) | null = null;
  #delivery: { value: unknown; failed: boolean; kill: boolean } | null = null;
  #onAbandon: (() => void) | null = null;
  #onDropped: ((exception: unknown) => void) | null = null;
  #racedThens: Array<Promise<unknown>> | null = null; // the Promises `then` made on it while raced and pending
  #chained = false; // callbacks were added to it (not by the hub): an `await` of it gets the chain's result
  #handed = false; // the hub handed it over (deliver), to a continuation or to the `then` still to come
  #coAwaited = false; // awaited by its greenlet beside the hub wait it parks on: it keeps what to let go of
  #took = false; // a callback of the caller's code that takes its value ran (not the library's: see observeOutcome)
  #bareThen: Promise<unknown> | null = null; // the Promise of the hooked `then` when it had no onRejected (not an await)

  /**
   * @param owned - true when an async greenlet will `await` it and the hub will deliver its outcome.
   * @param canceller - the Deferred's canceller (e.g. cancel the sleep's timer).
   */
  constructor(owned: boolean, canceller?: (d: Deferred<T>) => void) {
    super(canceller);
    this.#owned = owned;
  }

  /** @internal Set what to undo when the waiting greenlet is killed and the wait is dropped (a timer). */
  onAbandon(fn: () => void): void {
    this.#onAbandon = fn;
  }

  /**
   * @internal Tell the making greenlet how this wait was taken: `onThen(raced)` runs at the first `then`, with `raced`
   * true when that came in the same synchronous run as this call (`w.then(cb)` in the greenlet's code, not an
   * `await`), and returns true only when that `then` is the greenlet's own await of it; else (raced, or awaited by
   * other code: another greenlet, code outside any) this is an ordinary Deferred that does not park the greenlet.
   */
  onThen(onThen: (raced: boolean) => boolean): void {
    this.#onThen = onThen;
    this.#epoch = epoch;
    if (!epochQueued) {
      epochQueued = true;
      queueMicrotask(nextEpoch);
    }
  }

  /**
   * @internal The greenlet no longer waits on this (it was killed): let go of what it holds (its timer, its place in
   * a waiter line, or a value served to it that it never took). The kill calls {@link HubWait.dropped} next, once its
   * own state change is done.
   */
  abandon(): void {
    const fn = this.#onAbandon;
    this.#onAbandon = null;
    if (fn !== null) fn();
  }

  /**
   * @internal Its greenlet was killed and this wait was {@link HubWait.abandon}ed: when it has no outcome yet, it
   * errbacks with the kill, so whatever else listens (callbacks the greenlet added, a `then` Promise, another
   * greenlet awaiting it) hears of it: every hub wait fires exactly once. The failure counts as handled (the greenlet
   * itself gets the kill at its switch point); callbacks added to it still see it.
   * @param exception - the kill.
   */
  dropped(exception: unknown): void {
    const inner = this.#onDropped;
    this.#onDropped = null;
    if (!this.called) {
      // A kill is not their error: a floating `w.then(cb)` must not become an unhandled rejection that ends the
      // process; a greenlet awaiting one of them still gets the rejection.
      const thens = this.#racedThens;
      this.#racedThens = null;
      if (thens !== null) for (const p of thens) p.catch(noop);
      this.errback(exception);
      void super.then(undefined, noop);
    }
    if (inner !== null) inner(exception);
  }

  /**
   * @internal Reject a pending `await` of it (its continuation is held, nothing handed yet) with `error`: its greenlet
   * went on without it (greenlet.ts, `#release`). A decided `Promise.race` ignores it; a line of the greenlet's code
   * still awaiting it throws it; the Promise of a bare `w.then(cb)` rejects with it, marked handled.
   * @param error - the `ConcurrentWaitError`.
   */
  rejectAwait(error: unknown): void {
    if (!this.#hooked || this.#handed) return;
    // A bare `then(cb)` a turn after the wait was made looks like an await to the hub: its Promise rejects, handled.
    const bare = this.#bareThen;
    this.#bareThen = null;
    if (bare !== null) bare.catch(noop);
    this.deliver(error, true, true);
  }

  /** @internal Set what else to fire when this is {@link HubWait.dropped} (a hub wait it wraps: `withTimeout`'s). */
  onDropped(fn: (exception: unknown) => void): void {
    this.#onDropped = fn;
  }

  /**
   * @internal The hub's own link, told of the outcome to resume the parked greenlet: unlike the `add…` methods, it
   * does not count as the greenlet's callbacks (see {@link HubWait.then}).
   * The chain goes on with the outcome as it is (`asIs`): the link only observes it.
   * @param fn - gets the outcome (a `Failure` when it failed).
   */
  onOutcome(fn: (result: unknown) => void): void {
    super.addBoth((result: unknown) => {
      fn(result);
      return asIs(result);
    });
  }

  override addCallbacks<R1, R2 = never>(
    callback: ((result: T, ...args: any[]) => R1) | null,
    errback?: ((failure: Failure, ...args: any[]) => R2) | null,
    options?: AddCallbacksOptions,
  ): Deferred<ChainResult<R1> | ChainResult<R2>> {
    this.#chained = true;
    return super.addCallbacks(callback === null ? null : this.#taking(callback), errback, options);
  }

  override addCallback<R, A extends unknown[]>(callback: (result: T, ...args: A) => R, ...args: A): Deferred<ChainResult<R>> {
    this.#chained = true;
    return super.addCallback(this.#taking(callback), ...args);
  }

  override addErrback<R, A extends unknown[]>(errback: (failure: Failure, ...args: A) => R, ...args: A): Deferred<T | ChainResult<R>> {
    this.#chained = true;
    return super.addErrback(errback, ...args);
  }

  override addBoth<R, A extends unknown[]>(handler: (result: T | Failure, ...args: A) => R, ...args: A): Deferred<ChainResult<R>> {
    this.#chained = true;
    return super.addBoth(this.#taking(handler), ...args);
  }

  /**
   * @returns `fn`, marking once it returned (or threw) that a callback of the caller's code took the value, and
   *   telling {@link takerRunning} who runs while it does.
   */
  #taking<F extends (...args: any[]) => unknown>(fn: F): F {
    return ((...args: unknown[]) => {
      const outer = running;
      running = this;
      try {
        return fn(...args);
      } finally {
        running = outer;
        this.#took = true;
      }
    }) as F;
  }

  /**
   * @internal The library's own observer of the outcome (a generator greenlet parked on it, `withTimeout` or
   * `waitForDeferred` wrapping it): chained like the caller's callbacks, but it does not count as the caller's code
   * taking the value (see {@link HubWait.took}).
   */
  observe(handler: (result: unknown) => unknown): void {
    this.#chained = true;
    super.addBoth(handler);
  }

  /**
   * @internal True once a callback the caller's code gave it that takes its value (`addCallback`, `addBoth`, the
   * callback of `addCallbacks`; not `addErrback`, nor the library's {@link HubWait.observe}) has run: a consumable it
   * was served (a `Queue` item) is theirs then, and a kill of its greenlet does not give it back. A kill from inside
   * such a callback, while it runs, still does: the callback has not finished with it.
   */
  get took(): boolean {
    return this.#took;
  }

  /** @internal True once callbacks were added to it (not by the hub). */
  get chained(): boolean {
    return this.#chained;
  }

  /**
   * @internal Its greenlet awaits it beside another hub wait (`Promise.all`/`race` over several): an ordinary
   * Deferred to the hub, which keeps what {@link HubWait.abandon} lets go of, for the greenlet to release it.
   */
  coAwait(): void {
    this.#coAwaited = true;
  }

  /** @internal True once the hub handed over an outcome (or a kill) through it: its greenlet's turn came. */
  get handed(): boolean {
    return this.#handed;
  }

  /** @internal True once `then` captured the continuation of an `await`. */
  get hooked(): boolean {
    return this.#hooked;
  }

  /** @internal True when its greenlet called `then` on it in the run that made it instead of awaiting it (see {@link onThen}). */
  get raced(): boolean {
    return this.#raced;
  }

  /**
   * @internal Hand `value` to the awaiting async greenlet (called by the hub in that greenlet's turn).
   * @param kill - `value` is a kill thrown in (not the wait's own outcome): it bypasses callbacks the greenlet added.
   * @returns true when the continuation ran (it will resume on the next microtask); false when nothing awaits yet
   *   (then the first `then` call resumes it).
   */
  deliver(value: unknown, failed: boolean, kill: boolean): boolean {
    this.#handed = true;
    const k = this.#continuation;
    if (k === null) {
      this.#delivery = { value, failed, kill };
      return false;
    }
    this.#continuation = null;
    k(value, failed, kill);
    return true;
  }

  /**
   * Promise interop, see {@link Deferred.then}. The first call on a wait owned by an async greenlet that awaits it is
   * resumed by the hub in that greenlet's turn.
   */
  override then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (!this.#owned || this.#hooked) {
      const p = super.then(onFulfilled, onRejected);
      if (this.#raced && !this.called) this.#racedThens!.push(p);
      return p;
    }
    const onThen = this.#onThen;
    if (onThen !== null) {
      this.#onThen = null;
      const raced = this.#epoch === epoch;
      if (raced) this.#raced = true; // `then` in the run that made it: not its greenlet's switch point
      if (!onThen(raced)) {
        this.#owned = false;
        if (!raced && !this.#coAwaited) this.#onAbandon = null; // another's await: a kill of its maker leaves it to them
        const p = super.then(onFulfilled, onRejected);
        if (raced) this.#racedThens = [p]; // a kill of its greenlet rejects it (see dropped)
        return p;
      }
    }
    this.#hooked = true;
    // Callbacks added before this `await` (`await q.get(10).addErrback(…)`, `await sem.run(fn)`) make what it
    // resumes with the chain's result at this point, as awaiting any Deferred would give, not the wait's bare
    // outcome; a chain that waits on a Deferred one of them returned resumes it when that fires.
    const chained = this.#chained;
    let end: { result: unknown } | null = null;
    let late: (() => void) | null = null;
    if (chained) {
      super.addBoth((result: unknown) => {
        end = { result };
        const resume = late;
        late = null;
        if (resume !== null) resume();
        return asIs(result); // observed, not changed: the chain's probe of an object would read its `then`
      });
    }
    const p = new Promise<R1 | R2>((resolve, reject) => {
      const k = (value: unknown, failed: boolean, kill: boolean): void => {
        // A kill thrown in instead of an outcome the wait already had (it timed out, or failed, in the turn before
        // its greenlet ran again): the awaiting greenlet was that failure's taker, as it is of one handed to it.
        if (kill && this.called) void super.then(undefined, noop);
        if (chained && !kill) {
          if (!this.called) this.callback(value as T); // cooperate(): the hub resumes it without firing it
          const at = end;
          if (at === null) {
            // A callback returned a Deferred still pending: resume when the chain gets here.
            late = () => {
              const { result } = end as unknown as { result: unknown };
              k(result, isFailure(result), true); // already the chain's result: taken as it is
            };
            return;
          }
          value = at.result;
          failed = isFailure(value);
        }
        if (failed && isFailure(value)) {
          void super.then(undefined, noop); // the failure is handled by the awaiting greenlet
          value = value.value;
        }
        try {
          if (failed) {
            if (onRejected == null) reject(value);
            else resolve(onRejected(value));
          } else if (onFulfilled == null) {
            resolve(value as R1);
          } else {
            resolve(onFulfilled(value as T));
          }
        } catch (error: unknown) {
          reject(error);
        }
      };
      this.#continuation = k;
      const pending = this.#delivery;
      if (pending !== null) {
        this.#delivery = null;
        this.deliver(pending.value, pending.failed, pending.kill);
      }
    });
    // A bare `w.then(cb)` (an `await` always passes both callbacks): what {@link HubWait.rejectAwait} makes it reject
    // with is not the caller's error, and must not end the process as an unhandled rejection.
    if (onRejected == null) this.#bareThen = p;
    return p;
  }
}

/**
 * What a handler returns to leave the chain's result as it is: the result itself, or — for an object, which the
 * chain probes for `then` when a handler returns it, and follows when it is a thenable — a fired Deferred holding it,
 * whose result the chain takes over unprobed. Returning the object itself read a revoked Proxy's `then` (the
 * Deferred then held that `TypeError`, reported unhandled) and made a Deferred fired with a Promise wait for it.
 * @param result - the chain's result (a `Failure` when it failed).
 * @returns what the observing handler returns.
 */
function asIs(result: unknown): unknown {
  if (typeof result !== 'object' || result === null || isFailure(result) || isDeferred(result)) return result;
  return succeed(result);
}

/**
 * @internal Observe `d`'s outcome as the library, not as the caller's code: the chain goes on with its result exactly
 * as it was (SPEC §6.1: parking only observes a Deferred; `asIs`), and on a hub wait with
 * {@link HubWait.observe} (it does not count as callbacks that took the value), on any other Deferred `addBoth`.
 * A failure is not marked handled here: the caller does that when it takes the failure as its own.
 * @param d - the Deferred.
 * @param observer - gets the outcome (a `Failure` when it failed); what it returns is ignored.
 */
export function observeOutcome(d: Deferred<unknown>, observer: (result: unknown) => void): void {
  const handler = (result: unknown): unknown => {
    observer(result);
    return asIs(result);
  };
  if (d instanceof HubWait) d.observe(handler);
  else d.addBoth(handler);
}

/**
 * @internal Take `d`'s outcome over as the library (`withTimeout`: its outcome lives on in the Deferred it returns):
 * `taker` gets it, and `d`'s chain goes on with `undefined`, a failure taken with it. On a hub wait
 * {@link HubWait.observe}, as {@link observeOutcome}.
 * @param d - the Deferred.
 * @param taker - gets the outcome (a `Failure` when it failed).
 */
export function takeOutcome(d: Deferred<unknown>, taker: (result: unknown) => void): void {
  const handler = (result: unknown): undefined => {
    taker(result);
    return undefined;
  };
  if (d instanceof HubWait) d.observe(handler);
  else d.addBoth(handler);
}
