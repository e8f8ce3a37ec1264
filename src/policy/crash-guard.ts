/**
 * The crash budget's gate in front of the thread pool (SPEC §7 `adaptive.crashBudget`).
 *
 * Counting crashes is not enough to stop a crash storm: by the time the budget is spent, every call already
 * handed to the pool would still reach a worker and crash it (1,000 queued calls, 1,000 dead workers). So the
 * thread calls of a task that may crash are held back here, FIFO, and at most `crashes` minus its crashes within
 * `windowMs` of them are in the pool at once. Those are the only calls that can crash a worker before the budget
 * is spent; when it is, the calls still held back never reach the pool: with `then: 'fail'` they errback
 * `WorkerCrashedError` saying why, with `then: 'green'` they run in-process.
 *
 * A task is held back like this until one of its thread runs ended without a crash (its worker survived it), and
 * again while it has a crash within `windowMs`; a task that has proved itself and has not crashed lately goes to
 * the pool unhindered (one Map lookup and a comparison). Such a task's calls already in the pool when it starts
 * crashing still run: the bound of `crashes` workers holds for a task that crashes from its first call.
 *
 * A call held back keeps its caller's dispatch site, captured as it starts waiting (SPEC §4: an error's stack names
 * where the caller sent it, not the library code that released it later), as a bulkhead's held calls do; calls that
 * go to the pool at once capture nothing here (the pool captures theirs).
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import { DispatchSites, withDispatchSite, type DispatchSite } from '../dispatch-site.js';
import { fail } from '../deferred/fail.js';
import { Failure } from '../deferred/failure.js';
import { CancelledError, TimeoutError, WorkerCrashedError, crashReported } from '../errors.js';
import type { Task, TaskIdentity } from '../task/task.js';
import type { Scheduler } from '../time/scheduler.js';
import { AdmissionGate, type RunsOn } from './admission-gate.js';
import { armQueuedDeadline } from './queued-deadline.js';
import type { CrashVerdict } from './adaptive-router.js';
import type { Policy } from './policy.js';

/** Starts a thread call in a pool (the pool's `run`). */
export type RunInPool = (task: Task, args: unknown[]) => Deferred<unknown>;

/** A thread call held by the guard. */
interface ThreadCall {
  readonly task: Task;
  readonly args: unknown[];
  readonly runInPool: RunInPool;
  /** Where the caller dispatched it, when it had to wait; sent with it when it reaches the pool. */
  readonly site?: DispatchSite;
  /**
   * A streamed call (`reactor.stream`): its items go to a stream made for a worker, so a spent budget that says
   * `'green'` cannot move it in-process; it errbacks `WorkerCrashedError` instead (the caller's next stream runs
   * in-process).
   */
  readonly streamed?: true;
}

/**
 * How many frames a held call's site keeps: past the guard's, the dispatcher's and the reactor's frames to the
 * caller's (the printed site starts at the public entry, see `describeDispatchSite`).
 */
const siteFrames = 10;

/** Where the guard sends calls. */
export interface CrashGuardTargets {
  /** Runs a call in-process (the green route), for a spent budget that says `'green'`. */
  inProcess(task: Task, args: unknown[]): Deferred<unknown>;
  /** The reactor's clock: crash times and `windowMs` are on it. */
  readonly clock: Scheduler;
  /**
   * Whether a failed call's task still runs in its worker (cancelled or timed out, deaf to its signal), calling
   * `free` once the worker let go of it: such a call keeps its place among the calls the budget lets into the pool
   * until then (see `AdmissionGateOptions.runsOn`). Absent: its place frees as its Deferred fires.
   */
  readonly runsOn?: RunsOn;
}

interface Guarded {
  readonly task: Task;
  readonly gate: AdmissionGate<ThreadCall>;
  /** True once a thread run of the task ended without crashing its worker. */
  proven: boolean;
}

/** Holds back the thread calls of tasks that may crash, per task, within what their crash budget has left. */
export class CrashGuard {
  readonly #policy: Policy;
  readonly #targets: CrashGuardTargets;
  /** By task id: another module's task of the same name has a budget of its own. */
  readonly #tasks = new Map<string, Guarded>();
  /** Sites of held calls, shared by the calls of one task held in one synchronous run of dispatches. */
  readonly #sites = new DispatchSites(siteFrames);

  /**
   * @param policy - the policy whose `adaptive.crashBudget` applies; told of every crash.
   * @param targets - the in-process route and the clock.
   */
  constructor(policy: Policy, targets: CrashGuardTargets) {
    this.#policy = policy;
    this.#targets = targets;
  }

  /**
   * Sends a thread call of `task` to the pool now, or holds it back until the budget allows it.
   * @param task - the Task.
   * @param args - its arguments.
   * @param runInPool - starts it in the pool the policy chose.
   * @param streamed - a `reactor.stream` call: held back and counted like the others, but never moved in-process.
   * @returns a Deferred of its result; `WorkerCrashedError` (or the in-process result) once the budget is spent.
   */
  run(task: Task, args: unknown[], runInPool: RunInPool, streamed = false): Deferred<unknown> {
    // A call decided before the budget was spent (it waited in a bulkhead meanwhile, say) meets the verdict here: the
    // gate admits nothing once the budget is spent, so queued there it would wait for a place that never frees.
    const verdict = this.#policy.crashVerdict(task);
    if (verdict !== undefined) return this.#instead(verdict, streamed ? { task, args, runInPool, streamed } : { task, args, runInPool });
    const gate = this.#guarded(task).gate;
    if (gate.wouldWait()) {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- the site's cut-off frame, never called
      const site = this.#sites.site(task, this.run);
      return gate.run(streamed ? { task, args, runInPool, site, streamed } : { task, args, runInPool, site }, startThread);
    }
    return gate.run(streamed ? { task, args, runInPool, streamed } : { task, args, runInPool }, startThread);
  }

  /**
   * Fails every held-back call with what `refusal` makes (the reactor is stopping); calls in the pool are left alone.
   * @param refusal - makes the error for a held-back call of a task.
   */
  refuseWaiting(refusal: (task: Task) => Error): void {
    for (const { gate } of this.#tasks.values()) gate.drain((call) => fail(refusal(call.task)));
  }

  /**
   * A thread run of `task` crashed its worker (the pool tells each crash as it happens, a retried one included, and
   * marks the error it errbacks with, see `crashReported`): counts it, acts on a spent budget, and says whether the
   * run may be retried — only while its calls in flight still fit in what the budget has left, so a retry never
   * takes a worker the budget does not allow.
   * @param task - the task.
   * @returns whether a retry may go.
   */
  crashed(task: Task | TaskIdentity): boolean {
    this.#count(task);
    if (this.#policy.crashVerdict(task) !== undefined) return false;
    const entry = this.#tasks.get(task.id);
    return entry === undefined || entry.gate.inFlight <= this.#allowance(entry.task, entry);
  }

  /**
   * A reload applied a new config: each task's held calls meet the budget in force now, not when the call of it in
   * the pool ends (which a task deaf to its signal may put off for long): a spent budget gives them its `then`, a
   * budget with room again (raised, its window shortened, removed) lets them into the pool. As a bulkhead does with a
   * new `maxConcurrent`.
   */
  reconfigure(): void {
    for (const { task, gate } of this.#tasks.values()) {
      if (gate.waiting === 0) continue;
      const verdict = this.#policy.crashVerdict(task);
      if (verdict === undefined) gate.pump();
      else gate.drain((call) => this.#instead(verdict, call));
    }
  }

  /** Calls of `task` waiting for the pool (0 when none are held). */
  waiting(task: Task): number {
    return this.#tasks.get(task.id)?.gate.waiting ?? 0;
  }

  #guarded(task: Task): Guarded {
    let guarded = this.#tasks.get(task.id);
    if (guarded === undefined) {
      const entry: Guarded = {
        task,
        proven: false,
        gate: new AdmissionGate<ThreadCall>(() => this.#allowance(task, entry), {
          onSettled: (result) => this.#settled(task, entry, result),
          // The task's own timeoutMs counts from dispatch, as it does in the pool's queue; so does a deadline scope's.
          onQueued: (outer, call) => armQueuedDeadline(outer, call.task.name, call.task.options.timeoutMs, this.#targets.clock),
          // A call cancelled while its task runs on in its worker can still crash it: it keeps its place until then,
          // so no more than the budget allows are in the pool at once.
          ...(this.#targets.runsOn === undefined ? {} : { runsOn: this.#targets.runsOn }),
        }),
      };
      guarded = entry;
      this.#tasks.set(task.id, guarded);
    }
    return guarded;
  }

  /** How many calls of the task may be in the pool at once now. */
  #allowance(task: Task, entry: Guarded): number {
    const budget = this.#policy.adaptive.crashBudget;
    if (budget === undefined) return Infinity; // the budget was removed by a reload
    if (this.#policy.crashVerdict(task) !== undefined) return 0; // spent: nothing more goes to the pool
    const recent = this.#policy.recentCrashes(task, this.#targets.clock.now());
    if (entry.proven && recent === 0) return Infinity;
    return Math.max(1, budget.crashes - recent);
  }

  /**
   * A thread call of the task ended: count a crash (and act on a spent budget), or note that it proved itself. Then,
   * if the budget is spent (by this crash, or by a reload since the calls waiting were held back: the gate admits
   * nothing more), the calls still held back get the verdict's `then`.
   */
  #settled(task: Task, entry: Guarded, result: unknown): void {
    if (!(result instanceof Failure)) entry.proven = true;
    else if (result.check(WorkerCrashedError) === null) {
      if (result.check(CancelledError, TimeoutError) === null) entry.proven = true; // it threw: its worker lived
    } else if ((result.value as Record<symbol, unknown> | null)?.[crashReported] !== true) {
      // Counted already when the pool told of it (every crash, retries included), or not this task's crash (it had
      // ended when its worker died); counted here otherwise (a pool that tells nothing).
      this.#count(task);
    }
    const verdict = entry.gate.waiting === 0 ? undefined : this.#policy.crashVerdict(task);
    if (verdict !== undefined) entry.gate.drain((call) => this.#instead(verdict, call));
  }

  /** Counts one crash of `task` and, once that spends its budget, empties its line (see `adaptive.crashBudget`'s then). */
  #count(task: Task | TaskIdentity): void {
    this.#policy.recordCrash(task, this.#targets.clock.now());
    const verdict = this.#policy.crashVerdict(task);
    if (verdict === undefined) return;
    this.#tasks.get(task.id)?.gate.drain((call) => this.#instead(verdict, call));
  }

  /** What a thread call of a task whose budget is spent gets instead of the pool (the verdict's `then`). Never throws. */
  #instead(verdict: CrashVerdict, call: ThreadCall): Deferred<unknown> {
    if (verdict.then === 'green' && call.streamed === undefined) {
      try {
        return this.#targets.inProcess(call.task, call.args);
      } catch (error) {
        return fail(error);
      }
    }
    const note = call.streamed === undefined ? '' : ' (a stream made for a worker cannot move in-process; a new stream of it runs in-process)';
    const name = call.task.name;
    return fail(new WorkerCrashedError(`Task \`${name}\` was not sent to a worker: ${verdict.reason}${note}`, { task: name }));
  }
}

function startThread(call: ThreadCall): Deferred<unknown> {
  return call.site === undefined ? call.runInPool(call.task, call.args) : withDispatchSite(call.site, () => call.runInPool(call.task, call.args));
}
