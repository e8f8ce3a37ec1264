/**
 * `Hub`: the green scheduler — runs greenlets round-robin in wall-time slices on the event loop.
 *
 * Run-loop invariants (read before changing `#drain`):
 * - FIFO: the ready queue is one FIFO. A spawned greenlet is appended; a greenlet that switches (bare `yield`,
 *   `cooperate()`) is appended behind every greenlet already ready; a parked greenlet is appended when its wait
 *   settles. Greenlets spawned together therefore start in spawn order, and two switching greenlets alternate.
 * - A "switch" is the hub taking the next ready greenlet off the queue and running one step of it: from where it
 *   resumed to its next switch point (for a generator, the next `yield` of something not already settled; for an
 *   async greenlet, the next hub wait; a plain function is one step). Steps are counted, timed and attributed here.
 * - Lazy calls: the queue also holds `GreenletCall`s (greenlet-call.ts), calls of a plain function that have no
 *   Greenlet yet. Each is one step (`#runCall`), counted, timed and attributed like a greenlet's; one given its
 *   greenlet while queued stays in its place in the queue and runs as that greenlet.
 * - No re-entry: `#drain` sets `#draining`; a nested call (`flush()` from a step or a listener, a pass firing during
 *   `flush()`) returns at once, and anything scheduled meanwhile is picked up by the running loop.
 * - Slices: a pass (started with the `nextTurn` option: `setImmediate`) runs steps until `sliceMs` of `now` has
 *   passed, then schedules the next pass only if work is left. An idle hub schedules nothing and holds no handle.
 * - Async resumptions: an async greenlet continues on a microtask, so the drain suspends itself (`#asyncRunning`)
 *   and `#asyncHop` continues the same slice once the greenlet awaits its next hub wait (or after a few
 *   microtasks, when it awaits something foreign instead: the step's time is then no longer attributed, but the
 *   greenlet stays owned — see below).
 * - Ownership of async greenlets: every function that may be async (any greenlet function but a generator function)
 *   is first called under the hub's greenlet identity (`#identity`, a {@link GreenletIdentity}: V8 promise hooks),
 *   so each Promise continuation of it — after any number of foreign awaits — is known as that greenlet's.
 *   `getCurrent()` and every hub wait consult `#current` (set only during synchronous steps) and then the identity;
 *   a wait this hub makes for no greenlet of its own is made by another hub whose greenlet runs (`identityHubs`).
 *   The identity's hooks cost every Promise in the process a call, so they are on only while tracked greenlets are
 *   alive (`#tracked`) and off at the end of the first pass with none left (a greenlet dying inside a pass, its
 *   async step included, leaves them on until the pass ends). Steps run with no identity current.
 * - Context: each greenlet remembers its spawner's async context (`captureContext`, shared between spawns in one
 *   unchanged context) and the drain runs every step inside it; consecutive greenlets of the same context run in
 *   one scope, so a switch pays one comparison, not a scope change.
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import { Deferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
import { isGenerator } from '../deferred/is-generator.js';
import { isThenable } from '../is-thenable.js';
import { describeValue } from '../describe-value.js';
import { armUserCodeGate, disarmUserCodeGate, passUserCodeGate } from '../deferred/user-code-gate.js';
import { QueueFullError } from '../errors.js';
import { isTask, type Task } from '../task/task.js';
import { functionName } from '../function-name.js';
import { byLabel, type TaskFigures } from '../task/task-labels.js';
import { captureContext, runInContext, type AsyncContext } from '../time/async-context.js';
import type { Scheduler } from '../time/scheduler.js';
import { Greenlet, greenletControl as control, newGreenletId } from './greenlet.js';
import { GreenletCall } from './greenlet-call.js';
import type { GreenletHost } from './greenlet-host.js';
import { GreenletIdentity } from './greenlet-identity.js';
import type { HubControl } from './hub-control.js';
import { resolveHubOptions, type HubOptions, type ResolvedHubOptions } from './hub-options.js';
import { epochMovesOnSoon, HubWait, moveEpochOn } from './hub-wait.js';
import { ReadyQueue } from './ready-queue.js';
import { SpawnSite } from './spawn-site.js';
import { StepStats, type TaskStepStats } from './step-stats.js';
import { StepTimer } from './step-timer.js';
import { taskGreenletFunction } from './task-greenlet-function.js';

/** Counters and step-time figures of a hub; see {@link Hub.stats}. */
export interface HubStats {
  /** Greenlets spawned (including refused ones). */
  spawned: number;
  /** Greenlets alive (spawned and not dead). */
  live: number;
  /** Greenlets on the ready queue. */
  ready: number;
  /** Greenlets waiting on something (a Deferred, Promise, Greenlet, sleep). */
  parked: number;
  /** Steps run (each a switch into a greenlet). */
  switches: number;
  /** Steps longer than `blockingThresholdMs`. */
  blockedSteps: number;
  /**
   * Deaths whose links' callbacks (a `deferToGreenlet` Deferred's `addCallback` chain, waiters) ran longer than
   * `blockingThresholdMs`: they froze the loop, but they are not the greenlet's step (see `'blockedCallbacks'`).
   */
  blockedCallbacks: number;
  /** Passes started on the event loop (each at most `sliceMs` long). */
  slices: number;
  /** Step times per task: under its name, with its module in brackets where two tasks share the name. */
  tasks: Record<string, TaskStepStats>;
}

/** The payload of the hub's `'blocked'` event. */
export interface BlockedEvent {
  /** The greenlet whose step was too long. */
  greenlet: Greenlet<unknown>;
  /** Its task name. */
  task: string;
  /** Which task: a Task's `id` (`moduleUrl#exportName`; two modules may export tasks of one name), a function's name. */
  taskId: string;
  /** The step's wall time in ms. */
  ms: number;
}

/**
 * The payload of the hub's `'blockedCallbacks'` event: a greenlet's death ran callbacks (its links, the Deferred
 * `deferToGreenlet` made and the caller's chain on it) for longer than `blockingThresholdMs`. No task is named: the
 * time is the callbacks', not the greenlet's task's, and `auto` must not learn from it.
 */
export interface BlockedCallbacksEvent {
  /** The greenlet whose death fired the callbacks. */
  greenlet: Greenlet<unknown>;
  /** How long the callbacks ran, in ms. */
  ms: number;
}

/** A function a greenlet can run: generator, async or plain. */
export type GreenletFunction<A extends unknown[], R> =
  | ((...args: A) => Generator<unknown, R, any>)
  | ((...args: A) => PromiseLike<R>)
  | ((...args: A) => R);

/** The settled result of a greenlet function. */
export type GreenletResult<F> = F extends (...args: any[]) => Generator<unknown, infer R, any>
  ? R
  : F extends (...args: any[]) => infer R
    ? Awaited<R>
    : F extends Task<any, infer R>
      ? R
      : never;

/** Shared by every greenlet spawned without arguments, so none keeps its own empty array alive. */
const noArgs: unknown[] = [];

/** How many microtasks the hub waits for an async greenlet to reach its next hub wait before moving on. */
const asyncHopLimit = 4;

// What a batch of steps in one context ended with (see #drain).
const BATCH_CONTEXT = 0; // the queue is empty, or the next greenlet has another context
const BATCH_LIMIT = 1; // the budget or maxSteps is used up
const BATCH_ASYNC = 2; // an async resumption was handed over: the drain suspends

let hubControlImpl!: HubControl;

/**
 * Hubs whose greenlet identity is on (async greenlets of theirs may be running): a wait one hub makes is for the
 * greenlet another of them runs now, if it finds none of its own (see `Hub.#newWait`).
 */
const identityHubs = new Set<Hub>();

/** What the run queue holds: greenlets, and lazy calls (greenlet-call.ts) that have no greenlet yet. */
type Runnable = Greenlet<any> | GreenletCall<any>;

/**
 * Runs greenlets cooperatively on the event loop, in slices of wall time.
 *
 * Why: blocking-ish work written as generators or async functions with switch points can share the loop with I/O;
 * the hub yields to the loop whenever a slice is used up, so timers and sockets keep being served. Events:
 * `'blocked'` ({@link BlockedEvent}) for a step longer than `blockingThresholdMs` (the greenlet's own code, not what
 * its death notified), `'blockedCallbacks'` ({@link BlockedCallbacksEvent}) for a death whose links' callbacks ran
 * longer than that, `'error'` `(error, greenlet)` for an exception nobody observed (default: `console.error`).
 *
 * @example
 * ```ts
 * const hub = new Hub({ sliceMs: 4 });
 * const g = hub.spawn(function* () { let s = 0; for (let i = 0; i < 1e6; i++) { s += i; if (i % 1000 === 0) yield; } return s; });
 * console.log(await g);
 * ```
 */
export class Hub extends EventEmitter {
  /** The options in force, defaults filled in. */
  readonly options: Readonly<ResolvedHubOptions>;
  readonly #clock: Scheduler;
  readonly #now: () => number;
  readonly #ready = new ReadyQueue<Runnable>();
  #outside: Array<Deferred<void>> = []; // cooperate() calls from outside any greenlet: fired at the next pass
  #current: Runnable | null = null; // the greenlet (or lazy call) of the synchronous step running now
  #draining = false;
  #passScheduled = false;
  #sliceEnd = 0;
  #end = 0; // the current drain's budget end
  #steps = 0; // steps of the current drain
  #maxSteps = 0;
  #stepStart = 0;
  #asyncRunning: Greenlet<any> | null = null;
  #asyncHops = 0;
  readonly #identity = new GreenletIdentity<Runnable>((on) => void (on ? identityHubs.add(this) : identityHubs.delete(this)));
  #tracked = 0; // greenlets alive whose code runs under #identity
  #refuse: (() => unknown) | null = null; // set by a stopped reactor: spawns are refused with this error
  #spawned = 0;
  #live = 0;
  #parked = 0;
  #switches = 0;
  #blockedSteps = 0;
  #blockedCallbacks = 0;
  #slices = 0;
  readonly #taskStats = new Map<string, StepStats>(); // by task id; written by #timer only (step-stats.ts: the contract)
  #liveHead: Greenlet<any> | null = null;
  // The last function spawned and the last one #isPlain was asked about: forgotten at every death (#forgetFunctions).
  #lastFn: unknown = null;
  #lastFnName = '';
  #plainFn: unknown = null; // the last function #isPlain was asked about, and its answer
  #plainFnIs = false;
  readonly #maxGreenlets: number;
  #lastSite: SpawnSite | null = null; // shared by a run of spawns of one task in one context (#siteFor)
  readonly #host: GreenletHost;
  readonly #timer: StepTimer;
  #dying: Runnable | null = null; // died in the step running now; its links have run only library code so far

  /** The user-code gate's hook while a greenlet's links run: its step ends now (one clock read). */
  readonly #endDyingStep = (): void => {
    const g = this.#dying!;
    this.#dying = null;
    this.#timer.died(g, g instanceof Greenlet ? control.stats(g) : g.stats);
  };

  static {
    hubControlImpl = {
      spawnPending: (hub, fn, args) => hub.#create(fn, args),
      spawnCall: (hub, fn, args) => hub.#createCall(fn, args),
      liveGreenlets: (hub) => {
        // Lazy calls alive (queued, or the one running now) get their greenlets first, so every one is listed.
        const queue = hub.#ready;
        for (let k = 0; k < queue.size; k++) {
          const item = queue.at(k);
          if (item instanceof GreenletCall && item.queued) hub.#materialize(item);
        }
        const current = hub.#current;
        if (current instanceof GreenletCall && current.running) hub.#materialize(current);
        const list: Array<Greenlet<unknown>> = [];
        for (let g = hub.#liveHead; g !== null; g = control.liveNext(g)) list.push(g);
        return list;
      },
      refuseSpawns: (hub, error) => {
        hub.#refuse = error;
      },
      report: (hub, error, g) => hub.#reportError(error, g),
      newWait: (hub, canceller, onAbandon) => hub.#newWait(canceller, onAbandon),
    };
  }

  /**
   * @param options - slice length, blocking threshold, capacity, clock, wall time, next turn; see {@link HubOptions}.
   * @throws TypeError when an option is malformed.
   */
  constructor(options: HubOptions = {}) {
    super();
    this.options = Object.freeze(resolveHubOptions(options));
    this.#clock = this.options.clock;
    this.#now = this.options.now;
    this.#maxGreenlets = this.options.maxGreenlets;
    this.#timer = new StepTimer(
      this.options.blockingThresholdMs,
      this.#now,
      (g, stats, ms) => {
        this.#blockedSteps++;
        const greenlet = this.#greenletOf(g as Runnable);
        this.#emitBlocked('blocked', { greenlet, task: stats.name, taskId: stats.id, ms } satisfies BlockedEvent);
      },
      (g, ms) => {
        this.#blockedCallbacks++;
        this.#emitBlocked('blockedCallbacks', { greenlet: this.#greenletOf(g as Runnable), ms } satisfies BlockedCallbacksEvent);
      },
    );
    this.#host = {
      clock: this.#clock,
      requeue: (g) => {
        this.#ready.push(g); // from a step: the pass running it goes on, none to schedule
      },
      schedule: (g) => {
        this.#ready.push(g);
        if (!this.#draining && !this.#passScheduled && this.#asyncRunning === null) this.#schedulePass();
      },
      parkedDelta: (delta) => {
        this.#parked += delta;
      },
      died: (g, tracked, notifies) => {
        // Died in its own synchronous step with links to run: the step ends where they first run code that is not
        // the library's (user-code-gate.ts), and what runs from there is timed apart.
        if (notifies && g === this.#current) {
          this.#dying = g;
          armUserCodeGate(this.#endDyingStep);
        }
        this.#live--;
        this.#forgetFunctions();
        this.#liveHead = control.liveRemove(g, this.#liveHead);
        // Its step ended the drain's suspension: the drain goes on (#asyncHop) and turns the identity off at its end.
        const inPass = this.#draining || g === this.#asyncRunning;
        if (g === this.#asyncRunning) this.#asyncDone(g);
        // The last async greenlet ended on its own (not in a pass): turn the identity off now, not at some later pass.
        // In a pass it stays on until the pass ends, so a run of async greenlets that finish within their first step
        // switches Node's promise hooks on and off once, not once per greenlet.
        if (tracked && --this.#tracked === 0 && !inPass) this.#releaseIdentity();
      },
      callTracked: (g, fn, args) => {
        this.#tracked++;
        return this.#identity.run(g, fn, args);
      },
      reportError: (error, g) => this.#reportError(error, g),
      newWait: (canceller, onAbandon) => this.#newWait(canceller, onAbandon),
      inGreenlet: () => this.#caller() !== null || this.#otherRunning() !== null,
      materialize: (call) => this.#materialize(call),
      dropCall: () => {
        this.#live--;
        this.#forgetFunctions();
      },
    };
  }

  /** The hub's scheduler for sleeps and timeouts. */
  get clock(): Scheduler {
    return this.#clock;
  }

  /**
   * Start `fn(...args)` as a greenlet on the hub's next pass (after the caller yields), in the caller's async context.
   *
   * @param fn - a generator, async or plain function, or a Task (its function runs in-process).
   * @param args - its arguments.
   * @returns the greenlet; already dead with `QueueFullError` past `maxGreenlets` (with `ReactorStoppedError` once
   *   its reactor stopped).
   * @throws TypeError when `fn` is neither a function nor a Task.
   */
  spawn<A extends unknown[], R>(fn: GreenletFunction<A, R> | Task<A, R>, ...args: A): Greenlet<R>;
  // The arguments are read from `arguments`, not a rest parameter: a rest parameter is a new array on every call,
  // empty or not (32 bytes a spawn, kept until the first step), and most spawns pass none (`noArgs` is shared).
  spawn<R>(fn: GreenletFunction<unknown[], R> | Task<unknown[], R>): Greenlet<R> {
    const n = arguments.length - 1;
    let args = noArgs;
    if (n > 0) {
      args = new Array<unknown>(n);
      // eslint-disable-next-line prefer-rest-params -- see above: no array is made for a spawn without arguments
      for (let k = 0; k < n; k++) args[k] = arguments[k + 1];
    }
    const g = this.#create(fn, args);
    control.start(g);
    return g;
  }

  /**
   * Like {@link Hub.spawn}, started after `ms` of clock time; killing it before then means it never runs.
   *
   * @param ms - the delay.
   * @param fn - the function or Task.
   * @param args - its arguments.
   * @returns the greenlet (not `started` until the timer fires).
   * @throws TypeError for a bad `fn`; RangeError for a negative `ms`.
   */
  spawnLater<A extends unknown[], R>(ms: number, fn: GreenletFunction<A, R> | Task<A, R>, ...args: A): Greenlet<R> {
    if (typeof ms !== 'number' || !(ms >= 0)) {
      throw new RangeError(`Expected \`ms\` to be a number >= 0, got ${describeValue(ms)}`);
    }
    const g = this.#create(fn, args);
    if (!g.dead) control.delay(g, this.#clock.callLater(ms, () => control.start(g)));
    return g;
  }

  /**
   * A switch point that lets other ready greenlets run; it yields to the event loop only when the slice is used up.
   *
   * In a generator greenlet: `yield hub.cooperate()` (same as a bare `yield`). In an async greenlet:
   * `await hub.cooperate()`. Outside any greenlet: fires on the hub's next pass.
   *
   * @returns a Deferred firing `undefined` when the caller's turn comes again.
   */
  cooperate(): Deferred<void> {
    const g = this.#caller();
    if (g !== null) {
      const coop = control.cooperateIn(g);
      if (coop !== null) return coop;
      if (control.acceptsWait(g)) {
        const w = new HubWait<void>(true);
        this.#asyncWait(g, w, true);
        w.onThen((raced) => this.#tookWait(g, w, raced, true));
        return w;
      }
    }
    const d = new Deferred<void>();
    this.#outside.push(d);
    if (!this.#draining && !this.#passScheduled && this.#asyncRunning === null) this.#schedulePass();
    return d;
  }

  /**
   * Wait `ms` of clock time; a switch point in greenlets, an ordinary timer elsewhere.
   *
   * @param ms - how long; `ms <= 0` is {@link Hub.cooperate}.
   * @returns a cancellable Deferred firing `undefined` (cancel → `CancelledError`).
   */
  sleep(ms: number): Deferred<void> {
    if (typeof ms !== 'number' || Number.isNaN(ms)) {
      return fail(new TypeError(`Expected \`ms\` to be a number, got ${describeValue(ms)}`));
    }
    if (ms <= 0) return this.cooperate();
    const stop = (): void => {
      if (timer.active()) timer.cancel();
    };
    const w = this.#newWait<void>(stop, stop);
    const timer = this.#clock.callLater(ms, () => {
      if (!w.called) w.callback(undefined);
    });
    return w;
  }

  /**
   * @returns the greenlet whose code is running: exact in generator and plain greenlets, and everywhere in an async
   *   greenlet's own continuations, after any number of foreign awaits; else null.
   */
  getCurrent(): Greenlet<unknown> | null {
    return this.#caller();
  }

  /**
   * Run ready greenlets now, synchronously, ignoring the slice, until none is ready (for tests, with `Clock.advance`).
   *
   * Async greenlets continue on microtasks, so this stops at an async resumption; `await` the greenlet for those.
   *
   * @param maxSteps - stop after this many steps (a greenlet that switches forever would never empty the queue).
   * @returns the number of steps run; 0 when called from inside the hub's own loop.
   */
  flush(maxSteps = 100_000): number {
    return this.#drain(Number.POSITIVE_INFINITY, maxSteps);
  }

  /** @returns counters and per-task step times; see {@link HubStats}. */
  stats(): HubStats {
    return this.statsLabelledBy(byLabel);
  }

  /**
   * @internal {@link Hub.stats} with the per-task entries made by `label` from the unlabelled figures by id
   * ({@link Hub.taskStatsById}): for a caller that adds figures of its own to a task's before labelling them, as
   * `reactor.stats()` adds stream figures, so each task's percentiles are computed once.
   * @param label - turns the figures by id into the `tasks` record.
   * @returns the stats, `tasks` as `label` made it.
   */
  statsLabelledBy<F>(label: (byId: Map<string, TaskFigures<TaskStepStats>>) => Record<string, F>): Omit<HubStats, 'tasks'> & { tasks: Record<string, F> } {
    const tasks = label(this.taskStatsById());
    return {
      spawned: this.#spawned,
      live: this.#live,
      ready: this.#ready.size,
      parked: this.#parked,
      switches: this.#switches,
      blockedSteps: this.#blockedSteps,
      blockedCallbacks: this.#blockedCallbacks,
      slices: this.#slices,
      tasks,
    };
  }

  /**
   * @internal Every task's step times under its id, unlabelled: for a caller that adds figures of its own to a task's before
   * labelling them (`byLabel`), as `reactor.stats()` adds stream figures.
   * @returns each task's identity and figures, by id.
   */
  taskStatsById(): Map<string, TaskFigures<TaskStepStats>> {
    const byId = new Map<string, TaskFigures<TaskStepStats>>();
    for (const [id, s] of this.#taskStats) byId.set(id, { task: { id, name: s.name }, figures: s.snapshot() });
    return byId;
  }

  /** The greenlet whose code runs now: the synchronous step's, else the async greenlet whose continuation this is. */
  #caller(): Greenlet<any> | null {
    const g = this.#current;
    if (g !== null) return g instanceof Greenlet ? g : this.#greenletOf(g);
    if (this.#tracked === 0) return null;
    const own = this.#identity.get();
    if (own === undefined) return null;
    // A continuation of a lazy call's function: its greenlet (made when the function returned a Promise), if alive.
    const mine = own instanceof Greenlet ? own : own.greenlet;
    return mine === null || mine.dead ? null : mine;
  }

  /** @returns another hub whose greenlet's code is running now (its identity is on: see `identityHubs`), or null. */
  #otherRunning(): Hub | null {
    for (const hub of identityHubs) if (hub !== this && hub.#caller() !== null) return hub;
    return null;
  }

  /** @returns the greenlet of a run-queue item, made now for a lazy call that has none (see greenlet-call.ts). */
  #greenletOf(item: Runnable): Greenlet<any> {
    if (item instanceof Greenlet) return item;
    return item.greenlet ?? this.#materialize(item);
  }

  /**
   * Give lazy call `call` its greenlet, in the state the call is in; a live one joins the live list, and takes over
   * from the call as the current step's greenlet.
   * @returns the greenlet.
   */
  #materialize(call: GreenletCall<any>): Greenlet<any> {
    const g = call.adopt();
    if (!g.dead) this.#liveHead = control.liveInsert(g, this.#liveHead);
    if (this.#current === call) this.#current = g;
    if (this.#dying === call) this.#dying = g;
    return g;
  }

  /**
   * A hub wait; owned by the calling async greenlet (waiting on itself too: see GreenletHost.newWait), which parks on it.
   * The caller may be another hub's greenlet (this hub's `sleep`, a primitive, greenlet or `joinAll` of this hub
   * awaited there): that hub makes the wait, so its greenlet parks on it and a kill reaches it there (SPEC §6.1).
   */
  #newWait<T>(canceller: ((d: Deferred<T>) => void) | undefined, onAbandon: () => void): HubWait<T> {
    const g = this.#caller();
    if (g === null && identityHubs.size > 0) {
      const other = this.#otherRunning();
      if (other !== null) return other.#newWait(canceller, onAbandon);
    }
    const owned = g !== null && control.acceptsWait(g);
    const w = new HubWait<T>(owned, canceller);
    w.onAbandon(onAbandon);
    if (owned) {
      this.#asyncWait(g, w, false); // parked until its first `then` shows it was raced rather than awaited
      w.onThen((raced) => this.#tookWait(g, w, raced, false));
    }
    return w;
  }

  /**
   * The first `then` on hub wait `w` of async greenlet `g` (hub-wait.ts): it is `g`'s switch point only when `g`'s
   * own code awaits it; a `then` in the run that made it, or from other code (another greenlet awaiting a wait
   * handed to it, code outside any greenlet), leaves `w` an ordinary Deferred and `g` running. `ready`: `w` is a
   * `cooperate()`, which fires at once when other code takes it (its maker's turn is not theirs to wait for).
   * @returns true when it is `g`'s own await.
   */
  #tookWait(g: Greenlet<any>, w: HubWait<any>, raced: boolean, ready: boolean): boolean {
    const mine = !raced && this.#caller() === g;
    const own = control.tookWait(g, w, mine ? 'awaited' : raced ? 'raced' : 'taken', ready) && mine;
    if (!own && !raced && ready && !w.called) w.callback(undefined);
    return own;
  }

  /**
   * A greenlet (or lazy call) died: forget the functions `#nameOf` and `#isPlain` remember. Each is the last one
   * spawned or asked about; held past the death of its last greenlet, it kept that greenlet's closure (what it
   * captured: a large object, a Deferred) reachable until another function was spawned, for as long as the hub lived.
   * Forgotten at any death, a cached function is one a live greenlet holds anyway (no death since its spawn), and a
   * run of spawns of one function with no death between them (a loop of `spawn`, a batch of lazy calls) still skips
   * the lookups.
   */
  #forgetFunctions(): void {
    this.#lastFn = null;
    this.#plainFn = null;
  }

  /** @returns the task name of function `fn`. */
  #nameOf(fn: (...args: any[]) => unknown): string {
    if (fn === this.#lastFn) return this.#lastFnName; // spawning the same function again: skip the native name lookup
    // Read once: a native getter, paid on every spawn of a fresh closure (a new function each time).
    const name = functionName(fn, '<anonymous>'); // a function: targetName's Task test is not needed here
    this.#lastFn = fn;
    this.#lastFnName = name;
    return name;
  }

  /**
   * @returns true when `fn` is a plain function: only such a function may finish in its one call (a generator or
   *   async function never does). Remembered for the last function asked about, so a run of lazy calls of one
   *   function skips the native prototype lookup. Only a hint: a lazy call whose function returns a generator or a
   *   Promise gets its greenlet then, so a stale answer (a prototype changed after the first call) costs a greenlet,
   *   never a semantic.
   */
  #isPlain(fn: (...args: any[]) => unknown): boolean {
    if (fn !== this.#plainFn) {
      this.#plainFn = fn;
      this.#plainFnIs = Object.getPrototypeOf(fn) === Function.prototype;
    }
    return this.#plainFnIs;
  }

  /** Spawn a plain function as a lazy call (see {@link HubControl.spawnCall}). @returns it, or null. */
  #createCall<R>(fn: GreenletFunction<any[], R> | Task<any[], R>, args: unknown[]): GreenletCall<R> | null {
    let run: (...args: any[]) => unknown;
    let name: string;
    let id: string; // as in #create
    if (typeof fn === 'function') {
      run = fn as (...args: any[]) => unknown;
      name = this.#nameOf(run);
      id = name;
    } else if (isTask(fn) && fn.fn !== undefined) {
      run = fn.fn as (...args: any[]) => unknown; // a Task whose function is at hand (not loaded lazily)
      name = fn.name;
      id = fn.id;
    } else {
      return null;
    }
    if (!this.#isPlain(run)) return null;
    if (this.#refuse !== null || this.#live >= this.#maxGreenlets) return null; // refused the ordinary way
    this.#spawned++;
    const call = new GreenletCall<R>(null, this.#siteFor(name, id, captureContext()), run, args.length === 0 ? noArgs : args, newGreenletId());
    this.#live++;
    this.#ready.push(call);
    if (!this.#draining && !this.#passScheduled && this.#asyncRunning === null) this.#schedulePass();
    return call;
  }

  #create<A extends unknown[], R>(fn: GreenletFunction<A, R> | Task<A, R>, args: A): Greenlet<R> {
    let run: (...args: any[]) => unknown;
    let name: string;
    let id: string; // what the task's step statistics are kept by: two Tasks of one name from two modules are two
    if (typeof fn === 'function') {
      run = fn as (...args: any[]) => unknown;
      name = this.#nameOf(run);
      id = name;
    } else if (isTask(fn)) {
      run = taskGreenletFunction(fn);
      name = fn.name;
      id = fn.id;
    } else {
      throw new TypeError(`Expected \`fn\` to be a function or a Task, got ${describeValue(fn)}`);
    }
    this.#spawned++;
    // The spawner's context (the greenlet identity is not part of it: a child is not its parent).
    const g = new Greenlet<R>(this.#siteFor(name, id, captureContext()), run, args.length === 0 ? noArgs : args);
    const full = this.#live >= this.#maxGreenlets;
    // A refused greenlet is counted too, for the instant until it dies: its death (`host.died`) uncounts it.
    this.#live++;
    this.#liveHead = control.liveInsert(g, this.#liveHead);
    if (this.#refuse !== null) control.refuse(g, this.#refuse());
    else if (full) control.refuse(g, new QueueFullError(`The hub already runs maxGreenlets (${this.options.maxGreenlets}) greenlets`));
    return g;
  }

  /** An async greenlet awaits a hub wait: its step ends here. */
  #asyncWait(g: Greenlet<any>, w: HubWait<any>, ready: boolean): void {
    if (g === this.#asyncRunning) this.#asyncDone(g);
    control.awaitWait(g, w, ready);
  }

  /** The async step of `g` ended (hub wait, death or gave up): time it and let the drain continue. */
  #asyncDone(g: Greenlet<any>): void {
    this.#asyncRunning = null;
    this.#timer.timed(g, control.stats(g), this.#stepStart);
  }

  readonly #asyncHop = (): void => {
    moveEpochOn(); // a hub wait made before this hop was queued, or since: a `then` from here on is an `await`
    const g = this.#asyncRunning;
    if (g !== null) {
      if (control.busy(g) && this.#asyncHops++ < asyncHopLimit) {
        this.#queueHop();
        return;
      }
      this.#asyncDone(g); // it awaits something foreign: it runs on, owned, but its time is no longer attributed
    }
    const now = this.#now(); // one read: the budget left, and the start of the steps that follow
    const budget = this.#sliceEnd - now;
    if (budget > 0) this.#drain(budget, Number.POSITIVE_INFINITY, now);
    else if (this.#ready.size > 0 || this.#outside.length > 0) {
      if (!this.#passScheduled) this.#schedulePass();
    } else {
      this.#releaseIdentity();
    }
  };

  readonly #pass = (): void => {
    this.#passScheduled = false;
    if ((this.#ready.size === 0 && this.#outside.length === 0) || this.#asyncRunning !== null) return;
    this.#slices++;
    this.#drain(this.options.sliceMs, Number.POSITIVE_INFINITY);
  };

  #schedulePass(): void {
    this.#passScheduled = true;
    this.options.nextTurn(this.#pass);
  }

  /**
   * The run loop; see the invariants at the top of the file.
   * @param now - the clock, when the caller has just read it.
   * @returns steps run.
   */
  #drain(budgetMs: number, maxSteps: number, now?: number): number {
    if (this.#draining || this.#asyncRunning !== null) return 0;
    this.#draining = true;
    const queue = this.#ready;
    this.#steps = 0;
    this.#maxSteps = maxSteps;
    const start = this.#timer.start(now);
    this.#end = start + budgetMs;
    this.#sliceEnd = Math.min(this.#end, start + this.options.sliceMs); // an async continuation gets at most a slice
    let ended = BATCH_CONTEXT;
    // Steps run as nobody's continuation (a flush() from an async greenlet's code must not lend it to the steps).
    const outer = this.#identity.enter(undefined);
    try {
      if (this.#outside.length > 0) this.#fireOutside();
      while (ended === BATCH_CONTEXT && queue.size > 0) {
        const context = this.#runnable(queue.peek()!);
        if (context === null) {
          queue.shift(); // killed before it ran
          continue;
        }
        ended = runInContext(context, this.#runBatch);
      }
    } finally {
      this.#identity.restore(outer);
      this.#switches += this.#steps;
      this.#draining = false;
      this.#current = null;
    }
    if (ended === BATCH_ASYNC) return this.#steps;
    if (queue.size > 0 || this.#outside.length > 0) {
      if (!this.#passScheduled) this.#schedulePass();
    } else {
      this.#releaseIdentity();
    }
    return this.#steps;
  }

  /** Run queued greenlets while they share the context of the first one (the drain entered it). @returns why it ended. */
  readonly #runBatch = (): number => {
    const queue = this.#ready;
    const timer = this.#timer;
    const context = this.#runnable(queue.peek()!);
    for (;;) {
      const item = queue.peek();
      if (item === undefined) return BATCH_CONTEXT;
      // #runnable's test, spelled out here because the step needs the greenlet it finds too: calling #runnable and
      // then telling a greenlet from a lazy call again made the switch row 1.04-1.05x as long (1,000 generators x
      // 100 yields by flush(), 200 rotating rounds beside an A/A copy, load 3.3-4.7). Keep the two in step.
      let g: Greenlet<any> | null; // null: a lazy call with no greenlet, run as a call
      let itemContext: AsyncContext | null;
      if (item instanceof Greenlet) {
        g = item;
        itemContext = control.queuedContext(item);
      } else {
        g = item.greenlet; // made while queued: the queue entry stands for it
        itemContext = g === null ? item.queuedContext() : control.queuedContext(g);
      }
      if (itemContext === null) {
        queue.shift(); // killed or cancelled before it ran
        continue;
      }
      if (itemContext !== context) return BATCH_CONTEXT;
      queue.shift();
      let stats: StepStats;
      let handedOver: boolean;
      if (g !== null) {
        stats = control.stats(g);
        this.#current = g;
        handedOver = control.step(g);
      } else {
        const call = item as GreenletCall<any>;
        stats = call.stats;
        this.#current = call;
        handedOver = this.#runCall(call);
      }
      this.#current = null;
      if (this.#dying !== null) {
        this.#dying = null; // its links ran only library code: all of it is the step's
        disarmUserCodeGate(this.#endDyingStep);
      }
      this.#steps++;
      if (handedOver && this.#suspendForAsync(g ?? this.#greenletOf(item))) return BATCH_ASYNC;
      const now = timer.after(g ?? item, stats); // one clock read per step: every blocking step is seen
      if (this.#steps >= this.#maxSteps || now >= this.#end) return BATCH_LIMIT;
    }
  };

  /**
   * @returns the context to run a run-queue item in, or null when it is no longer queued (killed, cancelled).
   *   `#runBatch` has its own copy of this test (see there).
   */
  #runnable(item: Runnable): AsyncContext | null {
    if (!(item instanceof Greenlet)) {
      const g = item.greenlet;
      if (g === null) return item.queuedContext();
      item = g;
    }
    return control.queuedContext(item);
  }

  /**
   * The one step of a lazy call: call its function under the identity (it may be async). A value ends the call
   * here, with no greenlet; a Promise or a generator makes its greenlet, which goes on as its first step would.
   * @returns true when an async resumption was handed over (it runs on).
   */
  #runCall(call: GreenletCall<any>): boolean {
    this.#tracked++;
    let r: unknown;
    let threw = false;
    try {
      r = call.callUnder(this.#identity);
    } catch (error: unknown) {
      r = error;
      threw = true;
    }
    let g = call.greenlet; // made while it ran (getCurrent(), a hub wait, a cancel)
    if (g === null) {
      // A primitive is neither a thenable nor a generator (and has no getter of its own to throw): it ends the call.
      let ended = threw || (typeof r !== 'object' && typeof r !== 'function') || r === null;
      if (!ended) {
        try {
          ended = !isThenable(r) && !isGenerator(r);
        } catch (error: unknown) {
          // A `then`, `next` or `throw` getter of what it returned threw (user code): the call fails with that, as
          // a Promise resolved with such a value rejects with it.
          r = error;
          threw = true;
          ended = true;
        }
      }
      if (ended) {
        // Dead in its one step, as host.died does for a greenlet: its Deferred's callbacks are not its step.
        this.#live--;
        this.#forgetFunctions();
        this.#tracked--; // calls run only in a pass, which turns the identity off at its end if none is left
        this.#dying = call;
        armUserCodeGate(this.#endDyingStep);
        call.settle(!threw, r);
        return false;
      }
      g = this.#materialize(call);
    }
    return control.called(g, r, threw);
  }

  /** Fire the Deferreds of cooperate() calls made outside any greenlet (kept off the hot loop). */
  #fireOutside(): void {
    const outside = this.#outside;
    this.#outside = [];
    for (const d of outside) d.callback(undefined);
  }

  /**
   * After an async greenlet's resumption was handed over: suspend the drain until it awaits its next hub wait.
   * @returns true when the drain must stop here (#asyncHop resumes it).
   */
  #suspendForAsync(item: Greenlet<any>): boolean {
    if (item.dead || !control.busy(item)) return false;
    this.#stepStart = this.#timer.mark(); // the async step is timed from its resumption
    this.#asyncRunning = item;
    this.#asyncHops = 0;
    this.#queueHop();
    return true;
  }

  /**
   * Queue the next hop; it also moves hub waits' epoch on (hub-wait.ts), so a wait the resumed greenlet makes before
   * it runs needs no microtask of its own: one microtask per resume instead of two.
   */
  #queueHop(): void {
    queueMicrotask(this.#asyncHop);
    epochMovesOnSoon();
  }

  /** With no tracked greenlet left, turn the identity (and Node 20's promise hooks with it) off until needed. */
  #releaseIdentity(): void {
    if (this.#tracked === 0) this.#identity.disable();
  }

  /**
   * The spawn site of a greenlet of task `id` (named `name`) spawned in `context`: the last one while both stay the
   * same (a run of spawns of one task from one place shares one site and skips the Map), else a new one; a task's
   * step statistics are made on its first greenlet.
   */
  #siteFor(name: string, id: string, context: AsyncContext): SpawnSite {
    const last = this.#lastSite;
    if (last !== null && id === last.stats.id && context === last.context) return last;
    let s = this.#taskStats.get(id);
    if (s === undefined) {
      s = new StepStats(name, id);
      this.#taskStats.set(id, s);
    }
    const site = new SpawnSite(this.#host, s, context);
    this.#lastSite = site;
    return site;
  }

  /** Emit a blocking report; a listener that throws is reported on `'error'`, never thrown into the run loop. */
  #emitBlocked(event: 'blocked' | 'blockedCallbacks', payload: BlockedEvent | BlockedCallbacksEvent): void {
    try {
      this.emit(event, payload);
    } catch (error: unknown) {
      this.#reportError(error, payload.greenlet);
    }
  }

  #reportError(error: unknown, g: Greenlet<any>): void {
    passUserCodeGate(); // a listener, or console.error, is not the dying greenlet's step
    if (this.listenerCount('error') > 0) {
      try {
        this.emit('error', error, g);
        return;
      } catch (listenerError: unknown) {
        error = listenerError;
      }
    }
    console.error(`Unhandled error in greenlet ${g.name}#${g.id}:`, error);
  }
}

/** @internal The package's handle on hubs' internals: the one implementation of {@link HubControl}. */
export const hubControl: HubControl = hubControlImpl;

/**
 * @internal `hub.spawn(fn, ...args)` for a caller that already holds the arguments in an array of its own (the
 * reactor's `deferToGreenlet` and `dispatch`, whose rest parameter it is): the greenlet keeps that array until its
 * first step, so the call makes no second rest array and no spread. The caller must not change the array afterwards.
 * @param hub - the hub.
 * @param fn - the function or Task.
 * @param args - its arguments.
 * @returns the greenlet, as `hub.spawn` returns it.
 * @throws TypeError when `fn` is neither a function nor a Task.
 */
export function spawnWithArgs<R>(hub: Hub, fn: GreenletFunction<any[], R> | Task<any[], R>, args: unknown[]): Greenlet<R> {
  const g = hubControlImpl.spawnPending(hub, fn, args);
  control.start(g);
  return g;
}

/**
 * @internal A Deferred for a green primitive's waiter (Event.wait, Queue.get, Semaphore.acquire…): a hub wait; see
 * {@link HubControl.newWait}.
 * @param hub - the hub whose greenlets wait.
 * @param canceller - the Deferred's canceller.
 * @param onAbandon - runs when the waiting greenlet is killed (the primitive drops the waiter).
 * @returns the wait.
 */
export function newHubWait<T>(
  hub: Hub,
  canceller: ((d: Deferred<T>) => void) | undefined,
  onAbandon: () => void,
): HubWait<T> {
  return hubControlImpl.newWait(hub, canceller, onAbandon);
}
