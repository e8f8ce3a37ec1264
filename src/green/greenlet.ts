/**
 * `Greenlet`: one cooperative task on the hub — a generator, async or plain function and its outcome.
 *
 * The hub–greenlet contract has two sides, each in its own file: what a hub does for its greenlets
 * (`greenlet-host.ts`, called only from here) and what the hub may do to a greenlet (`greenlet-control.ts`,
 * implemented here as {@link greenletControl}). The lifecycle and its transitions are in `greenlet-state.ts`.
 *
 * How a step runs (the hub calls `greenletControl.step` with the greenlet current, inside its spawner's context):
 * - First step: the function is called — a function that is not a generator function under the hub's greenlet
 *   identity (`host.callTracked`), so its async continuations stay this greenlet's. A generator object makes it a
 *   generator greenlet, a thenable an async one, anything else is the result (a plain function is one step).
 * - Generator greenlets: `next(send)`/`throw(send)` until the generator yields something to wait for. A bare
 *   `yield` (or the greenlet's own `cooperate()` Deferred) re-queues it; a Greenlet, Deferred or thenable parks it
 *   (already-fired ones resume at once, in the same step); a {@link ContinueAs} hands the greenlet to another
 *   function; any other value is sent straight back.
 * - Async greenlets: a step runs from the hub handing over a resumption to the next hub wait the greenlet awaits
 *   ({@link HubWait}, see hub.ts); in between it may await anything foreign and is still `'running'`.
 * - Death: links and internal waiters are notified synchronously, in registration order (after `host.died`, which
 *   ends the step's timing there: what they run is not the greenlet's step); exceptions escaping a greenlet nobody
 *   observed go to the hub's `'error'`.
 *
 * @module
 */
import { Deferred, isDeferred } from '../deferred/deferred.js';
import { Failure, isFailure } from '../deferred/failure.js';
import { isGenerator } from '../deferred/is-generator.js';
import { isThenable } from '../is-thenable.js';
import { followThenable } from './follow-thenable.js';
import { guardAbortListeners } from './guarded-signal.js';
import { succeed } from '../deferred/succeed.js';
import { fail } from '../deferred/fail.js';
import { passUserCodeGate } from '../deferred/user-code-gate.js';
import { ConcurrentWaitError, GreenletExit, TimeoutError } from '../errors.js';
import type { DelayedCall } from '../time/scheduler.js';
import { badTimeout } from './bad-timeout.js';
import type { GreenletControl, GreenletWatcher } from './greenlet-control.js';
import {
  ANY,
  ASYNC_BUSY,
  EXCEPTION,
  INTERNAL,
  KILL_PENDING,
  LINK_KIND_MASK,
  LINK_KIND_SHIFT,
  MODE_ASYNC,
  MODE_CALLING,
  MODE_FINISHED,
  MODE_GENERATOR,
  MODE_MASK,
  MODE_UNSTARTED,
  NATIVE_GENERATOR,
  newRare,
  OBSERVED,
  OK,
  ST_DEAD,
  ST_PARKED,
  ST_PENDING,
  ST_QUEUED,
  ST_RUNNING,
  STARTED,
  STATE_MASK,
  STATE_SHIFT,
  stateBits,
  stateNames,
  THROWING,
  SENDING_KILL,
  TRACKED,
  VALUE,
  type Rare,
} from './greenlet-flags.js';
import type { GreenletState } from './greenlet-state.js';
import { HubWait, observeOutcome } from './hub-wait.js';
import { iteratorResult } from '../iterator-result.js';
import { isGreenletExit } from './is-greenlet-exit.js';
import { killException } from './kill-exception.js';
import type { SpawnSite } from './spawn-site.js';
import { ContinueAs } from './task-greenlet-function.js';
import { describeValue } from '../describe-value.js';

export type { GreenletState } from './greenlet-state.js';
export { isGreenletExit } from './is-greenlet-exit.js';

/** A callback given to {@link Greenlet.link}; receives the dead greenlet. */
export type GreenletLink<R = unknown> = (greenlet: Greenlet<R>) => void;

/** What is told of a death: a link callback, or an internal watcher (greenlet-control.ts). */
type Notified = GreenletLink<any> | GreenletWatcher;

const noop = (): undefined => undefined;
const GeneratorFunctionPrototype = Object.getPrototypeOf(function* () {
  /* only its prototype is used */
}) as { prototype: Generator<unknown, unknown, unknown> };
// The built-in `next`/`throw` every generator object inherits. Calling them directly keeps one call site for all
// generators: `iter.next` looked up on generators of many distinct functions (a fresh closure per spawn, as users
// write it) goes megamorphic and costs ~1 µs a lookup.
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with `.call(generator, …)` only
const generatorNext = GeneratorFunctionPrototype.prototype.next;
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with `.call(generator, …)` only
const generatorThrow = GeneratorFunctionPrototype.prototype.throw;
let nextId = 1;

let control!: GreenletControl;

/**
 * True for a real Greenlet: a brand check that runs no user code, where `instanceof` would call a Proxy's
 * `getPrototypeOf` trap (a revoked Proxy throws from it, out of the hub's turn when a greenlet yields one). For the
 * places that classify a value a caller handed them or a greenlet yielded.
 */
export let isGreenlet: (value: unknown) => value is Greenlet<any>;

/**
 * @internal The next greenlet id, taken now for a greenlet made later (a lazy `GreenletCall`'s): ids stay in spawn
 * order however late the greenlet is made.
 * @returns the id.
 */
export function newGreenletId(): number {
  return nextId++;
}

/**
 * A cooperative task run by a {@link Hub}: made by `hub.spawn`, awaitable, yieldable, killable.
 *
 * Why a greenlet rather than a bare Promise: it can be killed at its next switch point (with `finally` blocks
 * running), linked, joined with a timeout, and the hub time-slices all greenlets so none freezes the event loop.
 *
 * @typeParam R - the function's result.
 * @example
 * ```ts
 * const g = hub.spawn(function* (n: number) { yield; return n * 2; }, 21);
 * console.log(await g); // 42
 * ```
 */
export class Greenlet<R = unknown> implements PromiseLike<R> {
  /** A number unique in this process, in spawn order. */
  readonly id: number;

  #site: SpawnSite; // hub, task stats and spawner's context, shared with the greenlets spawned alongside
  #fn: ((...args: any[]) => unknown) | Generator<unknown, unknown, unknown> | null; // the function, then its generator
  #flags = 0; // bits of greenlet-flags.ts, state and mode too: read only through #has/#set, #is/#enter, #modeIs/#setMode
  // Before the first step: the arguments (no field of their own); while alive, what the next resume sends; once
  // dead, the result (the value when OK, else the exception): read as a result only when dead or OK.
  #value: unknown;
  #token = 0; // identity of the current wait; bumped to abandon it
  #waitingOn: unknown = null;
  #links: Notified | unknown[] | null = null; // one callback or watcher (its kind in #flags), or [callback, kind, ...]
  #rare: Rare | null = null; // kill, abort, timer, cooperate: most greenlets never need them
  #prevLive: Greenlet<any> | null = null; // the hub's list of live greenlets (intrusive: no Set entry per greenlet)
  #nextLive: Greenlet<any> | null = null;

  static {
    isGreenlet = (value): value is Greenlet<any> => typeof value === 'object' && value !== null && #token in value;
    control = {
      step: (g) => g.#step(),
      state: (g) => g.#stateName(),
      queuedContext: (g) => (g.#is(ST_QUEUED) ? g.#site.context : null),
      start: (g) => {
        if (!g.#is(ST_PENDING)) return; // killed, refused, or already started: nothing to do
        if (g.#rare !== null) g.#rare.timer = null;
        g.#set(STARTED, true);
        g.#enter(ST_QUEUED);
        g.#site.host.schedule(g);
      },
      delay: (g, timer) => {
        (g.#rare ??= newRare()).timer = timer;
      },
      refuse: (g, error) => {
        g.#finish(false, error, false);
        queueMicrotask(() => {
          if (!g.#has(OBSERVED)) g.#site.host.reportError(error, g);
        });
      },
      tookWait: (g, w, how, ready) => {
        if (how === 'awaited' && g.#waitingOn !== w) {
          // It left `w` (made another hub wait since) and awaits it now: the hub must deliver it, or the await
          // hangs. It parks on it again, unless it already awaits another hub wait (Promise.all over several):
          // then `w` is an ordinary Deferred, its outcome reaching the await the Promise way.
          if (w.handed) return true; // its turn came before this await, which takes what the hub handed over
          const on = g.#waitingOn;
          if (g.#is(ST_DEAD)) return false;
          if (on instanceof HubWait && on.hooked) {
            w.coAwait(); // released with the combinator's fate: a kill, its code going on, its death
            ((g.#rare ??= newRare()).coAwaited ??= []).push(w);
            return false;
          }
          g.#awaitWait(w, ready);
          return true;
        }
        if (g.#waitingOn !== w) return false;
        if (how === 'awaited') {
          // It resumed through this wait before awaiting it (a kill held for it, its outcome): now it is awaited.
          if (g.#is(ST_RUNNING)) g.#awaitWait(w, ready);
          return true;
        }
        if (g.#is(ST_PARKED)) {
          g.#token++; // it runs on: the wait's outcome goes to its `then` callbacks, not through the hub
          g.#site.host.parkedDelta(-1);
          g.#enter(ST_RUNNING);
        }
        // Taken by other code: theirs now, so a kill of `g` leaves it alone (queued, its step passes a kill it was sent on).
        if (how === 'taken' && !g.#is(ST_QUEUED)) g.#waitingOn = null;
        return false;
      },
      awaitWait: (g, w, ready) => g.#awaitWait(w, ready),
      // Its code is running (the hub found it by its identity): whatever the hub last saw, it did not await that.
      acceptsWait: (g) => g.#modeIs(MODE_CALLING) || g.#modeIs(MODE_ASYNC),
      cooperateIn: (g) => {
        if (!g.#modeIs(MODE_GENERATOR)) return null;
        const rare = (g.#rare ??= newRare());
        return (rare.coop ??= new Deferred<void>());
      },
      busy: (g) => g.#has(ASYNC_BUSY),
      stats: (g) => g.#site.stats,
      linkInternal: (g, cb) => g.#link(cb, INTERNAL),
      newWait: (g, canceller, onAbandon) => g.#site.host.newWait(canceller, onAbandon),
      watch: (g, watcher) => {
        g.#set(OBSERVED, true);
        if (!g.#is(ST_DEAD)) g.#addLink(watcher, ANY);
        else queueMicrotask(() => g.#notify(watcher, ANY));
      },
      liveInsert: (g, head) => {
        g.#nextLive = head;
        if (head !== null) head.#prevLive = g;
        return g;
      },
      liveRemove: (g, head) => {
        const prev = g.#prevLive;
        const next = g.#nextLive;
        if (next !== null) next.#prevLive = prev;
        if (prev !== null) prev.#nextLive = next;
        g.#prevLive = null;
        g.#nextLive = null;
        return head === g ? next : head;
      },
      liveNext: (g) => g.#nextLive,
      adopt: <R>(site: SpawnSite, id: number, fn: unknown, args: unknown[] | null, state: GreenletState, ok: boolean) => {
        // A lazy call's greenlet, made where the call is: observed (the call's Deferred watches it), started.
        const g = new Greenlet<R>(site, state === 'queued' ? (fn as (...args: any[]) => unknown) : null, args, id);
        g.#flags |= STARTED | OBSERVED;
        g.#enter(stateBits[state]);
        if (state === 'running') {
          g.#setMode(MODE_CALLING); // its function runs now, under the hub's identity: called() takes what it returns
          g.#value = undefined;
          g.#set(TRACKED, true);
        } else if (state === 'dead') {
          g.#setMode(MODE_FINISHED);
          g.#value = fn; // the call's outcome
          g.#set(OK, ok || isGreenletExit(fn));
        }
        return g;
      },
      called: (g, r, threw) => {
        if (!threw) return g.#called(r, false);
        g.#finish(false, r, true);
        return false;
      },
    };
  }

  /**
   * @internal Greenlets are made by `hub.spawn`.
   * @param site - its hub, task step statistics (which also name it) and spawner's async context.
   * @param fn - the function.
   * @param args - its arguments.
   * @param id - its id (taken with {@link newGreenletId} when it was spawned before it was made).
   */
  constructor(site: SpawnSite, fn: ((...args: any[]) => unknown) | null, args: unknown[] | null, id: number = nextId++) {
    this.id = id;
    this.#site = site;
    this.#fn = fn;
    this.#value = args;
  }

  /** The task name: the Task's name or the function's name (`'<anonymous>'` without one). */
  get name(): string {
    return this.#site.stats.name;
  }

  /** True once the greenlet was scheduled to run (spawned, admitted by a pool, or its `spawnLater` timer fired). */
  get started(): boolean {
    return this.#has(STARTED);
  }

  /** True once the greenlet finished, failed or was killed. */
  get dead(): boolean {
    return this.#is(ST_DEAD);
  }

  /** @returns true once the greenlet is dead (gevent's `ready()`; not the `'queued'` state). */
  ready(): boolean {
    return this.#is(ST_DEAD);
  }

  /** @returns true when the greenlet is dead and did not fail (a `GreenletExit` counts as success). */
  successful(): boolean {
    return this.#is(ST_DEAD) && this.#has(OK);
  }

  /** The result once it succeeded (the `GreenletExit` itself when killed by one); `undefined` before. */
  get value(): R | undefined {
    return (this.#has(OK) ? this.#value : undefined) as R | undefined;
  }

  /** The exception it failed with; `undefined` while alive or after success. */
  get exception(): unknown {
    return this.#is(ST_DEAD) && !this.#has(OK) ? this.#value : undefined;
  }

  /**
   * Aborted by {@link Greenlet.kill} (with the kill's exception as reason), for APIs that take an `AbortSignal`. An
   * exception thrown by one of its listeners goes to the hub's `'error'` (as a link's does); the kill goes on.
   */
  get signal(): AbortSignal {
    const rare = (this.#rare ??= newRare());
    if (rare.abort === null) {
      rare.abort = new AbortController();
      // A listener that throws reports to the hub's 'error', as a link does: not an uncaught exception from the kill.
      guardAbortListeners(rare.abort.signal, (error) => this.#site.host.reportError(error, this));
      if (this.#has(KILL_PENDING)) rare.abort.abort(rare.killReason);
    }
    return rare.abort.signal;
  }

  /**
   * Wait until the greenlet is dead. Never errbacks.
   *
   * @param timeoutMs - give up after this long (hub clock).
   * @returns a Deferred firing `true` when dead, `false` on timeout.
   */
  join(timeoutMs?: number): Deferred<boolean> {
    return this.#wait(timeoutMs, () => true, false, ANY);
  }

  /**
   * Wait for the result.
   *
   * @param timeoutMs - give up after this long (hub clock) with `TimeoutError`.
   * @returns a Deferred firing with the value, or errbacking with the exception.
   */
  get(timeoutMs?: number): Deferred<R> {
    return this.#wait<R>(
      timeoutMs,
      Greenlet.#valueOf as (g: Greenlet<any>) => R,
      new TimeoutError(`Greenlet ${this.name}#${this.id} did not finish within ${String(timeoutMs)} ms`),
      ANY,
    );
  }

  /**
   * Kill the greenlet: the exception is thrown in at its switch point, so `finally` blocks run. A greenlet not yet
   * started never runs. A parked greenlet's wait is abandoned. An async greenlet awaiting something foreign gets it
   * at its next hub wait. Its `signal` aborts at once.
   *
   * @param exception - an error instance or class (instantiated without arguments).
   * @returns a Deferred firing `undefined` once the greenlet is dead; errbacking with a `TypeError` (the greenlet
   *   left alone) when `exception` is a function that cannot be made with `new` and no arguments.
   */
  kill(exception: unknown = new GreenletExit()): Deferred<void> {
    if (this.#is(ST_DEAD)) return succeed(undefined);
    const made = killException(exception);
    if ('error' in made) return fail(made.error); // bad input: errbacks, and it is not killed
    const exc = made.exception;
    const rare = (this.#rare ??= newRare());
    rare.kill = exc;
    // Its signal aborts once the state change below is done: an abort listener is the caller's code, and may kill it
    // again (the later kill then replaces this one, as two kills in a row do) or run the hub. Aborted before, a
    // listener's kill took the exception this kill then took again, and the greenlet died with `undefined`.
    const first = !this.#has(KILL_PENDING);
    if (first) {
      this.#set(KILL_PENDING, true);
      rare.killReason = exc;
    }
    const abort = first ? rare.abort : null; // read later, the signal aborts itself (see its getter)
    let dropped: HubWait<any> | null = null; // a hub wait it leaves: fired with the kill once this state change is done
    switch (this.#flags & STATE_MASK) {
      case ST_PENDING:
      case ST_QUEUED:
        if (this.#modeIs(MODE_UNSTARTED)) {
          const timer = rare.timer;
          rare.timer = null;
          if (timer !== null && timer.active()) timer.cancel(); // a fired timer that has not started it: nothing to cancel
          this.#finish(false, exc, true);
          abort?.abort(exc);
          return succeed(undefined);
        }
        // A value its wait handed over and it never took goes back (a token, a queue item: gevent's rule).
        if (!this.#has(THROWING) && this.#waitingOn instanceof HubWait) {
          dropped = this.#waitingOn;
          dropped.abandon();
        }
        this.#takeKill(); // switched and queued: the exception replaces what it would have been sent
        break;
      case ST_PARKED:
        dropped = this.#abandonWait();
        this.#takeKill();
        this.#site.host.parkedDelta(-1);
        this.#enter(ST_QUEUED);
        this.#site.host.schedule(this);
        break;
      default: // running: thrown in at the next switch point
        if (this.#modeIs(MODE_ASYNC)) dropped = this.#dropRacedWait();
        break;
    }
    abort?.abort(exc);
    const done = this.#wait<void>(undefined, noop, undefined, INTERNAL);
    // Last: its callbacks are the caller's code and may kill again or wait on this greenlet.
    if (dropped !== null) dropped.dropped(exc);
    this.#releaseCoAwaited(exc);
    this.#dropRacedLeft(exc);
    return done;
  }

  /**
   * Call `cb(greenlet)` when it dies, whatever the outcome; at once-ish (next microtask) when already dead.
   * @param cb - the callback; an exception it throws goes to the hub's `'error'`.
   */
  link(cb: GreenletLink<R>): void {
    this.#link(cb as GreenletLink<any>, ANY);
  }

  /** Like {@link Greenlet.link}, only when the greenlet succeeds. @param cb - the callback. */
  linkValue(cb: GreenletLink<R>): void {
    this.#link(cb as GreenletLink<any>, VALUE);
  }

  /** Like {@link Greenlet.link}, only when the greenlet fails. @param cb - the callback. */
  linkException(cb: GreenletLink<R>): void {
    this.#link(cb as GreenletLink<any>, EXCEPTION);
  }

  /** Remove the first registration of `cb` (no effect when absent). @param cb - a callback given to a link method. */
  unlink(cb: GreenletLink<R>): void {
    const links = this.#links;
    if (links === null) return;
    if (!Array.isArray(links)) {
      if (links === cb) this.#links = null;
      return;
    }
    for (let i = 0; i < links.length; i += 2) {
      if (links[i] === cb) {
        links.splice(i, 2);
        return;
      }
    }
  }

  /**
   * Promise interop: `await g` gives the value or throws the exception; counts as observing the outcome. From a
   * greenlet of its hub, while `g` is alive, this goes through its `get()` wait, a hub wait: an async greenlet awaiting
   * `g` is killable there (its kill rejects that wait, so the await throws it), not in a foreign await nothing can end.
   */
  then<R1 = R, R2 = never>(
    onFulfilled?: ((value: R) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (!this.#is(ST_DEAD) && this.#site.host.inGreenlet()) {
      return this.#wait(undefined, Greenlet.#valueOf as (g: Greenlet<any>) => R, undefined, ANY).then(onFulfilled, onRejected);
    }
    let p: Promise<R>;
    this.#set(OBSERVED, true);
    if (this.#is(ST_DEAD)) {
      p = this.#has(OK) ? Promise.resolve(this.#value as R) : Promise.reject(this.#value);
    } else {
      // Not from a greenlet of its hub: no switch point to make, a Promise settled at its death will do.
      p = new Promise<R>((resolve, reject) => {
        this.#addLink((g: Greenlet<any>) => (g.#has(OK) ? resolve(g.#value as R) : reject(g.#value)), ANY);
      });
    }
    return p.then(onFulfilled, onRejected);
  }

  /** @returns `Greenlet name#id (state)`, for debugging. */
  toString(): string {
    return `Greenlet ${this.name}#${this.id} (${this.#stateName()})`;
  }

  // The lifecycle state and the mode live in bits of #flags (greenlet-flags.ts): two fields fewer per greenlet.
  /** @returns true in state `st` (an `ST_…` constant). */
  #is(st: number): boolean {
    return (this.#flags & STATE_MASK) === st;
  }

  /** Move to state `st` (an `ST_…` constant). */
  #enter(st: number): void {
    this.#flags = (this.#flags & ~STATE_MASK) | st;
  }

  /** @returns the state's name. */
  #stateName(): GreenletState {
    return stateNames[(this.#flags & STATE_MASK) >> STATE_SHIFT]!;
  }

  /** @returns true in mode `mode` (a `MODE_…` constant). */
  #modeIs(mode: number): boolean {
    return (this.#flags & MODE_MASK) === mode;
  }

  /** Switch to mode `mode` (a `MODE_…` constant). */
  #setMode(mode: number): void {
    this.#flags = (this.#flags & ~MODE_MASK) | mode;
  }

  #has(bit: number): boolean {
    return (this.#flags & bit) !== 0;
  }

  #set(bit: number, on: boolean): void {
    this.#flags = on ? this.#flags | bit : this.#flags & ~bit;
  }

  #link(cb: GreenletLink<any>, kind: number): void {
    if (typeof cb !== 'function') {
      throw new TypeError(`Expected \`cb\` to be a function, got ${describeValue(cb)}`);
    }
    if (kind === ANY || kind === EXCEPTION) this.#set(OBSERVED, true);
    if (!this.#is(ST_DEAD)) {
      this.#addLink(cb, kind);
      return;
    }
    queueMicrotask(() => this.#notify(cb, kind));
  }

  /** Register a death notifier; the first one is stored without an array (most greenlets have one). */
  #addLink(cb: Notified, kind: number): void {
    const links = this.#links;
    if (links === null) {
      this.#links = cb;
      this.#flags = (this.#flags & ~LINK_KIND_MASK) | (kind << LINK_KIND_SHIFT);
    } else if (!Array.isArray(links)) {
      this.#links = [links, (this.#flags & LINK_KIND_MASK) >> LINK_KIND_SHIFT, cb, kind];
    } else {
      links.push(cb, kind);
    }
  }

  #notify(cb: Notified, kind: number): void {
    if ((kind === VALUE && !this.#has(OK)) || (kind === EXCEPTION && this.#has(OK))) return;
    try {
      if (typeof cb !== 'function') cb.greenletDied(this);
      else {
        if (kind !== INTERNAL) passUserCodeGate(); // a link callback may be the caller's code (user-code-gate.ts)
        cb(this);
      }
    } catch (error: unknown) {
      this.#site.host.reportError(error, this);
    }
  }

  #wait<T>(timeoutMs: number | undefined, outcome: (g: Greenlet<any>) => T, onTimeout: unknown, kind: number): Deferred<T> {
    const bad = badTimeout<T>(timeoutMs);
    if (bad !== null) return bad;
    if (kind !== INTERNAL) this.#set(OBSERVED, true);
    if (this.#is(ST_DEAD)) {
      try {
        return succeed(outcome(this));
      } catch (error: unknown) {
        return fail<T>(error);
      }
    }
    let timer: DelayedCall | null = null;
    const notify = (g: Greenlet<any>): void => {
      if (d.called) return;
      if (timer !== null) timer.cancel();
      let result: T;
      try {
        result = outcome(g);
      } catch (error: unknown) {
        d.errback(error);
        return;
      }
      d.callback(result);
    };
    const drop = (): void => {
      if (timer !== null) timer.cancel();
      this.unlink(notify);
    };
    // A hub wait: an async greenlet waiting on it resumes in its turn and stays killable meanwhile.
    const d: Deferred<T> = this.#site.host.newWait<T>(drop, drop);
    this.#addLink(notify, kind);
    if (timeoutMs !== undefined) {
      timer = this.#site.host.clock.callLater(timeoutMs, () => {
        timer = null;
        this.unlink(notify);
        if (onTimeout === false) d.callback(false as T);
        else d.errback(onTimeout);
      });
    }
    return d;
  }

  #takeKill(): void {
    const rare = this.#rare!;
    this.#value = rare.kill;
    this.#set(THROWING, true);
    this.#set(SENDING_KILL, true);
    rare.kill = undefined;
  }

  /** @returns the hub wait it was parked on, abandoned (for the kill to fire), or null when it parked on something else. */
  #abandonWait(): HubWait<any> | null {
    this.#token++;
    const w = this.#waitingOn;
    this.#waitingOn = null;
    if (!(w instanceof HubWait)) return null;
    w.abandon();
    if (this.#modeIs(MODE_ASYNC)) this.#waitingOn = w; // the hub still delivers the kill through it
    return w;
  }

  /**
   * Killed while running its own code: a hub wait it made and chained with `then` in the same run, without
   * awaiting it, is abandoned for the kill to reject it, so the Promise that `then` made — which the greenlet may
   * await — rejects. The kill is not spent there: its next hub wait takes it too (SPEC §6.1), since a `then` chain is
   * the greenlet's code only if it awaits it.
   * @returns the wait, or null when there is none to drop.
   */
  #dropRacedWait(): HubWait<any> | null {
    const w = this.#waitingOn;
    if (!(w instanceof HubWait) || !w.raced || w.called) return null;
    this.#waitingOn = null;
    w.abandon();
    return w;
  }

  #park(waitable: unknown): void {
    this.#enter(ST_PARKED);
    this.#waitingOn = waitable;
    this.#site.host.parkedDelta(1);
  }

  #resume(token: number, value: unknown, failed: boolean): void {
    if (token !== this.#token || !this.#is(ST_PARKED)) return;
    this.#value = value;
    this.#set(THROWING, failed);
    this.#set(SENDING_KILL, false);
    if (!this.#modeIs(MODE_ASYNC) && !(this.#waitingOn instanceof HubWait)) this.#waitingOn = null; // a hub wait stays until the step
    this.#site.host.parkedDelta(-1);
    this.#enter(ST_QUEUED);
    this.#site.host.schedule(this);
  }

  /** An async greenlet made (and will await) hub wait `w`: its step ends here. */
  #awaitWait(w: HubWait<any>, ready: boolean): void {
    // Its code runs, so it did not await its last wait (it raced it and the other side won, or gave it
    // callbacks): leave that wait; a resumption queued through it is stale, except a kill, which this wait takes.
    let left: HubWait<any> | null = null; // a cooperate() it leaves before its turn came: fired once this is done
    const lost = this.#lostWait(w);
    const before = this.#waitingOn; // a raced wait it goes on from stays in reach of a kill (#keepRaced)
    if (this.#is(ST_PARKED)) this.#site.host.parkedDelta(-1);
    else if (this.#is(ST_QUEUED)) {
      if (this.#has(SENDING_KILL)) this.#rare!.kill = this.#value;
      else if (this.#waitingOn instanceof HubWait && !this.#waitingOn.called && !this.#waitingOn.hooked) left = this.#waitingOn;
      this.#value = undefined;
      this.#set(THROWING, false);
      this.#set(SENDING_KILL, false);
    }
    this.#set(ASYNC_BUSY, false);
    const token = ++this.#token;
    this.#waitingOn = w;
    if (this.#rare !== null && this.#rare.kill !== undefined) {
      this.#takeKill();
      ready = true;
    } else if (ready) {
      this.#value = undefined;
      this.#set(THROWING, false);
      this.#set(SENDING_KILL, false);
    }
    if (ready) {
      this.#enter(ST_QUEUED);
      this.#site.host.schedule(this);
    } else {
      this.#park(w);
      w.onOutcome((result: unknown) => this.#resume(token, result, isFailure(result)));
    }
    if (left !== null && !left.called) left.callback(undefined); // last: its callbacks are the greenlet's code
    if (lost !== null) this.#release(lost, true);
    this.#releaseCoAwaited(undefined);
    if (before !== w && before instanceof HubWait && before.raced && !before.called) this.#keepRaced(before);
  }

  /**
   * Keep raced wait `w`, which its code goes on from with no outcome yet, for a kill to reject (see
   * `Rare.racedLeft`): a `then` chain of a hub wait is the greenlet's code, and the greenlet may await its Promise
   * later, after other hub waits; without this a kill went unseen there until `w` got an outcome (it may never).
   * Waits with an outcome are pruned when the list doubles, so a loop that races waits keeps only those pending.
   */
  #keepRaced(w: HubWait<any>): void {
    const rare = (this.#rare ??= newRare());
    let list = rare.racedLeft;
    if (list === null) list = rare.racedLeft = [];
    else if (list.length >= 8 && (list.length & (list.length - 1)) === 0) {
      list = rare.racedLeft = list.filter((x) => !x.called);
    }
    list.push(w);
  }

  /** Killed: reject, with the kill, the raced waits it went on from that have no outcome yet (see #keepRaced). */
  #dropRacedLeft(exception: unknown): void {
    const list = this.#rare?.racedLeft ?? null;
    if (list === null) return;
    this.#rare!.racedLeft = null;
    // One by one: dropping one runs its callbacks, which may give another its outcome (then it is left as it is).
    for (const w of list) if (!w.called) dropWait(w, exception);
  }

  /**
   * Release the hub waits it awaited beside the one it parked on that have no outcome yet: its code runs on (it
   * makes a hub wait, or ends), so the `Promise.all`/`race` they were in is decided; or it is killed (`exception`),
   * so they fire with the kill, as the wait it parks on does, and the combinator rejects with it.
   */
  #releaseCoAwaited(exception: unknown): void {
    const rare = this.#rare;
    const list = rare?.coAwaited ?? null;
    if (list === null) return;
    rare!.coAwaited = null;
    for (const w of list) {
      if (w.called) continue;
      if (exception === undefined) this.#release(w, false);
      else {
        w.abandon();
        w.dropped(exception);
      }
    }
  }

  /**
   * @returns the hub wait this async greenlet awaited and was not handed yet, now that its code is seen running on
   *   (it makes hub wait `next`, or it dies): that await was not its own (`Promise.race([w, …])` lost to the other
   *   side, `Promise.any`), so nothing will take what `w` gets; null when there is none.
   */
  #lostWait(next: HubWait<any> | null): HubWait<any> | null {
    const w = this.#waitingOn;
    if (w === next || !(w instanceof HubWait) || !w.hooked || !this.#modeIs(MODE_ASYNC)) return null;
    return w;
  }

  /**
   * Release a hub wait its greenlet went on without (see {@link Greenlet.#lostWait}), or one it awaited beside
   * another (`#releaseCoAwaited`): it leaves its waiter line or timer, gives back what it was served (a token, an item
   * no callback of its took), and, with no outcome yet, errbacks with `ConcurrentWaitError` (handled) so its
   * callbacks hear of it: nothing queued is lost to a race already decided.
   * @param goesOn - its code goes on (it made another hub wait) rather than ended: a pending `await` of `w` rejects
   *   with that error too. A greenlet has one line of control, and the hub cannot tell a `Promise.race` that `w` lost
   *   (the rejection goes into the decided race, where nobody sees it) from a line of the greenlet's code that still
   *   awaits `w` while another line made the new wait (a floating `async` branch, `void branch()`): that line fails
   *   at once with a named error instead of awaiting forever, beyond `kill()` and `stop()`. At the greenlet's end it
   *   does not: a line still awaiting then is a branch nobody awaits, dropped silently, never rejected unhandled.
   */
  #release(w: HubWait<any>, goesOn: boolean): void {
    const error = new ConcurrentWaitError(
      `Greenlet ${this.name}#${this.id} ${goesOn ? 'made another hub wait' : 'ended'} while this one was awaited: a greenlet ` +
        'has one line of control (this wait lost a Promise.race, or an async function started without `await` waits on ' +
        'the hub beside another: spawn it as a greenlet, or await the waits together with Promise.all)',
    );
    w.abandon();
    w.dropped(error);
    if (goesOn) w.rejectAwait(error);
  }

  /** Run one step; see the module comment. */
  #step(): boolean {
    if (this.#rare !== null) {
      const coop = this.#rare.coop;
      if (coop !== null) {
        this.#rare.coop = null;
        coop.callback(undefined);
      }
    }
    this.#enter(ST_RUNNING);
    const mode = this.#flags & MODE_MASK;
    if (mode === MODE_GENERATOR) {
      this.#waitingOn = null;
      return this.#runGenerator();
    }
    if (mode === MODE_ASYNC) return this.#resumeAsync();
    return this.#call();
  }

  /** The first step: call the function and learn what kind of greenlet this is. */
  #call(): boolean {
    const fn = this.#fn as (...args: any[]) => unknown;
    const args = this.#value as unknown[];
    this.#fn = null;
    this.#value = undefined;
    this.#setMode(MODE_CALLING);
    let r: unknown;
    const native = Object.getPrototypeOf(fn) === GeneratorFunctionPrototype;
    try {
      if (native) {
        r = fn(...args); // a generator object for certain: no duck-typing lookups on it
      } else {
        if (!this.#has(TRACKED)) this.#set(TRACKED, true);
        r = this.#site.host.callTracked(this, fn, args);
      }
    } catch (error: unknown) {
      this.#finish(false, error, true);
      return false;
    }
    return this.#called(r, native);
  }

  /** What the first call returned (`native`: by a generator function) decides what kind of greenlet this is. */
  #called(r: unknown, native: boolean): boolean {
    let generator: boolean;
    try {
      generator = native || isGenerator(r);
    } catch (error: unknown) {
      this.#finish(false, error, true); // a `next` or `throw` getter of what it returned threw: it fails with that
      return false;
    }
    if (generator) {
      this.#set(NATIVE_GENERATOR, native);
      this.#setMode(MODE_GENERATOR);
      this.#fn = r as Generator<unknown, unknown, unknown>;
      return this.#runGenerator();
    }
    return this.#startAsync(r);
  }

  #startAsync(r: unknown): boolean {
    let thenable: boolean;
    try {
      thenable = isThenable(r);
    } catch (error: unknown) {
      this.#finish(false, error, true); // its `then` getter threw: it fails with that, as a Promise would reject
      return false;
    }
    if (!thenable) {
      this.#finish(true, r, true);
      return false;
    }
    this.#setMode(MODE_ASYNC);
    followThenable(
      r as PromiseLike<unknown>,
      (v: unknown) => this.#finish(true, v, true),
      (e: unknown) => this.#finish(false, e, true),
    );
    if (!this.#is(ST_RUNNING)) return false; // it reached a hub wait in its first step, or `then` threw
    this.#set(ASYNC_BUSY, true); // it runs on in microtasks, maybe through foreign awaits
    return true;
  }

  #resumeAsync(): boolean {
    const w = this.#waitingOn as HubWait<any> | null;
    this.#waitingOn = null;
    if (w === null) return false;
    const send = this.#value;
    const failed = this.#has(THROWING);
    const kill = this.#has(SENDING_KILL);
    this.#value = undefined;
    this.#set(THROWING, false);
    this.#set(SENDING_KILL, false);
    if (w.raced) {
      // A cooperate() it chained with `then` in the run that made it: fire it as the ordinary Deferred it became.
      if (!w.called) {
        if (failed) w.errback(send);
        else w.callback(send);
      }
      return false;
    }
    if (kill && !w.hooked) {
      // It made this wait but has not awaited it (yet), or other code took it: hold the kill — its `await` of it
      // (tookWait), or else its next hub wait, takes it. Delivered into a wait nobody awaits, it would be lost.
      this.#rare!.kill = send;
      this.#waitingOn = w;
      return false;
    }
    // A `cooperate()` it gave callbacks and has not awaited (yet: usually its `await` comes a microtask after this
    // step): the hub resumes it without firing it, so fire it now, its turn came, or its callbacks never run.
    if (!w.called && !w.hooked && w.chained) w.callback(send);
    this.#set(ASYNC_BUSY, true);
    w.deliver(send, failed, kill);
    return true;
  }

  /** @returns true when the greenlet continued as an async function that runs on (see {@link ContinueAs}). */
  #runGenerator(): boolean {
    const iter = this.#fn as Generator<unknown, unknown, unknown>;
    let send = this.#value;
    let throwing = this.#has(THROWING);
    if (send !== undefined) this.#value = undefined;
    if (throwing) this.#flags &= ~(THROWING | SENDING_KILL);
    const native = this.#has(NATIVE_GENERATOR);
    for (;;) {
      let done: boolean;
      let y: unknown;
      try {
        let r: IteratorResult<unknown, unknown>;
        if (native) r = throwing ? generatorThrow.call(iter, send) : generatorNext.call(iter, send);
        // A hand-written generator object may return anything, and its result's getters may throw: read here, where
        // that fails the greenlet (outside, it threw out of the hub's turn: an uncaught exception).
        else r = iteratorResult(throwing ? iter.throw(send) : iter.next(send));
        done = r.done === true;
        y = r.value;
      } catch (error: unknown) {
        this.#finish(false, error, true);
        return false;
      }
      if (done) {
        this.#finish(true, y, true);
        return false;
      }
      if (this.#rare !== null && this.#rare.kill !== undefined) {
        send = this.#rare.kill; // killed from inside its own step: thrown in at this switch point
        this.#rare.kill = undefined;
        throwing = true;
        continue;
      }
      if (y === undefined || (this.#rare !== null && y === this.#rare.coop && y !== null)) {
        this.#enter(ST_QUEUED);
        this.#site.host.requeue(this); // in its own step, so in a pass
        return false;
      }
      throwing = false;
      if (typeof y !== 'object' && typeof y !== 'function') {
        send = y; // not waitable: sent straight back
        continue;
      }
      if (isGreenlet(y)) {
        if (y.#is(ST_DEAD)) {
          throwing = !y.#has(OK);
          send = y.#value;
          continue;
        }
        const token = ++this.#token;
        y.#addLink((g: Greenlet<any>) => this.#resume(token, g.#value, !g.#has(OK)), ANY);
        this.#park(y);
        return false;
      }
      if (isDeferred(y)) {
        const settled = this.#parkOnDeferred(y);
        if (settled === null) return false;
        throwing = isFailure(settled);
        send = throwing ? (settled as Failure).value : settled;
        continue;
      }
      if (ContinueAs.is(y)) {
        this.#fn = y.fn;
        this.#value = y.args;
        return this.#call();
      }
      let thenable: boolean;
      try {
        thenable = isThenable(y);
      } catch (error: unknown) {
        throwing = true; // its `then` getter threw: thrown back in at the yield, as an `await` of it would
        send = error;
        continue;
      }
      if (!thenable) {
        send = y;
        continue;
      }
      const token = ++this.#token;
      this.#park(y);
      followThenable(
        y as PromiseLike<unknown>,
        (v: unknown) => this.#resume(token, v, false),
        (e: unknown) => this.#resume(token, e, true),
      );
      return false;
    }
  }

  /**
   * Park on a yielded Deferred (observing it; a failure it takes counts as handled).
   * @returns its result (a Failure when it failed) when it had already fired, else null (parked).
   */
  #parkOnDeferred(y: Deferred<unknown>): unknown {
    const token = ++this.#token;
    let sync = true;
    let syncResult: unknown = null;
    observeOutcome(y, (result: unknown) => {
      const failed = isFailure(result);
      // Parking observes, and a failure the greenlet takes counts as handled (SPEC §6.1). Killed before it came (the
      // wait was abandoned: the token moved on), the greenlet takes nothing: the failure reached nobody, and is
      // reported when `y` is collected unless its owner handles it.
      if (failed && (sync || (token === this.#token && this.#is(ST_PARKED)))) void y.then(undefined, noop);
      if (sync) syncResult = { result };
      else this.#resume(token, failed ? result.value : result, failed);
    });
    sync = false;
    if (syncResult !== null) return (syncResult as { result: unknown }).result;
    this.#park(y);
    return null;
  }

  /** @returns the outcome of dead greenlet `g`: its value, or throws its exception. */
  static #valueOf(g: Greenlet<any>): unknown {
    if (!g.#has(OK)) throw g.#value;
    return g.#value;
  }

  /** Death: record the outcome, release references, notify links in registration order, report if unobserved. */
  #finish(ok: boolean, result: unknown, report: boolean): void {
    if (this.#is(ST_DEAD)) return;
    if (this.#is(ST_PARKED)) this.#site.host.parkedDelta(-1);
    if (!ok && isGreenletExit(result)) ok = true;
    const lost = this.#lostWait(null);
    this.#enter(ST_DEAD);
    this.#setMode(MODE_FINISHED);
    this.#set(ASYNC_BUSY, false);
    this.#set(OK, ok);
    this.#value = result; // what it would have been sent goes: the field now holds the result
    this.#fn = null;
    this.#waitingOn = null;
    const rare = this.#rare;
    if (rare !== null) {
      rare.kill = undefined;
      const coop = rare.coop;
      rare.coop = null;
      if (coop !== null) coop.callback(undefined);
    }
    const links = this.#links;
    this.#links = null;
    this.#site.host.died(this, this.#has(TRACKED), links !== null);
    let observed = false;
    if (links !== null && !Array.isArray(links)) {
      // One link (most greenlets): no array to walk.
      const kind = (this.#flags & LINK_KIND_MASK) >> LINK_KIND_SHIFT;
      observed = kind === ANY || kind === EXCEPTION;
      this.#notify(links, kind);
    } else if (links !== null) {
      for (let i = 0; i < links.length; i += 2) {
        const kind = links[i + 1] as number;
        if (kind === ANY || kind === EXCEPTION) observed = true;
        this.#notify(links[i] as Notified, kind);
      }
    }
    if (!ok && report && !observed) this.#site.host.reportError(result, this);
    if (lost !== null) this.#release(lost, false);
    this.#releaseCoAwaited(undefined);
    if (this.#rare !== null) this.#rare.racedLeft = null; // dead: its raced waits are ordinary Deferreds, as they were
  }
}

/** A kill takes its greenlet off hub wait `w`: `w` lets go of what it holds, then fires with the kill if it had no outcome. */
function dropWait(w: HubWait<any>, exception: unknown): void {
  w.abandon();
  w.dropped(exception);
}

/**
 * @internal The hub's handle on greenlets' internals: the one implementation of {@link GreenletControl}.
 * Only src/green/ may use it; see greenlet-control.ts for who may call what.
 */
export const greenletControl: GreenletControl = control;
