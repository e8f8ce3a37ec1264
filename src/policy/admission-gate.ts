/**
 * A first-in, first-out admission gate: at most `limit()` calls in flight, the excess waits in order.
 *
 * Why the policy needs one: the crash budget (SPEC §7 `adaptive.crashBudget`) must not send more calls of a
 * task that may crash its worker than the budget has crashes left, and a rule's `maxConcurrent` bounds how many
 * calls of its tasks run at once. Both hold calls back before they reach the pool or the hub, keep each call's
 * own Deferred, and must let a waiting call be cancelled (or time out) without leaving a trace — a gate does
 * that in one place. The limit is a function, read whenever a call could start, so it may change over time
 * (the crash budget's shrinks with every crash).
 *
 * A call admitted at once returns the route's own Deferred untouched (no wrapper: the common path costs a
 * comparison and one handler). A call that waits gets a Deferred of its own; cancelling it while it waits
 * removes it (it never starts), cancelling it once started cancels the route's Deferred (with `runsOn`, its place is
 * kept until what it started stopped running, while its Deferred fails at once). A call that waited starts
 * (or is handed elsewhere by `drain`) in its caller's async context and deadline scope, captured as it queued.
 *
 * @module
 */
import { runInCapturedScope, scopedDeadline, type ScopedDeadline } from '../context/deadline-scope.js';
import { Deferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
import { Failure } from '../deferred/failure.js';
import { captureContext, runInContext, type AsyncContext } from '../time/async-context.js';

/** Starts one call on its route; may throw (the gate turns that into a failed Deferred). */
export type StartCall<C> = (call: C) => Deferred<unknown>;

/**
 * Whether what a failed call started still runs on its route (a thread task deaf to its cancel, a killed greenlet
 * not dead yet); if so, calls `free` once it stopped and returns true. Must not throw.
 */
export type RunsOn = (inner: Deferred<unknown>, free: () => void) => boolean;

/** Options of {@link AdmissionGate}. */
export interface AdmissionGateOptions<C> {
  /**
   * Told of every admitted call's outcome (a value or a `Failure`) before waiting calls are admitted, so it may
   * change what `limit` returns. It must not throw.
   */
  onSettled?: (result: unknown) => void;
  /**
   * Told of each call that has to wait, with its Deferred (to arm a timeout on it, say: see `armQueuedDeadline`),
   * synchronously, in the caller's context. It must not throw.
   */
  onQueued?: (outer: Deferred<unknown>, call: C) => void;
  /**
   * Asked of each admitted call that failed (cancelled, timed out): whether what it started still runs on its route,
   * in which case the call keeps its place until `free` is called (the reactor's `whenRouteLetsGo`). Absent: a place
   * frees as its call's Deferred fires.
   */
  runsOn?: RunsOn;
}

/**
 * The Deferred a gate's own Deferred of a waiting call follows once that call started. A call may pass two gates (a
 * rule's bulkhead, then the crash budget's): the first is handed the second's Deferred, and must ask `runsOn` about
 * the route's own Deferred behind it (a thread run's, a greenlet's), or it would free its place while the work runs on.
 */
const following = new WeakMap<Deferred<unknown>, Deferred<unknown>>();

/** The route's own Deferred behind `d`, through the gates' Deferreds that follow one another. */
function routeDeferred(d: Deferred<unknown>): Deferred<unknown> {
  let inner = d;
  for (let next = following.get(inner); next !== undefined; next = following.get(inner)) inner = next;
  return inner;
}

interface Waiter<C> {
  readonly call: C;
  readonly start: StartCall<C>;
  /** The caller's `withDeadline` scope, captured as it queued: the call starts in it (see `runInCapturedScope`). */
  readonly scope: ScopedDeadline | undefined;
  /**
   * The caller's async context (its `AsyncLocalStorage` stores), captured as it queued: the call starts in it, so a
   * greenlet it spawns, or a carrier's `capture()`, sees its caller's stores, not those of the code that freed its
   * place (SPEC §10).
   */
  readonly context: AsyncContext;
  outer: Deferred<unknown>;
  /** The route's Deferred once the call started (or was handed elsewhere by `drain`). */
  inner: Deferred<unknown> | undefined;
}

/** Admits calls up to a limit and queues the rest, FIFO; every call's Deferred fires exactly once. */
export class AdmissionGate<C> {
  readonly #limit: () => number;
  readonly #onSettled: ((result: unknown) => void) | undefined;
  readonly #onQueued: ((outer: Deferred<unknown>, call: C) => void) | undefined;
  readonly #runsOn: RunsOn | undefined;
  #inFlight = 0;
  #waiting: Array<Waiter<C>> = [];
  #pumping = false;

  /**
   * @param limit - how many admitted calls may be in flight now (read whenever a call could start).
   * @param options - who is told of outcomes.
   */
  constructor(limit: () => number, options: AdmissionGateOptions<C> = {}) {
    this.#limit = limit;
    this.#onSettled = options.onSettled;
    this.#onQueued = options.onQueued;
    this.#runsOn = options.runsOn;
  }

  /** Admitted calls whose Deferred has not fired yet, or that fired while what they started runs on (see `runsOn`). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Calls waiting for admission. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** True when a call run now would have to wait (someone waits already, or the gate is full). */
  wouldWait(): boolean {
    return this.#waiting.length > 0 || this.#inFlight >= this.#limit();
  }

  /**
   * Starts `call` now if the gate has room and nobody waits, else queues it.
   * @param call - what `start` needs (kept while it waits, handed to `drain`'s function).
   * @param start - starts it on its route.
   * @returns the route's Deferred (admitted at once) or a Deferred of the queued call.
   */
  run(call: C, start: StartCall<C>): Deferred<unknown> {
    if (!this.wouldWait()) return this.#admit(call, start);
    const waiter: Waiter<C> = { call, start, scope: scopedDeadline(), context: captureContext(), outer: undefined as never, inner: undefined };
    waiter.outer = new Deferred<unknown>(() => this.#cancel(waiter));
    this.#waiting.push(waiter);
    this.#onQueued?.(waiter.outer, call);
    return waiter.outer;
  }

  /**
   * Admits waiting calls while the limit allows (after it grew without a call settling).
   */
  pump(): void {
    if (this.#pumping) return; // an outer pump is running; its loop re-reads the limit
    this.#pumping = true;
    try {
      while (this.#waiting.length > 0 && this.#inFlight < this.#limit()) {
        const waiter = this.#waiting.shift() as Waiter<C>;
        // Started by whoever freed the place: in the caller's context and deadline scope, not in that code's.
        this.#forward(waiter, inCallerScope(waiter, () => this.#admit(waiter.call, waiter.start)));
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Takes every waiting call out of the gate and hands it to `instead` (fail it, or run it elsewhere); their
   * Deferreds fire with what `instead` returns. Calls in flight are left alone. Each call is handed over in its
   * caller's deadline scope, as an admitted one starts (a call run in-process instead reads its caller's deadline,
   * not that of the code that drained the gate).
   * @param instead - what a waiting call gets instead of its route (may throw: the call fails with it).
   */
  drain(instead: (call: C) => Deferred<unknown>): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const waiter of waiting) this.#forward(waiter, inCallerScope(waiter, () => startSafely(waiter.call, instead)));
  }

  #admit(call: C, start: StartCall<C>): Deferred<unknown> {
    this.#inFlight += 1;
    const inner = startSafely(call, start);
    inner.addBoth((result) => {
      // A call that failed while its work runs on (a thread task deaf to its cancel) keeps its place until it stops.
      const held = result instanceof Failure && this.#runsOn !== undefined && this.#runsOn(routeDeferred(inner), this.#free);
      if (!held) this.#inFlight -= 1;
      this.#onSettled?.(result);
      if (!held) this.pump();
      return result;
    });
    return inner;
  }

  /** A held place frees (see `runsOn`): one shared function, no closure per call. */
  readonly #free = (): void => {
    this.#inFlight -= 1;
    this.pump();
  };

  /** A queued call's Deferred follows the Deferred it was given; a late result after its cancel is dropped. */
  #forward(waiter: Waiter<C>, inner: Deferred<unknown>): void {
    waiter.inner = inner;
    following.set(waiter.outer, inner);
    inner.addBoth((result) => {
      if (waiter.outer.called) return undefined; // cancelled meanwhile: the outcome is consumed, not reported
      if (result instanceof Failure) waiter.outer.errback(result);
      else waiter.outer.callback(result);
      return undefined;
    });
  }

  /** Cancelling a queued call: waiting, it leaves the queue (it never starts); started, its route is cancelled. */
  #cancel(waiter: Waiter<C>): void {
    if (waiter.inner !== undefined) {
      waiter.inner.cancel();
      return;
    }
    const i = this.#waiting.indexOf(waiter);
    if (i >= 0) this.#waiting.splice(i, 1);
  }
}

/** Runs `fn` in the async context and deadline scope a waiting call was made in. */
function inCallerScope<C>(waiter: Waiter<C>, fn: () => Deferred<unknown>): Deferred<unknown> {
  return runInContext(waiter.context, () => runInCapturedScope(waiter.scope, fn));
}

function startSafely<C>(call: C, start: StartCall<C>): Deferred<unknown> {
  try {
    return start(call);
  } catch (error) {
    return fail(error);
  }
}
