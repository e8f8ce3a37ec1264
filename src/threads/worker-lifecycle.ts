/**
 * `WorkerLifecycle`: which of a pool's workers may be given tasks — the main thread's side of worker recycling
 * (SPEC §7 `threads.recycle`) and of the kill decision after a cancel grace.
 *
 * Invariants:
 * - A worker is serving, retiring (past a recycle limit) or doomed (its termination was decided). Only serving
 *   workers are given tasks: the pool's Piscina load balancer skips the others (least busy first, as Piscina's own).
 * - Closing a worker (retiring or dooming it) raises Piscina's thread limit by one until that worker has left, so
 *   its replacement starts at once while it finishes, and serving workers never exceed `maxThreads`. What a closed
 *   worker still holds takes no room from the serving ones ({@link WorkerLifecycle.heldByClosed}), except for a
 *   worker that retired itself (past `maxTasks` or `maxHeapMb`): it declines the calls it holds and has not
 *   started, and those must be back in the pool's line before later calls take their room
 *   ({@link WorkerLifecycle.roomFreedByClosed}). A retiring
 *   worker's replacement is started right away by a probe (an empty message Piscina cannot place, so it starts a
 *   worker); a doomed worker's by the first task that finds no room.
 * - A retiring worker runs what it already holds, then is terminated once it holds nothing; no task fails and no
 *   crash is counted (Piscina reports a worker it saw exit with no task as nothing). Recycled workers are counted
 *   when the decision is made (`stats().recycledWorkers`).
 * - A doomed worker is listed in the shared doomed table before it is terminated: from then on it claims no task
 *   (see `src/worker/worker-gate.ts`), so a task handed to it meanwhile never runs there and goes back in line.
 * - The age limit is measured here on the pool's clock (from when the worker came up): one timer, armed for the
 *   oldest serving worker, retires a worker when its age passes, busy or idle (an idle one leaves at once, its
 *   replacement already starting). The timer never holds the process open (`weakCallLater`) and is cancelled by
 *   `shut()`. The task and heap limits are measured by the worker itself, which tells the main thread (a
 *   `RetireNotice`, or a declined task).
 *
 * @module
 */
import type { Piscina } from 'piscina';
import type { Scheduler } from '../time/scheduler.js';
import { weakCallLater, type WeakCall } from '../time/weak-call-later.js';
import type { ResolvedRecycleOptions } from './thread-pool-options.js';
import type { ThreadPoolCounters } from './thread-pool-stats.js';
import { doomedCountIndex, type TaskRequest } from './wire.js';

/** What the balancer reads of a Piscina worker (its live view). */
export interface BalancedWorker {
  readonly id: number;
  readonly currentUsage: number;
  readonly destroyed: boolean;
}

/** What the balancer reads of a task Piscina is placing. */
export interface BalancedTask {
  readonly taskId: number;
}

type WorkerState = 'serving' | 'retiring' | 'doomed';

interface WorkerRecord {
  readonly view: BalancedWorker;
  /** When it came up, on the pool's clock. */
  readonly bornAt: number;
  state: WorkerState;
  terminating: boolean;
  /** It retired itself (a limit its worker measures): what it holds may come back declined. */
  declines: boolean;
}

/** An empty `callMultipleInThread` request: it runs nothing and claims no slot (the retirement probe). */
const probeRequest: TaskRequest = { moduleUrl: '', exportName: '', args: [], slot: -1, calls: [] };

function ignore(): void {
  // the probe's outcome means nothing
}

/** Serving, retiring and doomed workers of one pool, and the load balancer that keeps to the serving ones. */
export class WorkerLifecycle {
  /** The shared doomed table handed to workers (layout at `doomedCountIndex` in `wire.ts`). */
  readonly doomedBuffer: SharedArrayBuffer;
  readonly #doomed: Int32Array;
  readonly #recycle: ResolvedRecycleOptions | undefined;
  readonly #maxAgeMs: number;
  readonly #clock: Scheduler;
  readonly #counters: ThreadPoolCounters;
  readonly #maxUsage: number;
  readonly #onClosed: (change: 1 | -1) => void;
  readonly #workers = new Map<number, WorkerRecord>();
  /** Thread ids of workers not serving (retiring or doomed) and not yet gone. */
  readonly #closed = new Set<number>();
  /** Probes Piscina holds, not yet placed (by Piscina task id). */
  readonly #probes = new Set<number>();
  #retiring = 0;
  #probing = false;
  #piscina: Piscina | undefined;
  #shut = false;
  /** The age timer (see `#armAge`), and when it is due on the pool's clock. */
  #ageTimer: WeakCall | undefined;
  #ageDue = Number.POSITIVE_INFINITY;

  /**
   * @param options - the pool's recycle limits, clock, thread and per-worker task counts.
   * @param options.recycle - `threads.recycle`, if set.
   * @param options.clock - the pool's clock (the age limit is measured on it).
   * @param options.maxThreads - the pool's most workers (sizes the doomed table).
   * @param options.concurrentTasksPerWorker - most tasks a worker holds at once.
   * @param counters - the pool's counters (`recycledWorkers`).
   * @param onClosed - told when a worker stops serving (+1) and when such a worker has left (-1): what it still
   *   holds no longer counts against the pool's capacity for new messages.
   */
  constructor(
    options: { recycle?: ResolvedRecycleOptions | undefined; clock: Scheduler; maxThreads: number; concurrentTasksPerWorker: number },
    counters: ThreadPoolCounters,
    onClosed: (change: 1 | -1) => void = () => undefined,
  ) {
    this.#onClosed = onClosed;
    this.#recycle = options.recycle;
    this.#maxAgeMs = options.recycle?.maxAgeMs ?? Number.POSITIVE_INFINITY;
    this.#clock = options.clock;
    this.#counters = counters;
    this.#maxUsage = options.concurrentTasksPerWorker;
    // Room for every worker the pool can hold being doomed at once, and some; past it a doomed worker is only
    // skipped by the balancer (a task it already holds may then start there and die with it, as before).
    this.doomedBuffer = new SharedArrayBuffer(4 * (1 + 2 * options.maxThreads + 8));
    this.#doomed = new Int32Array(this.doomedBuffer);
  }

  /** Whether `threads.recycle` sets an age limit (see {@link WorkerLifecycle.checkAges}). */
  get ages(): boolean {
    return this.#maxAgeMs !== Number.POSITIVE_INFINITY;
  }

  /**
   * Retires every serving worker past `maxAgeMs` now. The balancer checks ages as it places a task; the pool calls
   * this too when a call has to wait (every worker busy), so that an old busy worker's replacement starts serving.
   */
  checkAges(): void {
    if (this.#maxAgeMs === Number.POSITIVE_INFINITY) return;
    const now = this.#clock.now();
    for (const [threadId, record] of this.#workers) {
      if (record.state === 'serving' && now - record.bornAt >= this.#maxAgeMs) this.retire(threadId);
    }
  }

  /** Whether `threads.recycle` sets any limit. */
  get recycles(): boolean {
    return this.#recycle !== undefined;
  }

  /**
   * Messages held by workers that no longer serve (retiring or doomed, not yet gone): they take no room from the
   * serving workers. Read from Piscina's live view of each such worker; 0 at once when there is none.
   */
  get heldByClosed(): number {
    return this.#closed.size === 0 ? 0 : this.#heldByClosed(false);
  }

  /**
   * Messages held by closed workers whose room serving workers may take now: all of {@link heldByClosed} but those
   * of workers that retired themselves (past `maxTasks` or `maxHeapMb`), which may still hand calls back declined
   * (a batch's calls past the limit); calls sent before those are back in line would overtake them. A worker
   * retired by age declines nothing (it does not know), and a doomed one is being terminated.
   */
  get roomFreedByClosed(): number {
    return this.#closed.size === 0 ? 0 : this.#heldByClosed(true);
  }

  /**
   * Messages held by closed workers still alive, leaving out with `skipDecliners` those of workers that retired
   * themselves ({@link WorkerLifecycle.roomFreedByClosed}).
   */
  #heldByClosed(skipDecliners: boolean): number {
    let held = 0;
    for (const threadId of this.#closed) {
      const record = this.#workers.get(threadId);
      if (record === undefined || record.view.destroyed) continue;
      if (skipDecliners && record.declines && record.state === 'retiring') continue;
      held += record.view.currentUsage;
    }
    return held;
  }

  /** Probes Piscina still holds unplaced: its `queueSize` counts them, the pool's `queueDepth` must not. */
  get queuedProbes(): number {
    return this.#probes.size;
  }

  /**
   * Follows a pool's Piscina: records workers as they come up and forgets them as they leave.
   * @param piscina - the pool's Piscina, built with {@link WorkerLifecycle.balance} as its `loadBalancer`.
   */
  attach(piscina: Piscina): void {
    this.#piscina = piscina;
    piscina.on('workerCreate', (view: BalancedWorker) => {
      this.#record(view);
    });
    piscina.on('workerDestroy', () => {
      for (const [threadId, record] of this.#workers) if (record.view.destroyed) this.#forget(threadId, record);
    });
  }

  /** The pool is closing: no more probes, and the age timer is cancelled. */
  shut(): void {
    this.#shut = true;
    this.#ageTimer?.cancel();
    this.#ageTimer = undefined;
  }

  /**
   * Piscina's load balancer: the least busy serving worker with room, or `null` (Piscina then queues the task and
   * starts a worker if its limit allows).
   * @param task - the task being placed.
   * @param workers - Piscina's workers.
   * @returns the worker to give it to, or `null`.
   */
  readonly balance = <W extends BalancedWorker>(task: BalancedTask, workers: readonly W[]): W | null => {
    if (this.#probing) {
      this.#probes.add(task.taskId);
      return null;
    }
    const closed = this.#closed;
    const aging = this.#maxAgeMs !== Number.POSITIVE_INFINITY;
    const now = aging ? this.#clock.now() : 0;
    let best: W | null = null;
    let bestUsage = this.#maxUsage;
    for (const worker of workers) {
      const id = worker.id;
      if (closed.size !== 0 && closed.has(id)) continue;
      if (aging && now - this.#record(worker).bornAt >= this.#maxAgeMs) {
        this.retire(id);
        continue;
      }
      const usage = worker.currentUsage;
      if (usage === 0) {
        best = worker;
        break;
      }
      if (usage < bestUsage) {
        best = worker;
        bestUsage = usage;
      }
    }
    if (best !== null && this.#probes.size !== 0) this.#probes.delete(task.taskId);
    return best;
  };

  /**
   * Retires a serving worker (past a recycle limit): it gets no more tasks, its replacement starts now, and it is
   * terminated once it holds no task. Does nothing for a worker already closed or unknown.
   * @param threadId - the worker's thread id.
   * @param itself - the worker retired itself (its `RetireNotice`, or a declined call): it declines what it holds
   *   and has not started (see {@link WorkerLifecycle.roomFreedByClosed}). False: retired here, by age.
   */
  retire(threadId: number, itself = false): void {
    const record = this.#workers.get(threadId);
    if (record === undefined || record.state !== 'serving') {
      if (itself && record?.state === 'retiring') record.declines = true; // its notice came after it aged out
      return;
    }
    record.state = 'retiring';
    record.declines = itself;
    this.#retiring++;
    this.#counters.recycledWorkers++;
    this.#close(threadId);
    // Not from inside Piscina's balancer: a microtask later.
    queueMicrotask(() => {
      this.#startReplacement();
      this.settled();
    });
  }

  /**
   * A worker declined a task: it is retiring (its notice may still be on the way) or doomed.
   * @param threadId - the worker's thread id.
   */
  declined(threadId: number): void {
    this.retire(threadId, true);
  }

  /**
   * The main thread decided to terminate a worker (a task outlived its cancel grace): it claims no task from now on
   * and gets none. Call before terminating it.
   * @param threadId - the worker's thread id.
   */
  doom(threadId: number): void {
    const record = this.#workers.get(threadId);
    if (record?.state === 'doomed') return;
    if (record !== undefined) {
      if (record.state === 'retiring') this.#retiring--;
      else this.#close(threadId);
      record.state = 'doomed';
    }
    const table = this.#doomed;
    for (let i = doomedCountIndex + 1; i < table.length; i++) {
      if (Atomics.load(table, i) === 0) {
        Atomics.store(table, i, threadId);
        Atomics.add(table, doomedCountIndex, 1);
        return;
      }
    }
  }

  /** A message settled in Piscina: terminates retiring workers that hold no task any more. */
  settled(): void {
    if (this.#retiring === 0) return;
    for (const [threadId, record] of this.#workers) {
      if (record.state !== 'retiring' || record.terminating || record.view.currentUsage !== 0) continue;
      record.terminating = true;
      for (const worker of this.#piscina?.threads ?? []) if (worker.threadId === threadId) void worker.terminate();
    }
  }

  #record(view: BalancedWorker): WorkerRecord {
    let record = this.#workers.get(view.id);
    if (record === undefined) {
      record = { view, bornAt: this.#clock.now(), state: 'serving', terminating: false, declines: false };
      this.#workers.set(view.id, record);
      this.#armAge();
    }
    return record;
  }

  /** Arms the age timer for when the oldest serving worker passes `maxAgeMs` (unless armed for then or earlier). */
  #armAge(): void {
    if (this.#maxAgeMs === Number.POSITIVE_INFINITY || this.#shut) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const record of this.#workers.values()) if (record.state === 'serving' && record.bornAt < oldest) oldest = record.bornAt;
    if (oldest === Number.POSITIVE_INFINITY) return; // armed again when a worker comes up
    const due = oldest + this.#maxAgeMs;
    if (this.#ageTimer !== undefined && this.#ageDue <= due) return;
    this.#ageTimer?.cancel();
    this.#ageDue = due;
    this.#ageTimer = weakCallLater(this.#clock, Math.max(0, due - this.#clock.now()), this.#agePassed);
  }

  /** The age timer ran: retires the workers past their age, then arms it for the next oldest. */
  readonly #agePassed = (): void => {
    this.#ageTimer = undefined;
    this.#ageDue = Number.POSITIVE_INFINITY;
    this.checkAges();
    this.#armAge();
  };

  /**
   * Marks a worker closed and lets Piscina start one more until it has left.
   *
   * Piscina documents no way to grow a pool at run time (its docs call `options` "a copy"; a custom balancer
   * returning `null` only starts a worker below `maxThreads`), so this raises the live `options.maxThreads` Piscina
   * reads when it decides to start a worker, and `#forget` lowers it back. Building Piscina with a larger
   * `maxThreads` instead would let it start workers past the pool's limit whenever its queue is not empty.
   * test/threads/thread-recycle-piscina.test.ts pins this behaviour: it fails if a Piscina upgrade changes it.
   */
  #close(threadId: number): void {
    this.#closed.add(threadId);
    const piscina = this.#piscina;
    if (piscina !== undefined) piscina.options.maxThreads++;
    this.#onClosed(1);
  }

  #forget(threadId: number, record: WorkerRecord): void {
    this.#workers.delete(threadId);
    if (record.state === 'serving') return;
    if (record.state === 'retiring') this.#retiring--;
    this.#closed.delete(threadId);
    const piscina = this.#piscina;
    if (piscina !== undefined) piscina.options.maxThreads--;
    this.#onClosed(-1);
    const table = this.#doomed;
    for (let i = doomedCountIndex + 1; i < table.length; i++) {
      if (Atomics.load(table, i) === threadId) {
        Atomics.store(table, i, 0);
        Atomics.sub(table, doomedCountIndex, 1);
        break;
      }
    }
  }

  /** Makes Piscina start a worker now: a probe it cannot place (the balancer refuses it once) while under its limit. */
  #startReplacement(): void {
    const piscina = this.#piscina;
    if (piscina === undefined || this.#shut) return;
    this.#probing = true;
    let posted: Promise<unknown>;
    try {
      posted = piscina.run(probeRequest);
    } finally {
      this.#probing = false;
    }
    posted.then(ignore, ignore);
  }
}
