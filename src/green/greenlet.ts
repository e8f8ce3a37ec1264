/**
 * `Greenlet`: one cooperative task on the hub — a generator, async or plain function and its outcome.
 *
 * How a step runs (the hub calls {@link stepGreenlet} with the greenlet as current):
 * - First step: the function is called. A generator object makes it a generator greenlet, a thenable an async one,
 *   anything else is the result (a plain function is one step).
 * - Generator greenlets: `next(send)`/`throw(send)` until the generator yields something to wait for. A bare
 *   `yield` (or the greenlet's own `cooperate()` Deferred) re-queues it; a Greenlet, Deferred or thenable parks it
 *   (already-fired ones resume at once, in the same step); any other value is sent straight back.
 * - Async greenlets: their steps run between the hub's switch points ({@link HubWait}); the hub resumes them in its
 *   own turn and the step ends when they reach the next one (see hub.ts).
 * - Death: links and internal waiters are notified synchronously, in registration order; exceptions escaping a
 *   greenlet nobody observed go to the hub's `'error'`.
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { Failure } from '../deferred/failure.js';
import { GreenletExit, TimeoutError } from '../errors.js';
import type { DelayedCall, Scheduler } from '../time/scheduler.js';
import { HubWait } from './hub-wait.js';
import type { StepStats } from './step-stats.js';

/** Lifecycle of a greenlet: waiting for `spawnLater`'s timer, queued, running a step, waiting, or finished. */
export type GreenletState = 'pending' | 'ready' | 'running' | 'parked' | 'foreign' | 'dead';

/** A callback given to {@link Greenlet.link}; receives the dead greenlet. */
export type GreenletLink<R = unknown> = (greenlet: Greenlet<R>) => void;

/** What the hub provides to its greenlets. Internal: implemented by `Hub`. */
export interface GreenletHost {
  /** The hub's scheduler for timeouts. */
  readonly clock: Scheduler;
  /** Put a greenlet on the ready queue. */
  schedule(g: Greenlet<any>): void;
  /** Counters: a greenlet started or stopped waiting. */
  parkedDelta(delta: number): void;
  /** A greenlet died. */
  died(g: Greenlet<any>): void;
  /** Report an error nobody handled (an escaping exception, a throwing link). */
  reportError(error: unknown, g: Greenlet<any>): void;
  /** A Deferred for a waiter on a greenlet (join/get/kill): a hub wait, see `newHubWait` in hub.ts. */
  newWait<T>(canceller: (d: Deferred<T>) => void, onAbandon: () => void, waitedOn: Greenlet<any>): Deferred<T>;
}

type Mode = 'unstarted' | 'calling' | 'generator' | 'async' | 'finished';

// Link kinds: which deaths a link hears about, and whether it counts as observing the outcome.
const ANY = 0;
const VALUE = 1;
const EXCEPTION = 2;
const INTERNAL = 3; // a notifier that does not count as observing (kill's Deferred)

const noop = (): undefined => undefined;
let nextId = 1;

// Bits of Greenlet's #flags.
const STARTED = 1;
const THROWING = 2;
const OK = 4;
const OBSERVED = 8;
const KILL_PENDING = 16;
const ASYNC_BUSY = 32;
const LINK_KIND_SHIFT = 6; // two bits: the kind of a single link stored without an array
const LINK_KIND_MASK = 3 << LINK_KIND_SHIFT;

/** Fields few greenlets need, allocated on first use. */
interface Rare {
  kill: unknown;
  killReason: unknown;
  abort: AbortController | null;
  timer: DelayedCall | null;
  coop: Deferred<void> | null;
}

function newRare(): Rare {
  return { kill: undefined, killReason: undefined, abort: null, timer: null, coop: null };
}

/** @returns true when `e` is a GreenletExit of any loaded copy of greenreactor. */
export function isGreenletExit(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ERR_GREENLET_EXIT';
}

function isGenerator(x: unknown): x is Generator<unknown, unknown, unknown> {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Generator).next === 'function' &&
    typeof (x as Generator).throw === 'function' &&
    typeof (x as Generator)[Symbol.iterator] === 'function'
  );
}

function thenOf(x: unknown): ((...args: unknown[]) => unknown) | null {
  if ((typeof x !== 'object' && typeof x !== 'function') || x === null) return null;
  const then = (x as { then?: unknown }).then;
  return typeof then === 'function' ? (then as (...args: unknown[]) => unknown) : null;
}

/** @internal Run one step of `g` (the hub sets it current first). @returns true when an async resumption was handed over. */
export let stepGreenlet: (g: Greenlet<any>) => boolean;
/** @internal The greenlet's state. */
export let stateOf: (g: Greenlet<any>) => GreenletState;
/** @internal An async greenlet reached a hub wait `w` in its step (`ready` true for cooperate). */
export let parkAsync: (g: Greenlet<any>, w: HubWait<any>, ready: boolean) => void;
/** @internal The Deferred `cooperate()` returns inside a generator greenlet's step. */
export let cooperateIn: (g: Greenlet<any>) => Deferred<void> | null;
/** @internal Make a greenlet ready (spawn) or pending with a timer (spawnLater). */
export let startGreenlet: (g: Greenlet<any>, timer: DelayedCall | null) => void;
/** @internal End a greenlet that never runs (capacity refused). */
export let refuseGreenlet: (g: Greenlet<any>, error: unknown) => void;
/** @internal True while the async greenlet has not yet handed control back after a resumption. */
export let asyncSettledIn: (g: Greenlet<any>) => boolean;
/** @internal The step statistics of `g`'s task. */
export let statsOf: (g: Greenlet<any>) => StepStats;
/** @internal Put `g` at the head of a hub's live list. @returns the new head. */
export let liveInsert: (g: Greenlet<any>, head: Greenlet<any> | null) => Greenlet<any>;
/** @internal Take `g` out of a hub's live list. @returns the new head. */
export let liveRemove: (g: Greenlet<any>, head: Greenlet<any> | null) => Greenlet<any> | null;
/** @internal The next greenlet in a hub's live list. */
export let liveNext: (g: Greenlet<any>) => Greenlet<any> | null;
/** @internal Notify `cb` at death without counting as observing the outcome (pools, groups, joinAll). */
export let linkInternal: (g: Greenlet<any>, cb: (g: Greenlet<any>) => void) => void;
/** @internal True when `g` is executing as a (possibly) async function, so a hub wait it makes is its switch point. */
export let asyncCapable: (g: Greenlet<any>) => boolean;

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

  #host: GreenletHost;
  #stats: StepStats;
  #fn: ((...args: any[]) => unknown) | Generator<unknown, unknown, unknown> | null; // the function, then its generator
  #args: unknown[] | null;
  #state: GreenletState = 'pending';
  #mode: Mode = 'unstarted';
  #flags = 0;
  #send: unknown = undefined;
  #token = 0; // identity of the current wait; bumped to abandon it
  #waitingOn: unknown = null;
  #links: GreenletLink<any> | unknown[] | null = null; // one callback (its kind in #flags), or [callback, kind, ...]
  #result: unknown = undefined; // the value when OK, else the exception
  #rare: Rare | null = null; // kill, abort, timer, cooperate: most greenlets never need them
  #prevLive: Greenlet<any> | null = null; // the hub's list of live greenlets (intrusive: no Set entry per greenlet)
  #nextLive: Greenlet<any> | null = null;

  // Booleans packed into #flags, and rare fields kept in #rare: a parked greenlet stays small.
  get #started(): boolean {
    return (this.#flags & STARTED) !== 0;
  }
  set #started(v: boolean) {
    this.#flags = v ? this.#flags | STARTED : this.#flags & ~STARTED;
  }
  get #throwing(): boolean {
    return (this.#flags & THROWING) !== 0;
  }
  set #throwing(v: boolean) {
    this.#flags = v ? this.#flags | THROWING : this.#flags & ~THROWING;
  }
  get #ok(): boolean {
    return (this.#flags & OK) !== 0;
  }
  set #ok(v: boolean) {
    this.#flags = v ? this.#flags | OK : this.#flags & ~OK;
  }
  get #observed(): boolean {
    return (this.#flags & OBSERVED) !== 0;
  }
  set #observed(v: boolean) {
    this.#flags = v ? this.#flags | OBSERVED : this.#flags & ~OBSERVED;
  }
  get #killPending(): boolean {
    return (this.#flags & KILL_PENDING) !== 0;
  }
  set #killPending(v: boolean) {
    this.#flags = v ? this.#flags | KILL_PENDING : this.#flags & ~KILL_PENDING;
  }
  get #asyncBusy(): boolean {
    return (this.#flags & ASYNC_BUSY) !== 0;
  }
  set #asyncBusy(v: boolean) {
    this.#flags = v ? this.#flags | ASYNC_BUSY : this.#flags & ~ASYNC_BUSY;
  }
  get #value(): unknown {
    return this.#ok ? this.#result : undefined;
  }
  get #exception(): unknown {
    return this.#ok ? undefined : this.#result;
  }
  get #kill(): unknown {
    return this.#rare === null ? undefined : this.#rare.kill;
  }
  set #kill(v: unknown) {
    if (v === undefined && this.#rare === null) return;
    (this.#rare ??= newRare()).kill = v;
  }
  get #killReason(): unknown {
    return this.#rare === null ? undefined : this.#rare.killReason;
  }
  set #killReason(v: unknown) {
    (this.#rare ??= newRare()).killReason = v;
  }
  get #abort(): AbortController | null {
    return this.#rare === null ? null : this.#rare.abort;
  }
  set #abort(v: AbortController | null) {
    (this.#rare ??= newRare()).abort = v;
  }
  get #timer(): DelayedCall | null {
    return this.#rare === null ? null : this.#rare.timer;
  }
  set #timer(v: DelayedCall | null) {
    if (v === null && this.#rare === null) return;
    (this.#rare ??= newRare()).timer = v;
  }
  get #coop(): Deferred<void> | null {
    return this.#rare === null ? null : this.#rare.coop;
  }
  set #coop(v: Deferred<void> | null) {
    if (v === null && this.#rare === null) return;
    (this.#rare ??= newRare()).coop = v;
  }

  static {
    stepGreenlet = (g) => g.#step();
    stateOf = (g) => g.#state;
    parkAsync = (g, w, ready) => g.#parkAsync(w, ready);
    cooperateIn = (g) => {
      if (g.#mode !== 'generator') return null;
      let coop = g.#coop;
      if (coop === null) g.#coop = coop = new Deferred<void>();
      return coop;
    };
    startGreenlet = (g, timer) => {
      if (timer === null) {
        g.#started = true;
        g.#state = 'ready';
        g.#host.schedule(g);
      } else {
        g.#timer = timer;
      }
    };
    refuseGreenlet = (g, error) => {
      g.#finish(false, error, false);
      queueMicrotask(() => {
        if (!g.#observed) g.#host.reportError(error, g);
      });
    };
    asyncSettledIn = (g) => !g.#asyncBusy;
    linkInternal = (g, cb) => g.#link(cb, INTERNAL);
    liveInsert = (g, head) => {
      g.#nextLive = head;
      if (head !== null) head.#prevLive = g;
      return g;
    };
    liveRemove = (g, head) => {
      const prev = g.#prevLive;
      const next = g.#nextLive;
      if (next !== null) next.#prevLive = prev;
      if (prev !== null) prev.#nextLive = next;
      g.#prevLive = null;
      g.#nextLive = null;
      return head === g ? next : head;
    };
    liveNext = (g) => g.#nextLive;
    statsOf = (g) => g.#stats;
    asyncCapable = (g) => (g.#mode === 'calling' || g.#mode === 'async') && (g.#state === 'running' || g.#state === 'foreign');
  }

  /**
   * @internal Greenlets are made by `hub.spawn`.
   * @param host - the hub's side of the contract.
   * @param fn - the function.
   * @param args - its arguments.
   * @param stats - its task's step statistics (which also name it).
   */
  constructor(host: GreenletHost, fn: (...args: any[]) => unknown, args: unknown[], stats: StepStats) {
    this.id = nextId++;
    this.#host = host;
    this.#stats = stats;
    this.#fn = fn;
    this.#args = args;
  }

  /** The task name: the Task's name or the function's name (`'<anonymous>'` without one). */
  get name(): string {
    return this.#stats.name;
  }

  /** True once the greenlet was scheduled to run (spawned, admitted by a pool, or its `spawnLater` timer fired). */
  get started(): boolean {
    return this.#started;
  }

  /** True once the greenlet finished, failed or was killed. */
  get dead(): boolean {
    return this.#state === 'dead';
  }

  /** @returns true once the greenlet is dead (gevent's `ready()`). */
  ready(): boolean {
    return this.#state === 'dead';
  }

  /** @returns true when the greenlet is dead and did not fail (a `GreenletExit` counts as success). */
  successful(): boolean {
    return this.#state === 'dead' && this.#ok;
  }

  /** The result once it succeeded (the `GreenletExit` itself when killed by one); `undefined` before. */
  get value(): R | undefined {
    return this.#value as R | undefined;
  }

  /** The exception it failed with; `undefined` while alive or after success. */
  get exception(): unknown {
    return this.#exception;
  }

  /** Aborted by {@link Greenlet.kill} (with the kill's exception as reason), for APIs that take an `AbortSignal`. */
  get signal(): AbortSignal {
    if (this.#abort === null) {
      this.#abort = new AbortController();
      if (this.#killPending) this.#abort.abort(this.#killReason);
    }
    return this.#abort.signal;
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
      (g) => {
        if (!g.#ok) throw g.#exception;
        return g.#value as R;
      },
      new TimeoutError(`Greenlet ${this.name}#${this.id} did not finish within ${String(timeoutMs)} ms`),
      ANY,
    );
  }

  /**
   * Kill the greenlet: the exception is thrown in at its switch point, so `finally` blocks run. A greenlet not yet
   * started never runs. A parked greenlet's wait is abandoned. Its `signal` aborts at once.
   *
   * @param exception - an error instance or class (instantiated without arguments).
   * @returns a Deferred firing `undefined` once the greenlet is dead.
   */
  kill(exception: unknown = new GreenletExit()): Deferred<void> {
    if (this.#state === 'dead') return succeed();
    const exc = typeof exception === 'function' ? new (exception as new () => unknown)() : exception;
    this.#kill = exc;
    if (!this.#killPending) {
      this.#killPending = true;
      this.#killReason = exc;
      this.#abort?.abort(exc);
    }
    switch (this.#state) {
      case 'pending':
      case 'ready':
        if (this.#mode === 'unstarted') {
          this.#timer?.cancel();
          this.#timer = null;
          this.#finish(false, exc, true);
          return succeed();
        }
        // A value its wait handed over and it never took goes back (a token, a queue item: gevent's rule).
        if (!this.#throwing && this.#waitingOn instanceof HubWait) this.#waitingOn.abandon();
        this.#takeKill(); // yielded and queued: the exception replaces what it would have been sent
        break;
      case 'parked':
        this.#abandonWait();
        this.#takeKill();
        this.#host.parkedDelta(-1);
        this.#state = 'ready';
        this.#host.schedule(this);
        break;
      default: // running or away in a foreign await: thrown at the next switch point
        break;
    }
    return this.#wait(undefined, noop, undefined, INTERNAL);
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
    if (typeof links === 'function') {
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

  /** Promise interop: `await g` gives the value or throws the exception; counts as observing the outcome. */
  then<R1 = R, R2 = never>(
    onFulfilled?: ((value: R) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    let p: Promise<R>;
    this.#observed = true;
    if (this.#state === 'dead') {
      p = this.#ok ? Promise.resolve(this.#value as R) : Promise.reject(this.#exception);
    } else {
      p = new Promise<R>((resolve, reject) => {
        this.#addLink((g: Greenlet<any>) => (g.#ok ? resolve(g.#value as R) : reject(g.#exception)), ANY);
      });
    }
    return p.then(onFulfilled, onRejected);
  }

  /** @returns `Greenlet name#id (state)`, for debugging. */
  toString(): string {
    return `Greenlet ${this.name}#${this.id} (${this.#state})`;
  }

  #link(cb: GreenletLink<any>, kind: number): void {
    if (typeof cb !== 'function') {
      throw new TypeError(`Expected \`cb\` to be a function, got \`${String(cb)}\` (${typeof cb})`);
    }
    if (kind === ANY || kind === EXCEPTION) this.#observed = true;
    if (this.#state !== 'dead') {
      this.#addLink(cb, kind);
      return;
    }
    queueMicrotask(() => this.#notify(cb, kind));
  }

  /** Register a death notifier; the first one is stored without an array (most greenlets have one). */
  #addLink(cb: GreenletLink<any>, kind: number): void {
    const links = this.#links;
    if (links === null) {
      this.#links = cb;
      this.#flags = (this.#flags & ~LINK_KIND_MASK) | (kind << LINK_KIND_SHIFT);
    } else if (typeof links === 'function') {
      this.#links = [links, (this.#flags & LINK_KIND_MASK) >> LINK_KIND_SHIFT, cb, kind];
    } else {
      links.push(cb, kind);
    }
  }

  #notify(cb: GreenletLink<any>, kind: number): void {
    if ((kind === VALUE && !this.#ok) || (kind === EXCEPTION && this.#ok)) return;
    try {
      cb(this);
    } catch (error: unknown) {
      this.#host.reportError(error, this);
    }
  }

  #wait<T>(timeoutMs: number | undefined, outcome: (g: Greenlet<any>) => T, onTimeout: unknown, kind: number): Deferred<T> {
    if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
      const d = new Deferred<T>();
      d.errback(new TypeError(`Expected \`timeoutMs\` to be a number >= 0, got \`${String(timeoutMs)}\` (${typeof timeoutMs})`));
      return d;
    }
    if (kind !== INTERNAL) this.#observed = true;
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
    if (this.#state === 'dead') {
      const fired = new Deferred<T>();
      try {
        fired.callback(outcome(this));
      } catch (error: unknown) {
        fired.errback(error);
      }
      return fired;
    }
    const drop = (): void => {
      if (timer !== null) timer.cancel();
      this.unlink(notify);
    };
    // A hub wait: an async greenlet waiting on it resumes in its turn and stays killable meanwhile.
    const d: Deferred<T> = this.#host.newWait<T>(drop, drop, this);
    this.#addLink(notify, kind);
    if (timeoutMs !== undefined) {
      timer = this.#host.clock.callLater(timeoutMs, () => {
        timer = null;
        this.unlink(notify);
        if (onTimeout === false) d.callback(false as T);
        else d.errback(onTimeout);
      });
    }
    return d;
  }

  #takeKill(): void {
    this.#send = this.#kill;
    this.#throwing = true;
    this.#kill = undefined;
  }

  #abandonWait(): void {
    this.#token++;
    const w = this.#waitingOn;
    this.#waitingOn = null;
    if (w instanceof HubWait) {
      w.abandon();
      if (this.#mode === 'async') this.#waitingOn = w; // the hub still delivers the kill through it
    }
  }

  #park(waitable: unknown): void {
    this.#state = 'parked';
    this.#waitingOn = waitable;
    this.#host.parkedDelta(1);
  }

  #resume(token: number, value: unknown, failed: boolean): void {
    if (token !== this.#token || this.#state !== 'parked') return;
    this.#send = value;
    this.#throwing = failed;
    if (this.#mode !== 'async' && !(this.#waitingOn instanceof HubWait)) this.#waitingOn = null; // a hub wait stays until the step
    this.#host.parkedDelta(-1);
    this.#state = 'ready';
    this.#host.schedule(this);
  }

  #parkAsync(w: HubWait<any>, ready: boolean): void {
    this.#asyncBusy = false;
    const token = ++this.#token;
    this.#waitingOn = w;
    if (this.#kill !== undefined) {
      this.#takeKill();
      ready = true;
    } else if (ready) {
      this.#send = undefined;
      this.#throwing = false;
    }
    if (ready) {
      this.#state = 'ready';
      this.#host.schedule(this);
      return;
    }
    this.#park(w);
    w.addBoth((result: unknown) => {
      this.#resume(token, result, result instanceof Failure);
      return result;
    });
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
    this.#state = 'running';
    const mode = this.#mode;
    if (mode === 'generator') {
      this.#waitingOn = null;
      this.#runGenerator();
      return false;
    }
    if (mode === 'async') return this.#resumeAsync();
    if (mode === 'unstarted') {
      const fn = this.#fn as (...args: any[]) => unknown;
      const args = this.#args!;
      this.#fn = null;
      this.#args = null;
      this.#mode = 'calling';
      let r: unknown;
      try {
        r = fn(...args);
      } catch (error: unknown) {
        this.#finish(false, error, true);
        return false;
      }
      if (isGenerator(r)) {
        this.#mode = 'generator';
        this.#fn = r;
      } else {
        return this.#startAsync(r);
      }
    }
    this.#runGenerator();
    return false;
  }

  #startAsync(r: unknown): boolean {
    const then = thenOf(r);
    if (then === null) {
      this.#finish(true, r, true);
      return false;
    }
    this.#mode = 'async';
    try {
      then.call(
        r,
        (v: unknown) => this.#finish(true, v, true),
        (e: unknown) => this.#finish(false, e, true),
      );
    } catch (error: unknown) {
      this.#finish(false, error, true);
      return false;
    }
    if (this.#state !== 'running') return false; // it reached a hub wait in its first step
    // It awaits something foreign: the hub keeps it current for a few microtasks, in case that settles at once.
    this.#state = 'foreign';
    this.#asyncBusy = true;
    return true;
  }

  #resumeAsync(): boolean {
    const w = this.#waitingOn as HubWait<any> | null;
    this.#waitingOn = null;
    if (w === null) {
      this.#state = 'foreign';
      return false;
    }
    const send = this.#send;
    const failed = this.#throwing;
    this.#send = undefined;
    this.#throwing = false;
    this.#asyncBusy = true;
    this.#state = 'foreign';
    w.deliver(send, failed);
    return true;
  }

  #runGenerator(): void {
    const iter = this.#fn as Generator<unknown, unknown, unknown>;
    let send = this.#send;
    let throwing = (this.#flags & THROWING) !== 0;
    if (send !== undefined) this.#send = undefined;
    if (throwing) this.#flags &= ~THROWING;
    for (;;) {
      let r: IteratorResult<unknown, unknown>;
      try {
        r = throwing ? iter.throw(send) : iter.next(send);
      } catch (error: unknown) {
        this.#finish(false, error, true);
        return;
      }
      if (r.done === true) {
        this.#finish(true, r.value, true);
        return;
      }
      if (this.#rare !== null && this.#rare.kill !== undefined) {
        send = this.#rare.kill; // killed from inside its own step: thrown in at this switch point
        this.#rare.kill = undefined;
        throwing = true;
        continue;
      }
      const y = r.value;
      if (y === undefined || (this.#rare !== null && y === this.#rare.coop && y !== null)) {
        this.#state = 'ready';
        this.#host.schedule(this);
        return;
      }
      throwing = false;
      if (typeof y !== 'object' && typeof y !== 'function') {
        send = y; // not waitable: sent straight back
        continue;
      }
      if (y instanceof Greenlet) {
        if (y.#state === 'dead') {
          throwing = !y.#ok;
          send = throwing ? y.#exception : y.#value;
          continue;
        }
        const token = ++this.#token;
        y.#addLink((g: Greenlet<any>) => this.#resume(token, g.#ok ? g.#value : g.#exception, !g.#ok), ANY);
        this.#park(y);
        return;
      }
      if (y instanceof Deferred) {
        const token = ++this.#token;
        let sync = true;
        let syncResult: unknown = undefined;
        let got = false;
        y.addBoth((result: unknown) => {
          const failed = result instanceof Failure;
          if (failed) void y.then(undefined, noop); // parking observes: the failure counts as handled
          if (sync) {
            got = true;
            syncResult = result;
          } else {
            this.#resume(token, failed ? result.value : result, failed);
          }
          return result;
        });
        sync = false;
        if (got) {
          throwing = syncResult instanceof Failure;
          send = throwing ? (syncResult as Failure).value : syncResult;
          continue;
        }
        this.#park(y);
        return;
      }
      const then = thenOf(y);
      if (then === null) {
        send = y;
        continue;
      }
      const token = ++this.#token;
      this.#park(y);
      try {
        then.call(
          y,
          (v: unknown) => this.#resume(token, v, false),
          (e: unknown) => this.#resume(token, e, true),
        );
      } catch (error: unknown) {
        this.#resume(token, error, true);
      }
      return;
    }
  }

  /** Death: record the outcome, release references, notify links in registration order, report if unobserved. */
  #finish(ok: boolean, result: unknown, report: boolean): void {
    if (this.#state === 'dead') return;
    if (this.#state === 'parked') this.#host.parkedDelta(-1);
    if (!ok && isGreenletExit(result)) ok = true;
    this.#state = 'dead';
    this.#mode = 'finished';
    this.#asyncBusy = false;
    this.#ok = ok;
    this.#result = result;
    this.#fn = null;
    this.#args = null;
    this.#waitingOn = null;
    this.#send = undefined;
    this.#kill = undefined;
    const coop = this.#coop;
    this.#coop = null;
    if (coop !== null) coop.callback(undefined);
    this.#host.died(this);
    let links = this.#links;
    this.#links = null;
    if (typeof links === 'function') links = [links, (this.#flags & LINK_KIND_MASK) >> LINK_KIND_SHIFT];
    let observed = false;
    if (links !== null) {
      for (let i = 0; i < links.length; i += 2) {
        const kind = links[i + 1] as number;
        if (kind === ANY || kind === EXCEPTION) observed = true;
        this.#notify(links[i] as GreenletLink<any>, kind);
      }
    }
    if (!ok && report && !observed) this.#host.reportError(result, this);
  }
}

function succeed(): Deferred<void> {
  const d = new Deferred<void>();
  d.callback(undefined);
  return d;
}
