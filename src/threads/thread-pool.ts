/**
 * `ThreadPool`: runs `Task`s in worker threads (a Piscina pool) and hands back Deferreds.
 *
 * Invariants:
 * - Piscina starts on the first task, never before; idle workers hold no handle open (Piscina unrefs them), so a
 *   script that ran tasks exits by itself.
 * - No public method throws on bad input or on a closed pool: it returns a Deferred that has already errbacked.
 * - Every dispatched task is one {@link ThreadTaskRun} (the cancellation ladder lives there); the pool keeps the
 *   set of runs Piscina has not settled, to drain or abort them on `close()`.
 * - Coalescing (`coalesce`, on by default): a call is sent at once while fewer messages are out than the pool's
 *   capacity (maxThreads × concurrentTasksPerWorker) — a lone call is never held back. Otherwise it waits in the
 *   pool's own FIFO queue, and each time a message settles the drain sends the head of the queue: a share of the
 *   waiting batchable calls (at most `maxBatch`, and within `flushMs` of their tasks' expected run time) together;
 *   a call with a `transfer` list or large arguments, a call of a task known to run long, and (with several
 *   workers) one of a task never timed, alone (`BatchCosts`). Runs handed back after a worker died go to the head
 *   of the queue, in order. A call's own time limit, deadline and carried context travel with it inside a batch.
 * - Loop delay: once one event-loop turn has spent `turnBudgetMs` settling messages, the next batch waits for the
 *   next turn, so a long queue drains in bounded turns rather than in one (workers answer as fast as the main
 *   thread posts, and replies already waiting are read at once).
 * - Without coalescing, every call travels alone, but calls still wait in the pool's queue once Piscina holds
 *   `uncoalescedDepth` messages per place: Piscina always has the next one to post from its own reply handler, and
 *   thousands in flight do not each hold Piscina's per-task records.
 * - The run next in line has its large buffer arguments copied ahead (`copy-large-buffers.ts`), while the workers
 *   run, so its message leaves as soon as one frees up: one run's copies at a time, dropped when that run leaves the
 *   queue any other way (cancelled, batched) or the pool closes.
 * - `maxQueue` and `queueDepth` count the live calls waiting in that queue (plus any Piscina queues); a call
 *   cancelled there leaves it at once.
 * - Worker lifecycle ({@link WorkerLifecycle}): Piscina places tasks only on serving workers; a worker past a
 *   `recycle` limit, or doomed by the cancel grace, gets none and its replacement starts before it leaves. A task a
 *   worker declined (doomed or retiring) goes back in line.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import type { Deferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
import { succeed } from '../deferred/succeed.js';
import { QueueFullError, ReactorStoppedError, TimeoutError } from '../errors.js';
import { callDeadline } from '../context/call-deadline.js';
import { captureCarriedContext } from '../context/context-carrier.js';
import { isTask, type Task, type TaskArgs, type TaskIdentity, type TaskResult } from '../task/task.js';
import { byLabel, type TaskFigures } from '../task/task-labels.js';
import type { DelayedCall } from '../time/scheduler.js';
import { CancelSlots } from './cancel-slots.js';
import { ExposedFunctions, type ExposedFunction } from './exposed-functions.js';
import { isThreadCall, ThreadCallBridge } from './thread-call-bridge.js';
import { resolveThreadPoolOptions, type ResolvedThreadPoolOptions, type ThreadPoolOptions } from './thread-pool-options.js';
import { ThreadPoolCounters, type ThreadPoolStats, type ThreadTaskStats } from './thread-pool-stats.js';
import { ThreadTaskRun, type ThreadCallExtras, type ThreadTaskHost } from './thread-task-run.js';
import { taskWorkerUrl } from './task-worker-url.js';
import { deliverStreamMessage } from './stream-receivers.js';
import { isStreamMessage, type StreamRequest, type TaskWorkerData } from './wire.js';
import { BatchSlots, postBatch } from './thread-batch.js';
import { isBatchResults, isLedgerNotice, isRetireNotice } from './wire.js';
import { ResultLedgers } from './result-ledgers.js';
import { WorkerLifecycle } from './worker-lifecycle.js';
import { BatchCosts } from './batch-costs.js';
import { ActiveRuns } from './active-runs.js';
import type { CopiedArguments } from './copy-large-buffers.js';
import { describeValue } from '../describe-value.js';
import { functionName } from '../function-name.js';
import { DispatchSites, newDispatchSite } from '../dispatch-site.js';

/**
 * How long one event-loop turn may keep sending batches as replies settle (ms): beyond it the next batch waits for
 * the next turn (`#settled`). Small against a loop-delay budget, large against one batch's round trip.
 */
const turnBudgetMs = 2;

/**
 * Without coalescing, how many messages per serving place (maxThreads × concurrentTasksPerWorker) the pool lets into
 * Piscina; later calls wait in the pool's own queue. Above 1 so that Piscina always holds a next message to post
 * from its own reply handler (a post from the pool's promise reaction comes tens of µs later under load), and the
 * worker never waits on the main thread; small, so that thousands of calls in flight do not each hold Piscina's
 * per-task records (an async resource, a Promise and its resolvers), which every young-generation collection would
 * copy while they wait.
 */
const uncoalescedDepth = 4;

/**
 * How many stack frames a dispatch captures for errors coming back from a worker: enough to reach past the library's
 * own frames (a call through `dispatch` passes the policy, its gates and the pool) to the caller's; the printed site
 * drops the library's frames but the entry's (`describeDispatchSite`). Counted from the capture's own frame
 * (`newDispatchSite`, then the pool's entry).
 */
const dispatchSiteFrames = 12;

/** The arguments of every call made without any (nothing writes to a run's arguments). */
const noArgs: readonly unknown[] = Object.freeze([]);

/** Where a pool is in its life. */
export type ThreadPoolState = 'idle' | 'running' | 'closing' | 'closed';

/** What a pool is wired to besides its options: the exposed-function registry and an error sink. */
export interface ThreadPoolWiring {
  /** Functions workers may call; share one registry between pools. @defaultValue a registry of its own */
  exposed?: ExposedFunctions;
  /**
   * Receives errors no Deferred can carry (a worker dying while idle, a failed `callFromThread`, what a hook below
   * threw). @defaultValue console.error
   */
  onError?: (error: unknown) => void;
  /** Told of each finished run's wait and run time, with the task's id (the reactor feeds the policy's `auto` from it). */
  onRunTimed?: (name: string, waitMs: number, runMs: number, id: string) => void;
  /**
   * Told each time a run of `task` crashed the worker it was running in, a crash its retries will re-run included;
   * returns false to forbid that retry (the reactor's crash budget, SPEC §7, has no room for another crash).
   */
  onCrash?: (task: TaskIdentity) => boolean;
  /**
   * Told when a worker has left the pool (idle past `idleTimeoutMs`, crashed, terminated), once `stats().threads`
   * no longer counts it: lets a caller wait for the pool to shrink on the event instead of polling. The id is -1
   * when the thread had already exited (Node forgets the id of an exited thread).
   */
  onWorkerExit?: (threadId: number) => void;
  /**
   * Which context carriers travel with a task (policy `context.carry`), read at each dispatch; `undefined` (or no
   * function): every registered carrier.
   */
  carry?: () => ReadonlySet<string> | undefined;
}

/** One call of `runCalls`: a task and its arguments. */
export type ThreadCall = readonly [task: Task, ...args: unknown[]];

/**
 * A wiring hook that never throws into the pool: what it throws goes to `report` (the pool's `onError`) and
 * `fallback` stands in for what it would have returned.
 *
 * Why: the hooks run inside the pool's bookkeeping — a run's timing as its result comes back, a crash as its worker
 * dies, a worker's exit on a microtask — where an exception would leave the call's Deferred (and its batch-mates')
 * unfired, or, thrown from the microtask, end the process.
 *
 * @param hook - the hook from {@link ThreadPoolWiring}, if any.
 * @param report - where what it throws goes.
 * @param fallback - its result when it throws.
 * @returns the guarded hook, or undefined when there is none.
 */
function guardHook<A extends unknown[], R>(hook: ((...args: A) => R) | undefined, report: (error: unknown) => void, fallback: R): ((...args: A) => R) | undefined {
  if (hook === undefined) return undefined;
  return (...args: A): R => {
    try {
      return hook(...args);
    } catch (error) {
      report(error);
      return fallback;
    }
  };
}

function notATask(value: unknown, method: string): TypeError {
  const what = typeof value === 'function' ? `a plain function (${functionName(value, 'anonymous')})` : describeValue(value);
  return new TypeError(
    `${method} needs a Task, got ${what}. A worker thread cannot receive a function, only a module and an export ` +
      "to import: define it with defineTask(import.meta.url, 'name', fn) and export it under that name " +
      "(or wrap an existing export with taskFrom(url, 'name')).",
  );
}

/**
 * A pool of worker threads running `Task`s, each call returning a cancellable Deferred.
 *
 * Why a wrapper over Piscina: Twisted semantics (a Deferred per task, `cancel()` that errbacks at once and still
 * stops the work), a grace period before a busy worker is killed, named errors that survive the thread boundary,
 * and calls from workers back into the main thread. Usually reached through `reactor.deferToThread`; make your own
 * pool for a separate budget of threads (`reactor.deferToThreadPool(pool, task, ...args)`).
 *
 * @example
 * ```ts
 * const pool = new ThreadPool({ maxThreads: 2, cancelGraceMs: 500 });
 * const d = pool.run(fib, 30);        // fib = defineTask(import.meta.url, 'fib', ...)
 * d.addCallback((n) => console.log(n));
 * await pool.close();
 * ```
 */
export class ThreadPool {
  /** The resolved options. */
  readonly options: ResolvedThreadPoolOptions;
  /** The functions workers of this pool may call. */
  readonly exposed: ExposedFunctions;
  readonly #counters: ThreadPoolCounters;
  /** Runs not over yet (sent, queued, or waiting for Piscina to let them go), to drain or abort them on `close()`. */
  readonly #active = new ActiveRuns<ThreadTaskRun>();
  readonly #bridge: ThreadCallBridge;
  readonly #onError: (error: unknown) => void;
  readonly #onWorkerExit: ((threadId: number) => void) | undefined;
  readonly #carry: (() => ReadonlySet<string> | undefined) | undefined;
  readonly #onCrash: ((task: TaskIdentity) => boolean) | undefined;
  #piscina: Piscina | undefined;
  /** When Piscina started (`performance.now()`), for the utilisation; NaN before. */
  #startedAt = Number.NaN;
  #host: ThreadTaskHost | undefined;
  #state: ThreadPoolState = 'idle';
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;
  /** Runs Piscina still holds that were abandoned before a worker claimed them (see `ThreadTaskHost`). */
  #abandonedWaiting = 0;
  // Coalescing: runs wait here (not in Piscina) while every worker is busy, and leave in batches.
  readonly #queue: Array<ThreadTaskRun | undefined> = [];
  #queueHead = 0;
  /** Runs in `#queue` still waiting (abandoned ones stay in the array until the drain passes them). */
  #waitingLive = 0;
  /**
   * Messages (single runs and batches) Piscina holds: at most `#capacity` besides those held by workers that stopped
   * serving (see `#hasRoom`) while runs wait in `#queue`.
   */
  #posted = 0;
  /** Serving capacity: maxThreads × concurrentTasksPerWorker. */
  readonly #capacity: number;
  /** Messages let into Piscina while runs wait in `#queue`: `#capacity`, or more without coalescing ({@link uncoalescedDepth}). */
  readonly #sendLimit: number;
  #drainQueued = false;
  /** When this event-loop turn started settling messages (NaN: it has not); see `#settled`. */
  #turnStarted = Number.NaN;
  /** A drain put off to the next turn by the turn budget. */
  #drainDeferred = false;
  readonly #batchSlots = new BatchSlots();
  /** The workers' result ledgers (every result with `coalesce.keepFinished`, else last words); `undefined` without coalescing. */
  readonly #ledgers: ResultLedgers | undefined;
  /** `coalesce.keepFinished`: the ledgers are read at each reply and flush too. */
  readonly #keepFinished: boolean;
  /** The cancellation slots of the running pool (a result that did not come in its reply is checked against them). */
  #cancelSlots: CancelSlots | undefined;
  /** The run next in line when its large buffers were copied ahead ({@link ThreadPool.#copyAhead}), and the copies. */
  #aheadRun: ThreadTaskRun | undefined;
  #aheadCopies: CopiedArguments | undefined;
  /** Dispatch sites (`captureDispatchSite`), shared within a synchronous run of dispatches of one task. */
  readonly #sites: DispatchSites | undefined;
  readonly #lifecycle: WorkerLifecycle;
  /** What each task's calls cost: sizes batches (coalescing); `undefined` with coalescing off. */
  readonly #costs: BatchCosts | undefined;

  /**
   * @param options - sizes, queue limit, grace period, clock.
   * @param wiring - the exposed-function registry and the error sink.
   * @throws TypeError / RangeError for invalid options (a configuration bug, reported at construction).
   */
  constructor(options: ThreadPoolOptions = {}, wiring: ThreadPoolWiring = {}) {
    this.options = resolveThreadPoolOptions(options);
    this.exposed = wiring.exposed ?? new ExposedFunctions();
    this.#capacity = this.options.maxThreads * this.options.concurrentTasksPerWorker;
    const coalesce = this.options.coalesce;
    this.#sendLimit = coalesce === false ? this.#capacity * uncoalescedDepth : this.#capacity;
    const costs = coalesce === false ? undefined : new BatchCosts(coalesce.flushMs, this.#capacity);
    this.#costs = costs;
    this.#keepFinished = coalesce !== false && coalesce.keepFinished;
    this.#ledgers = coalesce === false ? undefined : new ResultLedgers((results, threadId) => this.#batchSlots.deliver(results, this.#ranOn(threadId)));
    const report = (error: unknown): void => this.#onError(error);
    // One listener for every timed run (a hot path): the batch costs learn, then the user's hook, guarded in place
    // as `guardHook` guards the other hooks, without its extra call and rest arguments.
    const onRunTimed = wiring.onRunTimed;
    this.#counters = new ThreadPoolCounters(
      costs === undefined && onRunTimed === undefined
        ? undefined
        : (name, waitMs, runMs, id) => {
            costs?.learn(id, runMs);
            if (onRunTimed === undefined) return;
            try {
              onRunTimed(name, waitMs, runMs, id);
            } catch (error) {
              report(error);
            }
          },
    );
    this.#onError = wiring.onError ?? ((error: unknown) => console.error('greenreactor thread pool:', error));
    this.#onWorkerExit = guardHook(wiring.onWorkerExit, report, undefined);
    this.#bridge = new ThreadCallBridge(this.exposed, this.#onError);
    this.#carry = wiring.carry;
    this.#onCrash = guardHook(wiring.onCrash, report, true); // a hook that throws forbids nothing, as one absent
    // Its own captures (`runCalls`) skip the entry's frame, and the capture's: two fewer to reach as far.
    this.#sites = this.options.captureDispatchSite ? new DispatchSites(dispatchSiteFrames - 2) : undefined;
    this.#lifecycle = new WorkerLifecycle(this.options, this.#counters, (change) => {
      // A worker stopped serving: what it holds no longer takes room from serving workers.
      if (change > 0 && this.#waitingLive > 0) this.#queueDrain();
    });
  }

  /** `'idle'` until the first task starts the workers, then `'running'`, `'closing'`, `'closed'`. */
  get state(): ThreadPoolState {
    return this.#state;
  }

  /**
   * Runs `task(...args)` in a worker.
   *
   * @param task - a Task (from `defineTask` / `taskFrom`); a plain function errbacks with `TypeError`.
   * @param args - structured-cloneable arguments (a `SharedArrayBuffer` is shared; `task.options.transfer` moves).
   * @returns a Deferred of the task's result; `cancel()` errbacks it with `CancelledError` at once.
   */
  run<T extends Task<any[], any>>(task: T, ...args: TaskArgs<T>): Deferred<TaskResult<T>> {
    const sent = this.#run(task, args, undefined);
    if (!(sent instanceof ThreadTaskRun)) return sent as Deferred<TaskResult<T>>;
    // The dispatch site, captured here in the entry's own frame (each frame between the capture and the caller's adds
    // to its cost) once the call was sent or queued: the worker runs it meanwhile, and the stack is still the caller's.
    const sites = this.#sites;
    if (sites !== undefined) sent.attachSite(sites.reuse(task) ?? sites.opened(task, newDispatchSite(dispatchSiteFrames)));
    return sent.deferred as Deferred<TaskResult<T>>;
  }

  /**
   * Runs `task(...args)` in a worker in a message of its own, never coalesced with waiting calls (a policy rule's
   * `coalesce: false`, SPEC §7).
   *
   * @param task - a Task.
   * @param args - its arguments.
   * @returns a Deferred of the task's result, as {@link ThreadPool.run}.
   */
  runAlone(task: Task, args: readonly unknown[]): Deferred<unknown> {
    const sent = this.#run(task, Array.isArray(args) ? args : [], undefined, true);
    if (!(sent instanceof ThreadTaskRun)) return sent;
    const sites = this.#sites; // as in run()
    if (sites !== undefined) sent.attachSite(sites.reuse(task) ?? sites.opened(task, newDispatchSite(dispatchSiteFrames)));
    return sent.deferred;
  }

  /**
   * Runs `task(...args)` in a worker as a stream (`reactor.stream`, SPEC §9): its `emit`/`progress` go to `stream`.
   *
   * @param task - a Task.
   * @param args - its arguments.
   * @param stream - the stream's request (`src/stream/thread-stream.ts` makes it).
   * @returns a Deferred of the task's result (the stream holds it until every item arrived).
   */
  runStreamed(task: Task, args: readonly unknown[], stream: StreamRequest): Deferred<unknown> {
    const sent = this.#run(task, args, stream);
    if (!(sent instanceof ThreadTaskRun)) return sent;
    const sites = this.#sites; // as in run()
    if (sites !== undefined) sent.attachSite(sites.reuse(task) ?? sites.opened(task, newDispatchSite(dispatchSiteFrames)));
    return sent.deferred;
  }

  /** Sends (or queues) a call: its run, or the Deferred that already failed it (bad input, closed, full). */
  #run(task: Task, args: readonly unknown[], stream: StreamRequest | undefined, alone = false): ThreadTaskRun | Deferred<unknown> {
    if (!isTask(task)) return fail(notATask(task, 'deferToThread'));
    let extras = this.#extras(task.name, task.options.timeoutMs); // before #open: a call that fails here starts no worker
    if (extras instanceof Error) return fail(extras);
    if (stream !== undefined) extras = { ...extras, stream };
    if (alone) extras = { ...extras, alone };
    const host = this.#open();
    if (host === undefined) return fail(new ReactorStoppedError(`Task \`${task.name}\` was refused: the thread pool is closed`));
    if (this.#full()) return this.#refuse(task.name);
    // A call without arguments keeps the shared empty list, not its own (a run keeps its list while in flight).
    const run = new ThreadTaskRun(host, task, args.length === 0 ? noArgs : args, undefined, undefined, extras);
    this.#active.add(run);
    this.#submit(run);
    return run;
  }

  /**
   * Runs several tasks one after another in one worker, stopping at the first error (`callMultipleInThread`).
   *
   * @param calls - `[task, ...args]` entries.
   * @returns a Deferred of `undefined` once all ran, or errbacked with the first error.
   */
  runCalls(calls: readonly ThreadCall[]): Deferred<void> {
    if (!Array.isArray(calls)) return fail(new TypeError(`Expected \`calls\` to be an array of [task, ...args], got ${typeof calls}`));
    for (const call of calls) {
      if (!Array.isArray(call) || !isTask(call[0])) return fail(notATask(Array.isArray(call) ? call[0] : call, 'callMultipleInThread'));
    }
    if (calls.length === 0) {
      return succeed(undefined);
    }
    const host = this.#open();
    if (host === undefined) return fail(new ReactorStoppedError('callMultipleInThread was refused: the thread pool is closed'));
    if (this.#full()) return this.#refuse('callMultipleInThread');
    const first = calls[0]![0];
    const name = `callMultipleInThread(${calls.map((c) => c[0].name).join(', ')})`;
    // Its own identity (a plain name), not its first task's: its run time is the whole batch's.
    const batch: Task = { ...first, id: name, name, options: {} };
    const wire = calls.map(([task, ...args]) => [task.moduleUrl, task.exportName, args] as const);
    const extras = this.#extras(batch.name, undefined);
    if (extras instanceof Error) return fail(extras);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the dispatch site's cut-off frame, never called
    const run = new ThreadTaskRun(host, batch, calls.map((c) => c.slice(1)), wire, this.#sites?.site(batch, this.runCalls), extras);
    this.#active.add(run);
    this.#submit(run);
    return run.deferred.addCallback(() => undefined);
  }

  /**
   * Makes a main-thread function callable from this pool's workers (see `blockingCallFromThread`).
   * @param name - a unique name.
   * @param fn - the function; may return a value, a Promise or a Deferred.
   * @throws TypeError when `name` is already exposed.
   */
  expose(name: string, fn: ExposedFunction): void {
    this.exposed.expose(name, fn);
  }

  /**
   * Closes the pool: refuses new tasks, answers pending `blockingCallFromThread` calls with `ReactorStoppedError`,
   * lets running tasks finish for up to `graceMs` (on the pool's clock), then errbacks the rest with
   * `ReactorStoppedError` and terminates the workers.
   * @param graceMs - how long to wait for tasks in flight.
   * @returns a Promise that resolves once every worker has exited; calling again returns the same Promise.
   */
  close(graceMs = 0): Promise<void> {
    this.#closing ??= this.#shutdown(graceMs);
    return this.#closing;
  }

  /** Counts, queue depth, utilisation and per-task wait/run percentiles. */
  stats(): ThreadPoolStats {
    return this.statsLabelledBy(byLabel);
  }

  /**
   * @internal {@link ThreadPool.stats} with the per-task entries made by `label` from the unlabelled figures by id
   * ({@link ThreadPool.taskStatsById}): for a caller that adds figures of its own to a task's before labelling them,
   * as `reactor.stats()` adds stream figures, so each task's percentiles are computed once.
   * @param label - turns the figures by id into the `tasks` record.
   * @returns the stats, `tasks` as `label` made it.
   */
  statsLabelledBy<F>(label: (byId: Map<string, TaskFigures<ThreadTaskStats>>) => Record<string, F>): Omit<ThreadPoolStats, 'tasks'> & { tasks: Record<string, F> } {
    const p = this.#piscina;
    return this.#counters.snapshot(
      {
        inFlight: this.#active.size,
        queueDepth: this.queueDepth,
        threads: p?.threads.length ?? 0,
        utilisation: Number.isNaN(this.#startedAt) ? 0 : this.#counters.utilisation(performance.now() - this.#startedAt, this.options.maxThreads),
      },
      label,
    );
  }

  /**
   * Whether one more task would exceed `maxQueue`: tasks beyond the pool's capacity (maxThreads ×
   * concurrentTasksPerWorker) are the ones waiting for a worker. Checked here rather than by Piscina, whose
   * refusal leaves its task's async resource undestroyed (an open handle under async_hooks).
   */
  #full(): boolean {
    const o = this.options;
    // Unbounded (the default): nothing to count. Reading the depth (through Piscina's getters) on every dispatch
    // while calls wait was about a sixth of the main thread's CPU in a loop dispatching 50,000 calls (measured).
    if (o.maxQueue === Number.POSITIVE_INFINITY) return false;
    if (o.coalesce === false) {
      return this.#active.size - this.#abandonedWaiting - this.#capacity - this.#lifecycle.heldByClosed >= o.maxQueue;
    }
    // Coalescing: a run is sent at once while a worker is free, else it waits in #queue.
    const wouldWait = !this.#hasRoom() || this.#waitingLive > 0;
    return wouldWait && this.queueDepth >= o.maxQueue;
  }

  /**
   * What a call dispatched now carries besides its arguments (SPEC §10): its limits — the task's `timeoutMs` and
   * the caller's `withDeadline` scope — and the caller's context carriers. A call whose deadline already passed,
   * or whose carrier failed to capture, gets the error instead: it is never sent.
   */
  #extras(name: string, timeoutMs: number | undefined): ThreadCallExtras | undefined | Error {
    const limit = callDeadline(timeoutMs, this.options.clock);
    if (limit !== undefined && limit.timeoutMs <= 0) {
      this.#counters.timedOut++;
      return new TimeoutError(`Task \`${name}\` was not started: the deadline of its withDeadline scope had passed`);
    }
    let context;
    try {
      context = captureCarriedContext(this.#carry?.());
    } catch (error) {
      this.#counters.failed++;
      return error as Error;
    }
    return limit === undefined && context === undefined ? undefined : { limit, context };
  }

  /**
   * Whether serving workers have room for one more message. Messages held by workers that stopped serving (retired
   * by age, or doomed) do not count: their replacement takes messages at once. Those of a worker that retired
   * itself (past `maxTasks` or `maxHeapMb`) still do: it may hand calls back declined, and calls sent before they
   * are back in line would overtake them. Nor may more enter Piscina than serving workers hold: a message waiting
   * in Piscina for a worker would overtake runs handed back to the pool's queue later, which must keep their place.
   */
  #hasRoom(): boolean {
    const posted = this.#posted;
    const limit = this.#sendLimit;
    return posted < limit || posted - this.#lifecycle.roomFreedByClosed < limit;
  }

  /**
   * Sends a new run now, or queues it when serving workers hold as many messages as they may ({@link ThreadPool.#hasRoom};
   * without coalescing, `uncoalescedDepth` per place: the pool's queue then holds the rest, Piscina's never more than a few).
   */
  #submit(run: ThreadTaskRun): void {
    if (this.#waitingLive === 0 && this.#hasRoom()) {
      run.start();
      return;
    }
    run.waiting = true;
    this.#waitingLive++;
    this.#queue.push(run);
    if (this.#waitingLive === 1) this.#copyAhead(run); // next in line
    if (this.#lifecycle.ages) this.#lifecycle.checkAges(); // an old busy worker's replacement may take it
  }

  /**
   * Copies the large buffer arguments of `run`, next in line, now (`ThreadTaskRun.copyAhead`), so that its message
   * leaves as soon as a worker is free instead of after its copy.
   *
   * Why: calls with large buffers travel alone, and the main thread copies each one's buffers before it posts it
   * (`copy-large-buffers.ts`); made when a worker's reply frees it, the copy kept that worker waiting for it, and
   * the worker, with nothing to copy itself, otherwise sat idle. Copied ahead, the copy overlaps with the workers'
   * runs. One run at a time (one set of copies held), and only ever the run next in line, so a copy made ahead is
   * used by the next send or dropped with the run.
   */
  #copyAhead(run: ThreadTaskRun): void {
    if (run === this.#aheadRun) return;
    this.#aheadRun = run;
    this.#aheadCopies = run.copyAhead();
  }

  /** Forgets the copies made ahead (their run left the queue some other way, or the pool closes). */
  #dropAhead(): void {
    this.#aheadRun = undefined;
    this.#aheadCopies = undefined;
  }

  /** Starts a run taken from the queue, with its copies if they were made ahead. */
  #startWaiting(run: ThreadTaskRun): void {
    if (run !== this.#aheadRun) {
      run.start();
      return;
    }
    const copies = this.#aheadCopies;
    this.#dropAhead();
    run.start(copies);
  }

  /**
   * Puts a run handed back (its worker died or declined it: a retry, or it never started) back in line, ahead of
   * every waiting run made after it: runs handed back keep the order they were made in, whatever order they come
   * back in (a batch's declined calls come back first to last). With coalescing it always queues, and the drain
   * runs a microtask later, so the runs handed back together leave together.
   */
  #resubmit(run: ThreadTaskRun): void {
    if (this.options.coalesce === false) {
      run.start();
      return;
    }
    run.waiting = true;
    this.#waitingLive++;
    const queue = this.#queue;
    // The queue is in the order runs were made: only runs handed back before it (older) are passed over.
    let at = this.#queueHead;
    while (at < queue.length && queue[at]!.order < run.order) at++;
    if (at === this.#queueHead && at > 0) queue[--this.#queueHead] = run;
    else queue.splice(at, 0, run);
    this.#queueDrain();
  }

  /** Runs the drain a microtask later (once, however often asked meanwhile). */
  #queueDrain(): void {
    if (!this.#drainQueued) {
      this.#drainQueued = true;
      queueMicrotask(() => {
        this.#drainQueued = false;
        this.#drain();
      });
    }
  }

  /** The next run still waiting in #queue, taken out of it. */
  #takeWaiting(): ThreadTaskRun | undefined {
    const queue = this.#queue;
    while (this.#queueHead < queue.length) {
      const run = queue[this.#queueHead];
      queue[this.#queueHead++] = undefined;
      if (run?.waiting === true) {
        run.waiting = false;
        this.#waitingLive--;
        return run;
      }
    }
    return undefined;
  }

  /** The next run still waiting in #queue, left in it. */
  #peekWaiting(): ThreadTaskRun | undefined {
    const queue = this.#queue;
    for (let i = this.#queueHead; i < queue.length; i++) {
      const run = queue[i];
      if (run?.waiting === true) return run;
      this.#queueHead = i + 1; // an abandoned run: never looked at again
    }
    return undefined;
  }

  /**
   * Sends waiting runs while workers are free: batchable neighbours together, a share of the queue each, sized by
   * what their calls are known to cost ({@link BatchCosts}: a long call, or one of unknown cost when there are
   * several workers, travels alone; a batch's expected total stays within `flushMs`).
   */
  #drain(): void {
    if (this.#host === undefined) return;
    const coalesce = this.options.coalesce;
    const costs = this.#costs;
    if (coalesce === false || costs === undefined) {
      while (this.#waitingLive > 0 && this.#hasRoom()) {
        const run = this.#takeWaiting();
        if (run === undefined) break;
        this.#startWaiting(run);
      }
      this.#afterDrain();
      return;
    }
    while (this.#waitingLive > 0 && this.#hasRoom()) {
      const first = this.#takeWaiting();
      if (first === undefined) break;
      let budget = first.batchable(coalesce.maxArgBytes) ? costs.open(first.task.id) : -1;
      if (budget < 0) {
        this.#startWaiting(first);
        continue;
      }
      // A share of what waits, so every free worker gets some; never more than maxBatch.
      const size = Math.min(coalesce.maxBatch, Math.ceil((this.#waitingLive + 1) / this.#capacity));
      const runs = [first];
      while (runs.length < size) {
        const next = this.#peekWaiting();
        if (next === undefined || !next.batchable(coalesce.maxArgBytes)) break;
        const left = costs.add(next.task.id, budget);
        if (left < 0) break;
        budget = left;
        runs.push(this.#takeWaiting()!);
      }
      if (runs.length === 1) this.#startWaiting(first);
      else postBatch(this.#host, this.#batchSlots, runs);
    }
    this.#afterDrain();
  }

  /** After a drain: the queue compacted, and the run now next in line copied ahead (copies of one that left, dropped). */
  #afterDrain(): void {
    this.#compactQueue();
    if (this.#aheadRun !== undefined && this.#aheadRun.waiting !== true) this.#dropAhead(); // batched (a large maxArgBytes)
    if (this.#waitingLive === 0) return;
    const next = this.#peekWaiting();
    if (next !== undefined) this.#copyAhead(next);
  }

  /** Drops the queue's passed-over head (all of it once empty; in one splice when it is most of the array). */
  #compactQueue(): void {
    if (this.#queueHead === this.#queue.length) {
      this.#queue.length = 0;
      this.#queueHead = 0;
    } else if (this.#queueHead > 4096 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
  }

  /** A message settled: it no longer takes room, and a retiring worker that held it may leave. */
  #released(): void {
    this.#posted--;
    this.#lifecycle.settled();
  }

  /**
   * After a message settled ({@link ThreadPool.#released}): its worker takes the next share of the queue. While one
   * event-loop turn keeps settling messages (replies already waiting are read at once, and each drain lets a worker
   * answer again before the turn ends), the chain would hold the loop until the queue is empty; past
   * `turnBudgetMs` of one turn the drain waits for the next turn instead, so timers and I/O run between (the
   * loop-delay bound). Without coalescing there is no budget: each settle sends one run into Piscina, whose own
   * reply handler has already posted the next (the chain holds the loop as raw Piscina's holds it); a drain put off
   * to the next turn would let Piscina's few messages run out and the workers wait for it.
   */
  #next(): void {
    if (this.#waitingLive === 0 || this.#drainDeferred) return;
    if (this.#costs === undefined) {
      this.#drain(); // coalescing off (see above)
      return;
    }
    const now = performance.now();
    if (Number.isNaN(this.#turnStarted)) {
      this.#turnStarted = now;
      setImmediate(this.#turnEnded);
    } else if (now - this.#turnStarted > turnBudgetMs) {
      this.#drainDeferred = true;
      return;
    }
    this.#drain();
  }

  /** Runs after the turn that settled messages: a drain put off by the budget happens now, in a fresh turn. */
  readonly #turnEnded = (): void => {
    this.#turnStarted = Number.NaN;
    if (!this.#drainDeferred) return;
    this.#drainDeferred = false;
    if (this.#waitingLive > 0) {
      this.#turnStarted = performance.now();
      setImmediate(this.#turnEnded);
      this.#drain();
    }
  };

  #refuse<T>(name: string): Deferred<T> {
    this.#counters.failed++;
    return fail(new QueueFullError(`Task \`${name}\` was refused: the thread pool queue is full (maxQueue ${this.options.maxQueue})`));
  }

  /**
   * Tasks waiting for a worker right now: a cheap read for routing rules (`threadQueue`), where `stats()` would
   * build every task's percentiles.
   */
  get queueDepth(): number {
    // Piscina's queue less the abandoned runs it still holds (one may already sit with a worker: never below 0),
    // plus the runs waiting in the pool's own queue (coalescing).
    // Retirement probes Piscina holds are not tasks.
    return Math.max(0, (this.#piscina?.queueSize ?? 0) - this.#abandonedWaiting - this.#lifecycle.queuedProbes) + this.#waitingLive;
  }

  /**
   * Runs and wait/run percentiles of one task, without the cost of a full `stats()` snapshot.
   * @param task - the task (known by its id: two modules' tasks of the same name have a record each).
   * @returns its figures, or `undefined` before its first finished run.
   */
  taskStats(task: TaskIdentity): ThreadTaskStats | undefined {
    return this.#counters.task(task.id);
  }

  /**
   * @internal Every task's runs and wait/run percentiles under its id, unlabelled (see `ThreadPoolCounters.taskStatsById`).
   * @returns each task's identity and figures, by id.
   */
  taskStatsById(): Map<string, TaskFigures<ThreadTaskStats>> {
    return this.#counters.taskStatsById();
  }

  /**
   * Whether a result the worker `threadId` sent outside a reply (a flush, its ledger) belongs to the run now holding
   * its slot (see `BatchSlots.deliver`): for a call that ran, the slot names that worker and says the call ended; for
   * one that never started (skipped, declined), the slot names no thread.
   * @param threadId - the sending worker.
   */
  #ranOn(threadId: number): (slot: number, ran: boolean) => boolean {
    const slots = this.#cancelSlots;
    return (slot, ran) => slots !== undefined && (ran ? slots.runningThread(slot) === threadId && slots.ended(slot) : slots.runningThread(slot) === 0);
  }

  /** The host for new runs, starting Piscina on first use; `undefined` once closing. */
  #open(): ThreadTaskHost | undefined {
    if (this.#host !== undefined || this.#state !== 'idle') return this.#host;
    const o = this.options;
    const slots = new CancelSlots();
    this.#cancelSlots = slots;
    const lifecycle = this.#lifecycle;
    const recycle = o.recycle;
    const piscina = new Piscina({
      filename: taskWorkerUrl(),
      minThreads: o.minThreads,
      maxThreads: o.maxThreads,
      idleTimeout: o.idleTimeoutMs,
      maxQueue: Number.POSITIVE_INFINITY, // enforced by #full()
      concurrentTasksPerWorker: o.concurrentTasksPerWorker,
      loadBalancer: lifecycle.balance,
      // The pool times every run itself (shared memory, see `wire.ts`): Piscina's own histograms would cost two
      // clock reads and two records per call on each side and are never read.
      recordTiming: false,
      // An idle worker waits for its next task with Atomics.waitAsync, on its event loop, not in a blocking
      // Atomics.wait: a worker that dies of an error thrown just after its task returned (a microtask the task queued)
      // could otherwise be left blocked in Piscina's wait loop, never exiting, its ports keeping the process alive
      // after close() (test/review/thread-crash-exit-control.test.ts; raw Piscina 5.3 does the same).
      atomics: 'async',
      ...(o.resourceLimits === undefined ? {} : { resourceLimits: o.resourceLimits }),
      workerData: {
        slots: slots.buffer,
        times: slots.timesBuffer,
        concurrency: o.concurrentTasksPerWorker,
        ...(o.coalesce === false ? {} : { flushMs: o.coalesce.flushMs }),
        ...(this.#keepFinished ? { keepFinished: true } : {}),
        doomed: lifecycle.doomedBuffer,
        ...(recycle?.maxTasks === undefined && recycle?.maxHeapMb === undefined
          ? {}
          : { recycle: { ...(recycle.maxTasks === undefined ? {} : { maxTasks: recycle.maxTasks }), ...(recycle.maxHeapMb === undefined ? {} : { maxHeapMb: recycle.maxHeapMb }) } }),
      } satisfies TaskWorkerData,
    });
    lifecycle.attach(piscina);
    this.#startedAt = performance.now();
    const ledgers = this.#ledgers;
    const keepFinished = this.#keepFinished;
    piscina.on('message', (message: unknown) => {
      if (isBatchResults(message)) {
        if (keepFinished) ledgers?.readAll(); // the flush says the ledger holds results; it carries only declines
        this.#batchSlots.deliver(message.results, message.threadId === undefined ? undefined : this.#ranOn(message.threadId));
      } else if (isLedgerNotice(message)) ledgers?.add(message);
      else if (isThreadCall(message)) this.#bridge.handle(message);
      else if (isStreamMessage(message)) deliverStreamMessage(message); // streams
      else if (isRetireNotice(message)) lifecycle.retire(message.threadId, true); // threads.recycle
    });
    piscina.on('workerDestroy', (worker: { threadId?: number }) => {
      const threadId = typeof worker?.threadId === 'number' ? worker.threadId : -1;
      if (threadId >= 0) this.#bridge.forget(threadId);
      // Piscina drops the worker from its list right after this event.
      if (ledgers !== undefined) ledgers.keepOnly(new Set(piscina.threads.map((w) => w.threadId).filter((id) => id !== threadId)));
      const onExit = this.#onWorkerExit;
      if (onExit !== undefined) queueMicrotask(() => onExit(threadId));
    });
    piscina.on('error', (error: unknown) => {
      // A reply that reaches Piscina after close() destroyed its worker (a retirement probe, or a run already
      // aborted with ReactorStoppedError) is reported by Piscina as an unexpected message: noise once closing.
      if (this.#state !== 'running' && error instanceof Error && error.message.startsWith('Unexpected message from Worker')) return;
      this.#onError(error);
    });
    this.#piscina = piscina;
    this.#state = 'running';
    this.#host = {
      options: o,
      slots,
      counters: this.#counters,
      sites: this.#sites,
      crashed: this.#onCrash,
      // One reaction per message: the pool's bookkeeping first (the drain sends the next share of the queue, a batch
      // with coalescing, one run without, before this message's results fire their Deferreds), then the receiver's. A message that hands runs back
      // (a rejection, or a batch reply carrying declined calls) goes the other way round: the runs it hands back
      // are in line again before the drain takes the next share, which would otherwise overtake them.
      post: (request, transferList, receiver) => {
        const posted = piscina.run(request, transferList === undefined ? undefined : { transferList: transferList as never });
        this.#posted++;
        posted.then(
          (value) => {
            if (keepFinished) ledgers?.readAll(); // results of a batch's calls travel there, not in its reply
            if (receiver.handsBack?.(value) === true) {
              this.#released();
              receiver.handleReply(value);
              this.#next();
              return;
            }
            this.#released();
            this.#next();
            receiver.handleReply(value);
          },
          (error: unknown) => {
            ledgers?.readAll(); // what a dead worker had finished is there (keepFinished), or its last words
            this.#released();
            receiver.handleRejection(error);
            this.#next();
          },
        );
      },
      terminate: (threadId) => {
        // Doomed first: from now on it claims no task and gets none (a task it holds unclaimed comes back).
        lifecycle.doom(threadId);
        for (const worker of piscina.threads) if (worker.threadId === threadId) void worker.terminate();
      },
      abandonedWaiting: (change) => {
        this.#abandonedWaiting += change;
      },
      done: (run) => {
        this.#active.delete(run);
        if (this.#active.size === 0) this.#drained?.();
      },
      resubmit: (run) => {
        if (this.#host !== undefined) {
          this.#resubmit(run);
          return;
        }
        run.abort(new ReactorStoppedError('The thread pool closed before this task could run again'));
        this.#active.delete(run);
        if (this.#active.size === 0) this.#drained?.();
      },
      leftQueue: (run) => {
        this.#waitingLive--;
        if (run === this.#aheadRun) this.#dropAhead();
      },
      declined: (threadId) => {
        lifecycle.declined(threadId);
      },
    };
    return this.#host;
  }

  async #shutdown(graceMs: number): Promise<void> {
    const wasStarted = this.#state === 'running';
    this.#state = 'closing';
    this.#host = undefined;
    this.#dropAhead();
    this.#lifecycle.shut();
    this.#bridge.close();
    if (wasStarted && this.#active.size > 0 && graceMs > 0) {
      let timer: DelayedCall | undefined;
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
        timer = this.options.clock.callLater(graceMs, resolve);
      });
      this.#drained = undefined;
      if (timer?.active() === true) timer.cancel();
    }
    this.#ledgers?.readAll(); // keepFinished: runs that finished in a worker still busy with their batch get their result
    for (const run of this.#active.toArray()) {
      // A run whose result its worker still holds (coalescing, without keepFinished) did finish: its error says so.
      run.abort(
        new ReactorStoppedError(
          run.endedInWorker
            ? `Task \`${run.task.name}\` ran to its end in its worker, but the thread pool closed before its outcome came back ` +
                '(its worker held it for the next flush of its coalesced batch; `threads.coalesce.keepFinished` keeps it)'
            : 'The thread pool closed before this task finished',
        ),
      );
    }
    const piscina = this.#piscina;
    if (piscina !== undefined) {
      // Piscina starts a worker to keep `minThreads` whenever it sees one exit outside its `destroy()`, and `destroy()`
      // waits only for the workers still in its list: a worker it dropped before (crashed: its exit follows the report
      // of its error; idle past `idleTimeoutMs`) may exit after `destroy()` resolved, and a new worker would start in
      // a closed pool, never to be terminated. With no minimum, nothing starts. Not earlier: during the grace, a crash's
      // replacement runs what Piscina still holds. (Piscina reads its live `options`, as `WorkerLifecycle` relies on.)
      piscina.options.minThreads = 0;
      await piscina.destroy();
      // Piscina never ends its async resource; without this, async_hooks tooling (Jest's open-handle check) sees it live.
      piscina.emitDestroy();
    }
    this.#ledgers?.close();
    this.#state = 'closed';
  }
}
