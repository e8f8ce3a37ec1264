/**
 * `Reactor`: the facade users call — time, lifecycle and shutdown triggers; the dispatch paths plug in here.
 *
 * HOW TO ADD A PATH (thread, green, policy helpers) — read before editing this class:
 * - Add your methods inside `Reactor`, each a thin facade: validate the input, then delegate to your own
 *   module (`src/threads/`, `src/green/`, `src/policy/`). Keep the logic there, not here.
 * - Dispatch methods return a Deferred and NEVER throw: start with
 *   `const refused = refuseIfStopped<R>(this.#state, 'deferToThread'); if (refused) return refused;`
 *   (`./refuse-if-stopped.ts`: errbacks with `ReactorStoppedError` once `stop()` has begun),
 *   then report bad input by returning a failed Deferred (`TypeError`, `DataCloneError`…), not by throwing.
 * - Create your heavy object (Piscina pool, hub) lazily on first use, never in the constructor: constructing
 *   a Reactor must stay cheap, start no thread and open no handle.
 * - Register your shutdown in the constructor, in the marked place: `this.#shutdown.addComponent(...)` with
 *   a `ReactorComponent` whose `shutdown(graceMs)` does nothing if your object was never created. `stop()`
 *   calls every component after the `before` triggers settled and before the `during` triggers run.
 * - Add your part of `stats()` in the marked place (and its type in `reactor-stats.ts`).
 *
 * Lifecycle: `'idle'` → `run()` → `'running'` → `stop()` → `'stopping'` → `'stopped'` (also `'idle'` →
 * `stop()` directly). Work is accepted in `'idle'` and `'running'` only.
 *
 * @module
 */
import { types } from 'node:util';
import { captureContext, runInContext } from '../time/async-context.js';
import { ReactorStoppedError, TimeoutError } from '../errors.js';
import { readErrorSink } from '../error-sink.js';
import { callDeadline } from '../context/call-deadline.js';
import { captureCarriedContext } from '../context/context-carrier.js';
import { runWithDeadline } from '../context/deadline-scope.js';
import { rememberGreenletDeadline } from '../context/greenlet-deadlines.js';
import { LoopDelayMonitor } from '../policy/loop-delay-monitor.js';
import { keepAlive } from '../time/keep-alive.js';
import type { DelayedCall, Scheduler } from '../time/scheduler.js';
import { validateDelay } from '../time/validate-delay.js';
import { defaultReactorOptions, type ReactorOptions } from './reactor-options.js';
import { readReactorOptions } from './read-reactor-options.js';
import type { ReactorState } from './reactor-state.js';
import type { ReactorStats } from './reactor-stats.js';
import { ShutdownSequence } from './shutdown-sequence.js';
import { blockingCallFromGreenlet } from '../green/blocking-call-from-greenlet.js';
import { callMultiple, checkCalls, type GreenCall } from '../green/call-multiple.js';
import { GreenPool } from '../green/green-pool.js';
import { Greenlet, isGreenlet } from '../green/greenlet.js';
import { callInGreenlet, greenletDeferred, type GreenletDeferredOptions } from '../green/greenlet-deferred.js';
import { Hub, spawnWithArgs, type GreenletFunction } from '../green/hub.js';
import { shutdownHub } from '../green/shutdown-hub.js';
import { waitForDeferred } from '../green/wait-for-deferred.js';
import { badTimeout } from '../green/bad-timeout.js';
import { isThenable } from '../is-thenable.js';
import { isTask } from '../task/task.js';
import { readGraceMs, type StopOptions } from './stop-options.js';
import { SystemEventTriggers, type SystemEvent, type TriggerId, type TriggerPhase } from './system-event-triggers.js';
import type { Deferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
import { refuseIfStopped } from './refuse-if-stopped.js';
import { routesLetGo } from './route-lets-go.js';
import { safeString } from '../safe-string.js';
import { expectScheduler } from '../time/expect-scheduler.js';
import type { Task, TaskArgs, TaskResult } from '../task/task.js';
import type { ExposedFunction } from '../threads/exposed-functions.js';
import { ThreadPool, type ThreadCall } from '../threads/thread-pool.js';
import { fitsInBatch } from '../threads/fits-in-batch.js';
import type { Decision } from '../policy/decision.js';
import type { Policy } from '../policy/policy.js';
import { PolicyDispatcher } from '../policy/policy-dispatcher.js';
import { resolvePolicyOption } from '../policy/resolve-policy-option.js';
import { optionsFromPolicy, type RouteOptions } from './options-from-policy.js';
import { isRemoteBackend, type RemoteBackend } from './remote-backend.js';
import { failedStream, startTaskStream, type StreamTargets } from '../stream/start-task-stream.js';
import { StreamStats } from '../stream/stream-stats.js';
import type { TaskStream } from '../stream/task-stream.js';
import type { BlockedEvent } from '../green/hub.js';
import { performance } from 'node:perf_hooks';
import { captureDispatchSite, type DispatchSite } from '../dispatch-site.js';
import { functionName } from '../function-name.js';
import { targetName } from '../task/target-name.js';

/**
 * The reactor: one object that owns time, the shutdown sequence and (through the other paths) the thread pool,
 * the green hub and the routing policy.
 *
 * Creating one is cheap and starts nothing; an idle reactor holds no handle, so a script that is done exits
 * without `stop()`. `run()` holds the process open until `stop()` finishes. `stop()` refuses new work at
 * once, runs the `before` shutdown triggers (waiting for the Deferreds/Promises they return), closes the
 * components within `graceMs`, then runs the `during` and `after` triggers. Errors nobody else can receive
 * (a throwing trigger) go to `options.onError` (default `console.error`).
 *
 * @example
 * ```ts
 * import { Reactor } from 'greenreactor';
 *
 * const reactor = new Reactor();
 * reactor.addSystemEventTrigger('before', 'shutdown', () => flushLogs()); // may return a Deferred/Promise
 * reactor.callWhenRunning(() => console.log('started'));
 * reactor.callLater(1000, () => void reactor.stop({ graceMs: 2000 }));
 * await reactor.run(); // resolves once stop() has finished
 * ```
 */
export class Reactor implements Scheduler {
  /** The reactor's worker-thread pool (Piscina underneath, started on the first task). */
  readonly threadPool: ThreadPool;
  readonly #clock: Scheduler;
  /** `greenletDeferred`'s options for a call with no time limit: one object, not one per call. */
  readonly #noLimit: GreenletDeferredOptions;
  /** `ReactorOptions.now`: times the hub's steps and `auto`'s inline runs (`undefined`: `performance.now`). */
  readonly #now: (() => number) | undefined;
  readonly #onError: (error: unknown, where: string) => void;
  readonly #triggers: SystemEventTriggers;
  /** `stop()`'s order of work; components (pools) are added to it in the constructor. */
  readonly #shutdown: ShutdownSequence;
  readonly #loopDelay = new LoopDelayMonitor();
  #state: ReactorState = 'idle';
  #startup: Array<{ fn: (...args: any[]) => unknown; args: unknown[] }> = [];
  #runPromise: Promise<void> | undefined;
  #resolveRun: (() => void) | undefined;
  #stopPromise: Promise<void> | undefined;
  #releaseProcess: (() => void) | undefined;
  /** The routing policy; its `threads` and `green` sections size the pool and the hub. */
  readonly #policy: Policy;
  /** `dispatch`/`explain`: asks the policy, then calls the pool or {@link Reactor.#spawnDeferred} directly. */
  readonly #dispatcher: PolicyDispatcher;
  /** The config `#carrySet` was made from, and the set of carriers it lets travel (`undefined`: all). */
  #carryFor: unknown;
  #carrySet: ReadonlySet<string> | undefined;
  /** The pool's and the hub's options, mapped from the policy once. */
  readonly #routeOptions: RouteOptions;
  /** Created on first use (see {@link Reactor.hub}). */
  #hub: Hub | undefined;
  /** The policy's named thread pools (`pools`), by name; empty when it declares none. */
  readonly #pools = new Map<string, ThreadPool>();

  /**
   * @param options - the clock, the error reporter and the routing policy (see {@link ReactorOptions}).
   * @throws TypeError when `options` is not an object, `clock` is not a Scheduler, `onError` or `now` is not a
   * function, `remote` is not a RemoteBackend, or reading one of them throws.
   * @throws PolicyConfigError when `policy` is invalid (every issue listed), its file cannot be read, or reading
   * it throws.
   */
  constructor(options?: ReactorOptions) {
    // Each option read once: the value checked is the value used (see readReactorOptions).
    const read = readReactorOptions(options);
    const clock = expectScheduler(read.clock === undefined ? defaultReactorOptions.clock : read.clock, 'clock');
    // Called from worker message handlers, timers and stream deliveries: a throwing or rejecting sink must not end
    // the process there, nor leave the report's caller (a stream, the shutdown) half done.
    const onError = readErrorSink<[error: unknown, where: string]>(read.onError, 'greenreactor', defaultReactorOptions.onError);
    if (read.now !== undefined && typeof read.now !== 'function') {
      throw new TypeError(`Expected \`now\` to be a function returning milliseconds, got \`${safeString(read.now)}\` (${typeof read.now})`);
    }
    this.#clock = clock;
    this.#noLimit = { clock, timeoutMs: undefined };
    this.#now = read.now;
    this.#onError = onError;
    this.#triggers = new SystemEventTriggers(onError);
    this.#shutdown = new ShutdownSequence(this.#triggers, onError);
    // --- policy --- (resolved first: its `threads` and `green` sections configure the pool and the hub)
    this.#policy = resolvePolicyOption(read.policy);
    this.#routeOptions = optionsFromPolicy(this.#policy.config, clock, read.now);
    // --- components --- (thread path / green path: `this.#shutdown.addComponent({ name, shutdown })`, where
    // shutdown does nothing if the lazily created pool/hub was never made; see the module comment)
    // Calls waiting in a rule's bulkhead or held back by the crash budget never started: refuse them first.
    this.#shutdown.addComponent({
      name: 'policy dispatcher',
      shutdown: () => {
        this.#dispatcher.refuseWaiting();
        return Promise.resolve();
      },
    });
    this.#shutdown.addComponent({
      name: 'hub',
      shutdown: (graceMs) => (this.#hub === undefined ? Promise.resolve() : shutdownHub(this.#hub, graceMs)),
    });
    // --- threads --- (the pool starts its workers on the first task; closing a never-started pool is a no-op)
    this.threadPool = new ThreadPool(this.#routeOptions.threadPool, {
      onError: (error) => onError(error, 'thread pool'),
      onRunTimed: (_name, waitMs, runMs, id) => this.#dispatcher.threadRunTimed(id, waitMs, runMs),
      onCrash: (task) => this.#dispatcher.threadCrashed(task),
      carry: () => this.#carried(),
    });
    this.#shutdown.addComponent({ name: 'thread pool', shutdown: (graceMs) => this.threadPool.close(graceMs) });
    // The policy's named pools (bulkheads on threads): each starts its workers on its first task, shares `expose`.
    for (const [name, poolOptions] of Object.entries(this.#routeOptions.pools)) {
      const pool = new ThreadPool(poolOptions, {
        exposed: this.threadPool.exposed,
        onError: (error) => onError(error, `thread pool '${name}'`),
        onRunTimed: (_name, waitMs, runMs, id) => this.#dispatcher.threadRunTimed(id, waitMs, runMs),
        onCrash: (task) => this.#dispatcher.threadCrashed(task),
        carry: () => this.#carried(), // policy context.carry holds for every pool
      });
      this.#pools.set(name, pool);
      this.#shutdown.addComponent({ name: `thread pool '${name}'`, shutdown: (graceMs) => pool.close(graceMs) });
    }
    // --- remote --- (remote route: the backend connects on its first call; closing an unused one is a no-op)
    if (read.remote !== undefined && !isRemoteBackend(read.remote)) {
      throw new TypeError(`Expected \`remote\` to be a RemoteBackend (e.g. bullmqBackend(...) from greenreactor/remote-bullmq), got \`${safeString(read.remote)}\``);
    }
    this.#remote = read.remote;
    const remote = this.#remote;
    if (remote !== undefined) this.#shutdown.addComponent({ name: 'remote backend', shutdown: (graceMs) => remote.close(graceMs) });
    this.#dispatcher = this.#makeDispatcher();
  }

  /** Policy `context.carry` as a set, made again only when a new config is in force (hot reload). */
  #carried(): ReadonlySet<string> | undefined {
    const config = this.#policy.config;
    if (config !== this.#carryFor) {
      this.#carryFor = config;
      const names = config.context?.carry;
      this.#carrySet = names === undefined ? undefined : new Set(names);
    }
    return this.#carrySet;
  }

  /** The current time in milliseconds, from the reactor's clock. @returns that time. */
  now(): number {
    return this.#clock.now();
  }

  /**
   * Run `fn` with a deadline `ms` from now (SPEC §10): everything it dispatches — synchronously or in its async
   * continuations, on every route — gets `min(task timeoutMs, time left)` and ends with `TimeoutError` when that
   * passes; a call dispatched after the deadline never runs. Tasks read it with `deadline()` from
   * `greenreactor/worker`. Nested scopes never extend an outer one.
   *
   * @param ms - milliseconds from now on the reactor's clock, >= 0; `Infinity` adds no deadline (`fn` keeps the
   *   enclosing one, if any).
   * @param fn - the code to run.
   * @returns what `fn` returns (a Deferred or Promise stays one).
   * @throws TypeError when `ms` is not a number >= 0 or `fn` is not a function.
   * @example
   * ```ts
   * app.get('/report', (req, res) =>
   *   reactor.withDeadline(2000, () => reactor.dispatch(render, req.query)).addCallbacks((r) => res.send(r), (f) => res.status(504).end()));
   * ```
   */
  withDeadline<R>(ms: number, fn: () => R): R {
    return runWithDeadline(this.#clock, ms, fn);
  }

  /**
   * Run `fn(...args)` after `ms` milliseconds of the reactor's clock, in the async context of this call (every
   * `AsyncLocalStorage` store it sees now), as `setTimeout` does.
   *
   * What `fn` throws is the clock's to report: with real time it becomes an uncaught exception, as from
   * `setTimeout`; with a `Clock` it propagates out of `advance`.
   *
   * @param ms - the delay, ≥ 0.
   * @param fn - the function.
   * @param args - its arguments.
   * @returns the `DelayedCall`, to cancel, delay or reset it.
   * @throws RangeError when `ms` is negative or not a finite number; TypeError when `fn` is not a function.
   */
  callLater<A extends unknown[]>(ms: number, fn: (...args: A) => unknown, ...args: A): DelayedCall {
    validateDelay(ms);
    if (typeof fn !== 'function') {
      throw new TypeError(`Expected \`fn\` to be a function, got \`${safeString(fn)}\` (${typeof fn})`);
    }
    return this.#clock.callLater(ms, runInContext, captureContext(), fn, ...args);
  }

  /**
   * Run `fn(...args)` once the reactor runs: at once if it is running, else when `run()` is called. Never
   * runs if the reactor stops first. An error it throws goes to `onError`.
   *
   * @param fn - the function.
   * @param args - its arguments.
   * @throws TypeError when `fn` is not a function.
   */
  callWhenRunning<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void {
    if (typeof fn !== 'function') {
      throw new TypeError(`Expected \`fn\` to be a function, got \`${safeString(fn)}\` (${typeof fn})`);
    }
    if (this.#state === 'running') {
      this.#runStartupCall(fn, args);
    } else if (this.#state === 'idle') {
      this.#startup.push({ fn, args });
    }
  }

  /** True between `run()` and the start of `stop()`. */
  get running(): boolean {
    return this.#state === 'running';
  }

  /** Where the reactor is in its life: `'idle'`, `'running'`, `'stopping'` or `'stopped'`. */
  get state(): ReactorState {
    return this.#state;
  }

  /**
   * Start the reactor: run the `callWhenRunning` functions, then hold the process open until stopped.
   *
   * Calling it again while running returns the same promise. A reactor cannot be restarted: `run()` on a
   * reactor stopped without ever running rejects with `ReactorStoppedError`.
   *
   * @returns a promise that resolves when `stop()` has finished.
   */
  run(): Promise<void> {
    if (this.#runPromise !== undefined) {
      return this.#runPromise;
    }
    if (this.#state !== 'idle') {
      return Promise.reject(new ReactorStoppedError('The reactor was stopped; it cannot be run again'));
    }
    this.#state = 'running';
    this.#runPromise = new Promise<void>((resolve) => (this.#resolveRun = resolve));
    this.#releaseProcess = keepAlive();
    this.#loopDelay.snapshot(); // start sampling event-loop delay while running
    const startup = this.#startup;
    this.#startup = [];
    for (const { fn, args } of startup) {
      if (this.#state !== 'running') break; // one of them called stop(): the rest never run (see callWhenRunning)
      this.#runStartupCall(fn, args);
    }
    return this.#runPromise;
  }

  /**
   * Shut the reactor down: refuse new work, run the `before` triggers and wait for what they return, close
   * the components within `graceMs`, run the `during` then `after` triggers.
   *
   * Works whether or not `run()` was called; later calls return the same promise (their options are
   * ignored). The promise never rejects for a failing trigger or component — those go to `onError` — only for
   * invalid options (`graceMs` not a finite number ≥ 0, options that are not an object or throw when read), and then
   * the reactor does not start stopping. It never throws.
   *
   * @param options - `graceMs`, how long running work may still take (default 5000).
   * @returns a promise that resolves once the `after` triggers ran.
   */
  stop(options?: StopOptions): Promise<void> {
    if (this.#stopPromise !== undefined) {
      return this.#stopPromise;
    }
    let graceMs: number;
    try {
      graceMs = readGraceMs(options);
    } catch (error) {
      return Promise.reject(error); // a bad grace (Infinity, NaN, < 0, not a number) or options that throw
    }
    this.#state = 'stopping';
    this.#dispatcher.close(); // from now on every dispatch passes the stopped-reactor check (see dispatch)
    this.#startup = [];
    // Set before the sequence starts: it runs the `before` triggers synchronously, and a stop() made from one of
    // them must get this promise, not start a second shutdown that ran the later phases and closed the pools while
    // the other `before` triggers still held them. A trigger returning it is not waited for (ShutdownSequence.run).
    let adopt!: (outcome: Promise<void>) => void;
    this.#stopPromise = new Promise<void>((resolve) => (adopt = resolve));
    adopt(
      this.#shutdown.run(graceMs, this.#stopPromise).finally(() => {
        this.#state = 'stopped';
        this.#loopDelay.stop();
        this.#releaseProcess?.();
        this.#releaseProcess = undefined;
        this.#resolveRun?.();
      }),
    );
    return this.#stopPromise;
  }

  /**
   * Register `fn(...args)` to run in `phase` of the shutdown. Each phase runs its triggers in registration
   * order; a `before` trigger returning a Deferred/Promise delays the later phases until it settles.
   *
   * @param phase - `'before'`, `'during'` or `'after'`.
   * @param event - `'shutdown'`.
   * @param fn - the trigger.
   * @param args - its arguments.
   * @returns an id for {@link Reactor.removeSystemEventTrigger}.
   * @throws TypeError for another phase or event, or when `fn` is not a function.
   */
  addSystemEventTrigger<A extends unknown[]>(
    phase: TriggerPhase,
    event: SystemEvent,
    fn: (...args: A) => unknown,
    ...args: A
  ): TriggerId {
    return this.#triggers.add(phase, event, fn, args);
  }

  /**
   * Unregister a shutdown trigger; if it has not run yet it will not.
   *
   * @param id - what `addSystemEventTrigger` returned.
   * @throws TypeError when `id` is unknown or already removed.
   */
  removeSystemEventTrigger(id: TriggerId): void {
    this.#triggers.remove(id);
  }

  // --- threads --- (thread path: validate, then delegate to src/threads/)

  /**
   * Run a task in a worker thread; Twisted's `deferToThread`.
   *
   * Never throws: a plain function (not a `Task`), arguments that cannot be cloned, an unknown export, a full
   * queue or a stopped reactor errback the returned Deferred with a named error. `cancel()` errbacks with
   * `CancelledError` at once; the task sees `cancelled()` and is terminated after `threads.cancelGraceMs`.
   *
   * @param task - a Task made with `defineTask` / `taskFrom`.
   * @param args - its structured-cloneable arguments.
   * @returns a Deferred of the task's result.
   * @example
   * ```ts
   * export const fib = defineTask(import.meta.url, 'fib', (n: number): number => (n < 2 ? n : fib.fn!(n - 1) + fib.fn!(n - 2)));
   * reactor.deferToThread(fib, 30).addCallback((n) => console.log(n));
   * ```
   */
  deferToThread<T extends Task<any[], any>>(task: T, ...args: TaskArgs<T>): Deferred<TaskResult<T>> {
    const refused = refuseIfStopped<TaskResult<T>>(this.#state, 'deferToThread');
    if (refused !== undefined) return refused;
    return this.threadPool.run(task, ...args);
  }

  /**
   * Run a task in the given pool's workers (a separate budget of threads); otherwise as `deferToThread`.
   *
   * @param pool - a `ThreadPool` (pass `{ exposed: reactor.threadPool.exposed }` when making it to share `expose`).
   * @param task - a Task.
   * @param args - its arguments.
   * @returns a Deferred of the task's result; `TypeError` when `pool` is not a ThreadPool.
   */
  deferToThreadPool<T extends Task<any[], any>>(pool: ThreadPool, task: T, ...args: TaskArgs<T>): Deferred<TaskResult<T>> {
    const refused = refuseIfStopped<TaskResult<T>>(this.#state, 'deferToThreadPool');
    if (refused !== undefined) return refused;
    if (!isOwnInstance(pool, ThreadPool)) {
      return fail(new TypeError(`Expected \`pool\` to be a ThreadPool, got \`${safeString(pool)}\` (${typeof pool})`));
    }
    return pool.run(task, ...args);
  }

  /**
   * Run several tasks one after another in one worker; stops at the first error and errbacks with it.
   *
   * @param calls - `[task, ...args]` entries.
   * @returns a Deferred firing `undefined` once all ran.
   */
  callMultipleInThread(calls: readonly ThreadCall[]): Deferred<void> {
    const refused = refuseIfStopped<void>(this.#state, 'callMultipleInThread');
    if (refused !== undefined) return refused;
    return this.threadPool.runCalls(calls);
  }

  /**
   * Make a main-thread function callable from worker threads by `name` (`blockingCallFromThread`,
   * `callFromThread` in `greenreactor/worker`).
   *
   * @param name - a unique name.
   * @param fn - the function; it may return a value, a Promise or a Deferred.
   * @throws TypeError when `name` is already exposed.
   */
  expose(name: string, fn: ExposedFunction): void {
    this.threadPool.expose(name, fn);
  }

  // --- green --- (green path: thin facades over src/green/; logic lives there)

  /** The reactor's green hub, created on first use with the reactor's clock. */
  get hub(): Hub {
    if (this.#hub === undefined) {
      this.#hub = new Hub(this.#routeOptions.hub);
      this.#feedPolicyFrom(this.#hub);
    }
    return this.#hub;
  }

  /**
   * Run `fn(...args)` as a greenlet on the reactor's hub (geventreactor's `deferToGreenlet`).
   *
   * Cancelling the Deferred kills the greenlet (one not started never runs) and errbacks at once with
   * `CancelledError`; a greenlet killed by `GreenletExit` errbacks with it; a Task's `timeoutMs` ends it with
   * `TimeoutError`; past `maxGreenlets` it errbacks with `QueueFullError`. Never throws.
   *
   * @param fn - a generator, async or plain function, or a Task (its function runs in-process).
   * @param args - its arguments.
   * @returns a Deferred of its result.
   * @example
   * ```ts
   * const d = reactor.deferToGreenlet(function* (url: string) { const body = yield fetchText(url); return body.length; }, url);
   * ```
   */
  deferToGreenlet<A extends unknown[], R>(fn: GreenletFunction<A, R> | Task<A, R>, ...args: A): Deferred<R> {
    const refused = refuseIfStopped<R>(this.#state, 'deferToGreenlet');
    if (refused !== undefined) return refused;
    const bad = greenFnError<R>(fn);
    if (bad !== undefined) return bad;
    return this.#spawnDeferred(this.hub, fn, args);
  }

  /**
   * Like {@link Reactor.deferToGreenlet}, in a `GreenPool` (it starts when the pool has a free slot).
   *
   * @param pool - the pool.
   * @param fn - the function or Task.
   * @param args - its arguments.
   * @returns a Deferred of its result.
   */
  deferToGreenletPool<A extends unknown[], R>(pool: GreenPool, fn: GreenletFunction<A, R> | Task<A, R>, ...args: A): Deferred<R> {
    const refused = refuseIfStopped<R>(this.#state, 'deferToGreenletPool');
    if (refused !== undefined) return refused;
    if (!isOwnInstance(pool, GreenPool)) return fail(new TypeError(`Expected \`pool\` to be a GreenPool, got \`${safeString(pool)}\``));
    const bad = greenFnError<R>(fn);
    if (bad !== undefined) return bad;
    return this.#spawnDeferred(pool, fn, args);
  }

  /**
   * The one way a call becomes a greenlet and its Deferred (`deferToGreenlet`, `deferToGreenletPool` and the
   * dispatcher's green route): spawn on `spawner`, then watch it with the Task's `timeoutMs` on the reactor's clock.
   * Input is validated by the callers.
   */
  #spawnDeferred<A extends unknown[], R>(spawner: Hub | GreenPool, fn: GreenletFunction<A, R> | Task<A, R>, args: A): Deferred<R> {
    const limit = callDeadline(isTask(fn) ? fn.options.timeoutMs : undefined, this.#clock);
    if (limit !== undefined && limit.timeoutMs <= 0) {
      return fail(new TimeoutError(`Greenlet ${targetName(fn)} was not started: the deadline of its withDeadline scope had passed`));
    }
    // The rest array deferToGreenlet/dispatch made is handed to the greenlet as it is: no second one, no spread.
    // With no limit on the hub, a plain function is a lazy call: no Greenlet unless something needs it.
    if (limit === undefined && spawner instanceof Hub) return callInGreenlet(spawner, fn, args, this.#noLimit);
    const g = spawner instanceof Hub ? spawnWithArgs(spawner, fn, args) : spawner.spawn(fn, ...args);
    if (limit === undefined) return greenletDeferred(g, this.#noLimit);
    rememberGreenletDeadline(spawner instanceof Hub ? spawner : spawner.hub, g, limit.wallAt);
    return greenletDeferred(g, { clock: this.#clock, timeoutMs: limit.timeoutMs, deadline: limit });
  }

  /**
   * Run `calls` one after another in one greenlet; stops at the first error and errbacks with it.
   *
   * Inside `withDeadline` the batch is one call with its caller's deadline (SPEC §10): not started once it passed,
   * ended with `TimeoutError` (the running call killed, the rest never run) when it passes.
   *
   * @param calls - `[fn, ...args]` entries.
   * @returns a Deferred firing `undefined` when all ran.
   */
  callMultipleInGreenlet(calls: ReadonlyArray<GreenCall>): Deferred<void> {
    const refused = refuseIfStopped<void>(this.#state, 'callMultipleInGreenlet');
    if (refused !== undefined) return refused;
    const bad = checkCalls(calls);
    if (bad !== null) return fail(bad);
    // One dispatch: the batch gets its caller's withDeadline scope, as every route does (SPEC §10).
    return this.#spawnDeferred(this.hub, callMultiple, [[...calls]]);
  }

  /**
   * A Deferred of a greenlet's result; a greenlet killed by `GreenletExit` fires with that exit (geventreactor's
   * rule).
   *
   * @param g - the greenlet.
   * @returns a Deferred of its value, or errbacking with its exception.
   */
  waitForGreenlet<R>(g: Greenlet<R>): Deferred<R> {
    if (!isGreenlet(g)) return fail(new TypeError(`Expected \`g\` to be a Greenlet, got \`${safeString(g)}\``));
    return g.get();
  }

  /**
   * For use inside a greenlet: wait for `d` (nested Deferreds unwrapped) with `yield` or `await`; on timeout
   * errback with `TimeoutError` without cancelling `d`. Awaited in a greenlet of the reactor's hub it is a hub wait
   * (a switch point): a kill reaches the greenlet there, stops the timer and leaves `d` alone.
   *
   * @param d - a Deferred, Promise or thenable.
   * @param timeoutMs - how long to wait (reactor clock).
   * @returns a Deferred of `d`'s result.
   */
  waitForDeferred<T>(d: PromiseLike<T>, timeoutMs?: number): Deferred<T> {
    let thenable: boolean;
    try {
      thenable = isThenable(d);
    } catch (error) {
      return fail(error); // its `then` getter threw
    }
    if (!thenable) return fail(new TypeError(`Expected \`d\` to be a Deferred or Promise, got \`${d === null ? 'null' : typeof d}\``));
    return badTimeout<T>(timeoutMs) ?? waitForDeferred(d, timeoutMs, this.#clock, this.#hub);
  }

  /**
   * For use inside a greenlet: run `fn(...args)` on the reactor's next turn, outside any greenlet, and wait for its
   * result (a value, Promise or Deferred). Called outside a greenlet it errbacks with `TypeError`.
   *
   * @param fn - the function.
   * @param args - its arguments.
   * @returns a Deferred the greenlet can `yield` or `await`.
   */
  blockingCallFromGreenlet<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Deferred<Awaited<R>> {
    return blockingCallFromGreenlet(this.hub, this.#clock, fn, args);
  }

  /**
   * A snapshot of the reactor's load. Starts event-loop delay sampling on first use (the first read may be 0);
   * the sampler holds no handle open.
   *
   * @returns the stats (see {@link ReactorStats}).
   */
  stats(): ReactorStats {
    return {
      eventLoopDelay: this.#loopDelay.snapshot(),
      // --- threads --- (thread path)
      threads: this.#withStreamStats(this.threadPool),
      ...(this.#pools.size === 0 ? {} : { pools: Object.fromEntries([...this.#pools].map(([name, pool]) => [name, this.#withStreamStats(pool, name)])) }),
      // --- green --- (green path)
      green: this.#withGreenStreamStats(this.hub), // a Hub is cheap and holds no handle
      // --- policy --- (policy)
      policy: this.#dispatcher.stats(),
      // --- remote --- (remote route)
      ...(this.#remote === undefined ? {} : { remote: this.#remote.stats() }),
    };
  }

  // --- streams --- (SPEC §9: reactor.stream routes like dispatch; the streams themselves live in src/stream/)
  readonly #streamStats = new StreamStats();
  #streamTargets: StreamTargets | undefined;

  /**
   * Run a task where the policy says (as {@link Reactor.dispatch}: thread, green or inline), streaming what it
   * `emit`s and its `progress` to the caller (SPEC §9).
   *
   * Items arrive in emit order, every one before `result` fires; the task may run `streamWindow` items ahead of the
   * consumer (a task option, default 16), then its `emit` blocks (worker) or parks (greenlet). Breaking out of
   * `for await` cancels the task. Never throws: bad input and a stopped reactor give a stream whose iteration
   * throws the error and whose `result` errbacks with it.
   *
   * @param task - a Task, or a plain function (in-process only).
   * @param args - its arguments.
   * @returns the stream: an async iterable of items, with `result`, `onProgress` and `cancel`.
   * @example
   * ```ts
   * const s = reactor.stream<typeof render, Frame>(render, scene);
   * s.onProgress((p) => console.log(`${Math.round(Number(p) * 100)} %`));
   * for await (const frame of s) show(frame);
   * ```
   */
  stream<T extends Task<any[], any> | ((...args: any[]) => unknown), Item = unknown>(task: T, ...args: TaskArgs<T>): TaskStream<Item, TaskResult<T>> {
    if (this.#state !== 'idle' && this.#state !== 'running') {
      return failedStream(new ReactorStoppedError(`reactor.stream() refused: the reactor is ${this.#state}`));
    }
    this.#streamTargets ??= {
      decide: (t, a) => this.#dispatcher.decide(t, a),
      admit: (target, decision, a, start) => this.#dispatcher.admit({ target, decision, args: a }, start),
      guardStream: (t, a, start) => this.#dispatcher.guardStream(t, a, start),
      threadPool: (name) => (name === undefined ? this.threadPool : this.#pools.get(name)),
      spawnDeferred: (fn, a) => this.#spawnDeferred(this.hub, fn as GreenletFunction<unknown[], unknown>, a),
      clock: this.#clock,
      now: this.#now ?? (() => performance.now()),
      stats: this.#streamStats,
      onError: (error) => this.#onError(error, 'stream progress listener'),
    };
    return startTaskStream(this.#streamTargets, task, args);
  }

  /**
   * The pool's stats, `streamedItems`/`streamBlockedMs` added to the entry of each task that streamed in it (`name`:
   * one of the policy's named pools; `undefined`: the reactor's own).
   */
  #withStreamStats(pool: ThreadPool, name?: string): ReactorStats['threads'] {
    if (!this.#streamStats.streamed('thread', name)) return pool.stats();
    const empty = { runs: 0, waitMs: { p50: 0, p99: 0 }, runMs: { p50: 0, p99: 0 } };
    return pool.statsLabelledBy((byId) => this.#streamStats.merge('thread', byId, empty, name));
  }

  /** The hub's stats, with the figures of the tasks that streamed in-process (green and inline) added likewise. */
  #withGreenStreamStats(hub: Hub): ReactorStats['green'] {
    if (!this.#streamStats.streamed('green')) return hub.stats();
    const empty = { steps: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
    return hub.statsLabelledBy((byId) => this.#streamStats.merge('green', byId, empty));
  }

  // --- remote --- (remote route: validate, then delegate to the backend; src/remote-bullmq/ makes one)
  readonly #remote: RemoteBackend | undefined;

  /**
   * Run a task on a remote host through the reactor's remote backend (SPEC §11): the same Task, the same Deferred.
   *
   * Never throws: no remote backend, a plain function, arguments that cannot be serialized or a stopped reactor
   * errback the returned Deferred with a named error. `cancel()` errbacks with `CancelledError` at once and the
   * host aborts the task's `signal`; `timeoutMs` ends it with `TimeoutError` and stops it on its host; `retries`
   * re-runs it only when its host died mid-job.
   *
   * @param task - a Task made with `defineTask` / `taskFrom`, exported from a module the worker hosts import.
   * @param args - its arguments (serialized with `node:v8`, as structured clone).
   * @returns a Deferred of the task's result.
   * @example
   * ```ts
   * const reactor = new Reactor({ remote: bullmqBackend({ connection: { host: 'redis' }, queue: 'tasks' }) });
   * reactor.deferToRemote(render, scene).addCallback(save);
   * ```
   */
  deferToRemote<T extends Task<any[], any>>(task: T, ...args: TaskArgs<T>): Deferred<TaskResult<T>> {
    const refused = refuseIfStopped<TaskResult<T>>(this.#state, 'deferToRemote');
    if (refused !== undefined) return refused;
    if (!isTask(task)) {
      const what = typeof task === 'function' ? 'a plain function' : `\`${safeString(task)}\``;
      return fail(new TypeError(`deferToRemote needs a Task exported from a module the hosts import (defineTask/taskFrom), got ${what}`));
    }
    if (this.#remote === undefined) {
      return fail(new TypeError(`Task \`${task.name}\` cannot run remotely: this reactor has no remote backend (new Reactor({ remote }))`));
    }
    const limit = callDeadline(task.options.timeoutMs, this.#clock);
    if (limit !== undefined && limit.timeoutMs <= 0) {
      return fail(new TimeoutError(`Task \`${task.name}\` was not started: the deadline of its withDeadline scope had passed`));
    }
    let carried;
    try {
      carried = captureCarriedContext(this.#carried());
    } catch (error) {
      return fail(error as Error);
    }
    return this.#remote.call(task, args, { clock: this.#clock, site: remoteDispatchSite(), deadline: limit, carried }) as Deferred<TaskResult<T>>;
  }

  // --- policy --- (policy layer: thin facades over src/policy/; decisions live there)

  /**
   * The routing policy: its config (from `new Reactor({ policy })` or `GREENREACTOR_POLICY` for the default
   * reactor), what `auto` learned, `watch(file)` for hot reload.
   */
  get policy(): Policy {
    return this.#policy;
  }

  /**
   * Run a task where the policy says: a worker thread, a greenlet, or inline (now, synchronously, wrapped by
   * `maybeDeferred`). The first matching rule decides, else the task's own `route`, else the policy's
   * `default` (`auto`). A matching rule's `timeoutMs` applies on top of the task's own. Never throws: bad input
   * errbacks. Each decision is published on the `greenreactor:policy:decision` diagnostics channel when someone
   * subscribes.
   *
   * @param task - a Task, or a plain function (which never goes to a thread).
   * @param args - its arguments.
   * @returns a Deferred of its result.
   * @example
   * ```ts
   * const reactor = new Reactor({ policy: { rules: [{ name: 'images', match: { task: 'resize*' }, route: 'thread' }] } });
   * reactor.dispatch(resize, buffer).addCallback(save);
   * ```
   */
  dispatch<T extends Task<any[], any> | ((...args: any[]) => unknown)>(task: T, ...args: TaskArgs<T>): Deferred<TaskResult<T>> {
    const dispatcher = this.#dispatcher;
    // A task whose cached plan runs inline with nothing around the call goes straight to the dispatcher, which checks
    // the plan is current; stop() closes the dispatcher first, so no call of a stopped reactor gets past this test
    // (PolicyDispatcher.inlineTask: on the inline route the checks skipped are a good part of a call's cost).
    if (task !== dispatcher.inlineTask) {
      const refused = refuseIfStopped<TaskResult<T>>(this.#state, 'dispatch');
      if (refused !== undefined) return refused;
      // A cached thread or green plan with nothing around the call is started here, as deferToThread/deferToGreenlet
      // start it (see PolicyDispatcher.handOff: the dispatch site is captured from this frame).
      const handOff = dispatcher.handOff(task);
      if (handOff === 'thread') return this.threadPool.run(task as Task<any[], any>, ...(args as unknown[])) as Deferred<TaskResult<T>>;
      if (handOff === 'green') return this.#spawnDeferred(this.hub, task as GreenletFunction<unknown[], unknown>, args) as Deferred<TaskResult<T>>;
    }
    return dispatcher.dispatch(task, args) as Deferred<TaskResult<T>>;
  }

  /**
   * Where `dispatch(task, ...args)` would run it now, and why; runs nothing.
   *
   * @param task - a Task or a plain function.
   * @param args - the arguments it would get (sized only if a rule matches on `argBytes`).
   * @returns the decision: `{ route, reason, rule?, timeoutMs? }`.
   * @throws TypeError when `task` is neither a Task nor a function.
   * @example
   * ```ts
   * reactor.explain(resize, buffer); // { route: 'thread', rule: 'images', reason: "rule 'images' matched task 'resize'" }
   * ```
   */
  explain<T extends Task<any[], any> | ((...args: any[]) => unknown)>(task: T, ...args: TaskArgs<T>): Decision {
    const decision = this.#dispatcher.explain(task, args);
    if (decision.route === 'thread' && decision.crashBudgetSpent !== true) {
      const pool = decision.pool === undefined ? this.threadPool : this.#pools.get(decision.pool);
      if (pool === undefined) {
        // A reload's rule names a pool this reactor was not made with: dispatch cannot send the call there.
        const missing = ', which this reactor does not have (pools are made with the reactor; a reload cannot add one), so dispatch errbacks TypeError';
        return Object.freeze({ ...decision, reason: `${decision.reason}${missing}` });
      }
      const coalescing = decision.coalesce === false ? 'travels alone, not coalesced: its rule sets coalesce: false' : coalescingOf(pool, task, args);
      return Object.freeze({ ...decision, reason: `${decision.reason}; ${coalescing}` });
    }
    if (decision.route !== 'remote') return decision;
    const where =
      this.#remote === undefined
        ? 'but this reactor has no remote backend, so dispatch errbacks TypeError'
        : `on the ${this.#remote.engine} backend`;
    return Object.freeze({ ...decision, reason: `${decision.reason}; ${where}` });
  }

  /**
   * The dispatcher's view of this reactor: the pool and the spawn helper it calls directly (`dispatch` already
   * refused a stopped reactor), the load (read lazily), the clock, and whether a failed call's work runs on.
   */
  #makeDispatcher(): PolicyDispatcher {
    const pool = this.threadPool;
    const loopDelay = this.#loopDelay;
    return new PolicyDispatcher(this.#policy, {
      threadPool: pool,
      pools: this.#pools,
      spawnDeferred: (fn, args) => this.#spawnDeferred(this.hub, fn as GreenletFunction<unknown[], unknown>, args),
      deferToRemote: (task, ...args) => this.deferToRemote(task, ...(args as never[])),
      load: {
        get threadQueue(): number {
          return pool.queueDepth;
        },
        get loopDelayMs(): number {
          return loopDelay.p99();
        },
      },
      clock: this.#clock,
      runsOn: routesLetGo(this.#remote),
    }, this.#now === undefined ? {} : { now: this.#now });
  }

  /** Feeds the hub's blocked steps into `auto` (a green step over the threshold sends a task to threads). */
  #feedPolicyFrom(hub: Hub): void {
    // By the task's id, not its name: another module's task of the same name must not be sent to threads with it.
    hub.on('blocked', (event: BlockedEvent) => this.#policy.recordBlockedStep({ id: event.taskId, name: event.task }, event.ms));
  }

  #runStartupCall(fn: (...args: any[]) => unknown, args: unknown[]): void {
    try {
      fn(...args);
    } catch (error: unknown) {
      this.#onError(error, `callWhenRunning function (${functionName(fn, 'anonymous')})`);
    }
  }
}

/** The caller's stack where a remote call was made (a few frames: the default 10 cost several µs a dispatch). */
function remoteDispatchSite(): DispatchSite {
  return captureDispatchSite(10, remoteDispatchSite); // enough to reach past dispatch's frames to the caller's
}

/** @returns a failed Deferred when `fn` is neither a function nor a Task, else undefined. */
function greenFnError<R>(fn: unknown): Deferred<R> | undefined {
  if (typeof fn === 'function' || isTask(fn)) return undefined;
  return fail(new TypeError(`Expected \`fn\` to be a function or a Task, got \`${safeString(fn)}\` (${typeof fn})`));
}


/** What `explain()` says of coalescing for a thread decision (SPEC §7 `threads.coalesce`). */
function coalescingOf(pool: ThreadPool, task: unknown, args: readonly unknown[]): string {
  const coalesce = pool.options.coalesce;
  if (coalesce === false) return 'coalescing is off: one call per message';
  const options = isTask(task) ? task.options : {};
  const alone =
    options.transfer !== undefined ? 'it has a transfer list'
    : !fitsInBatch(args, coalesce.maxArgBytes) ? `its arguments exceed ${coalesce.maxArgBytes} bytes`
    : undefined;
  return alone === undefined
    ? `coalesced with other waiting calls while every worker is busy (up to ${coalesce.maxBatch} a message, each with its own limits and context; a stream, and a call of a task known to run long, travel alone)`
    : `travels alone, not coalesced: ${alone}`;
}

/**
 * `value instanceof C` for a value the caller passed, without a throw: a Proxy is never one (a revoked one throws from
 * `instanceof`, another's `getPrototypeOf` trap may, and a Proxy of a real one would fail on its private fields), and a
 * throw from a prototype chain that holds a Proxy reads as false. So an entry point errbacks its named TypeError.
 */
function isOwnInstance<T>(value: unknown, C: abstract new (...args: never[]) => T): value is T {
  if (typeof value !== 'object' || value === null || types.isProxy(value)) return false;
  try {
    return value instanceof C;
  } catch {
    return false;
  }
}
