/**
 * `dispatch` and `explain` behind the reactor: ask the policy, then take the chosen path.
 *
 * The reactor hands it a narrow set of targets (its thread pool and its one greenlet-spawning helper,
 * called directly — one call per route —, the load it measures, its clock), so this module does not depend
 * on the facade. The `inline` route runs the
 * function now, synchronously, wrapped like `maybeDeferred` (a generator runs as `inlineCallbacks`); a
 * rule's `timeoutMs` is applied on top of the task's own with `addTimeout` on the reactor's clock.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { Deferred, isDeferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
import { isGenerator } from '../deferred/is-generator.js';
import { isThenable } from '../is-thenable.js';
import { succeed } from '../deferred/succeed.js';
import { ReactorStoppedError, TimeoutError, WorkerCrashedError } from '../errors.js';
import { callDeadline } from '../context/call-deadline.js';
import { scopedDeadline } from '../context/deadline-scope.js';
import { withDispatchSite } from '../dispatch-site.js';
import { isTask, type Task, type TaskIdentity } from '../task/task.js';
import { targetName } from '../task/target-name.js';
import type { Scheduler } from '../time/scheduler.js';
import type { Decision, DecidedRoute, DispatchLoad } from './decision.js';
import { decisionChannel, publishDecision } from './decision-channel.js';
import type { AutoTiming } from './auto-timing.js';
import type { DispatchPlan } from './dispatch-plan.js';
import type { RunsOn } from './admission-gate.js';
import { Bulkheads, type BulkheadStats, type PoolCapacity, type RoutedCall } from './bulkheads.js';
import { CrashGuard } from './crash-guard.js';
import { GreenStepSampler, type GreenStepSamplerOptions } from './green-step-sampler.js';
import { followPolicyChanges, type Policy, type PolicyChange, type PolicyStats } from './policy.js';
import { ruleLabel } from './compiled-rule.js';
import type { PolicyRule } from './policy-schema.js';
import { driveInlineGenerator, noteInlineRun, watchInlineRuns, watchLaterRun, whenInlineRunEnds } from './inline-runs.js';

/** A thread pool as the dispatcher calls it (the reactor's `ThreadPool`). */
export interface ThreadRunner {
  /** Runs a Task in a worker thread; never throws (bad input and a closed pool errback). */
  run(task: Task, ...args: unknown[]): Deferred<unknown>;
  /** Like `run`, but the call travels in a message of its own, never coalesced (a rule's `coalesce: false`). */
  runAlone?(task: Task, args: readonly unknown[]): Deferred<unknown>;
  /** Calls waiting for a worker now (a bulkhead's waiting calls count toward `maxQueue` with them). */
  readonly queueDepth?: number;
  /** The pool's options; only `maxQueue` is read. */
  readonly options?: { readonly maxQueue?: number };
}

/**
 * What the dispatcher needs from the reactor: each route's one entry point, called directly (the reactor's
 * `dispatch` has already refused a stopped reactor, and the policy has already refused what is neither a Task
 * nor a function).
 */
export interface DispatchTargets {
  /** The pool a thread decision runs in. */
  readonly threadPool: ThreadRunner;
  /** The named pools (the policy's `pools`) a rule's `pool` sends thread calls to. */
  readonly pools?: ReadonlyMap<string, ThreadRunner>;
  /** Spawns a Task or a function as a greenlet on the reactor's hub and returns its Deferred. */
  spawnDeferred(task: Task | ((...args: any[]) => unknown), args: unknown[]): Deferred<unknown>;
  /** Runs a Task on a remote host (errbacks `TypeError` when the reactor has no remote backend). */
  deferToRemote?(task: Task, ...args: unknown[]): Deferred<unknown>;
  /** The load the rules see; fields are read only when a rule needs them. */
  readonly load: DispatchLoad;
  /** The clock a rule's `timeoutMs` counts on. */
  readonly clock: Scheduler;
  /**
   * Whether a failed call's work still runs on its route (a thread task deaf to its cancel, a killed greenlet not dead
   * yet), calling `free` once it stopped: a bulkhead, and the crash budget's gate, keep such a call's place until then.
   * Absent: it frees at once.
   */
  readonly runsOn?: RunsOn;
}

/** Options of {@link PolicyDispatcher}. */
export interface PolicyDispatcherOptions {
  /** How green runs of Tasks that `auto` chose are sampled for blocking (see {@link GreenStepSampler}). */
  greenSampling?: GreenStepSamplerOptions;
  /**
   * Once a task's in-process window is full (its first `sampleSize` in-process runs are each timed), on average one
   * inline run in this many that `auto` chose is timed (two clock reads), to catch a task that blocks the loop now
   * and then and to keep its window current. The gaps between timed runs vary at random (1 to twice this, less
   * one), so a task that blocks on every n-th call cannot fall between them for ever; the first sampled run is the
   * `inlineSampleEvery`-th.
   * @defaultValue 16
   */
  inlineSampleEvery?: number;
  /**
   * Randomness for the gaps between timed inline runs (tests pass a seeded one).
   * @defaultValue Math.random
   */
  random?: () => number;
  /**
   * The wall time (ms) inline runs are timed with (tests pass a fake one).
   * @defaultValue performance.now
   */
  now?: () => number;
}

/** Dispatches per decided route; `remote` is present once a call was routed there. */
export type RouteCounts = Record<Exclude<DecidedRoute, 'remote'>, number> & { remote?: number };

/** Where {@link PolicyDispatcher.handOff} lets the caller start a call itself. */
export type HandOffRoute = 'thread' | 'green';

/** The policy part of `reactor.stats()`: the Policy's own stats plus what dispatch did. */
export interface PolicyDispatchStats extends PolicyStats {
  /** Dispatches per decided route (`remote` only once a call was routed there). */
  routes: RouteCounts;
  /** Dispatches per matching rule label. */
  ruleHits: Record<string, number>;
  /** The bulkhead of each rule with `maxConcurrent` that decided a call: its limit, calls in flight and waiting. */
  bulkheads: Record<string, BulkheadStats>;
}

/** A settled Promise: a reaction on it runs at the next microtask checkpoint (see PolicyDispatcher.#nextGap). */
const settled = Promise.resolve();

/** Routes each dispatch through the policy to a thread, a greenlet or an inline call. */
export class PolicyDispatcher {
  readonly #policy: Policy;
  readonly #targets: DispatchTargets;
  /** Per route; `remote` appears once a call went there (most reactors have no remote backend). */
  #threadRuns = 0;
  #greenRuns = 0;
  #inlineRuns = 0;
  #remoteRuns = 0;
  readonly #ruleHits = new Map<string, number>();
  /** The tasks `auto` has sent to threads, by id: their thread runs feed it (see {@link PolicyDispatcher.threadRunTimed}). */
  readonly #learning = new Map<string, TaskIdentity>();
  readonly #sampler: GreenStepSampler;
  readonly #inlineSampleEvery: number;
  #inlineCountdown: number;
  /** Sampled inline runs still to be timed one by one after a stall (see #nextGap). */
  #stallRuns = 0;
  /** When the last timed inline run ended (`now`'s scale); NaN once a microtask checkpoint passed since. */
  #lastTimedEnd = Number.NaN;
  #checkpointQueued = false;
  readonly #random: () => number;
  readonly #now: () => number;
  /** With `adaptive.crashBudget` set, thread calls pass through it (see {@link CrashGuard}). */
  readonly #crashGuard: CrashGuard;
  /** Rules' `maxConcurrent`: calls of such a rule pass its gate (see {@link Bulkheads}). */
  readonly #bulkheads: Bulkheads;
  /**
   * A one-entry cache: the last Task dispatched with a {@link DispatchPlan.fixed} plan, that plan, and the policy's
   * generation when it was made. A run of calls of one task (the common case in a loop) costs two comparisons
   * instead of the policy's per-task lookup; a reload or anything `auto` learns changes the generation.
   */
  #lastTask: unknown = undefined;
  #lastPlan: DispatchPlan | undefined = undefined;
  #lastGeneration = Number.NaN;
  /**
   * The route the caller may hand the last task's calls to itself (see {@link PolicyDispatcher.handOff}): `'thread'`
   * for a bare thread plan with no crash budget, `'green'` for a bare green plan `auto` did not make; else undefined.
   */
  #lastHandOff: HandOffRoute | undefined = undefined;
  /**
   * The last task when its plan runs on {@link PolicyDispatcher.dispatch}'s fast path, else undefined: inline with
   * nothing around the call, its runs not all timed (no timing, or `auto`'s sampled timing), its function loaded.
   * Cleared for good by {@link PolicyDispatcher.close}. See {@link PolicyDispatcher.inlineTask}.
   */
  #inlineTask: unknown = undefined;
  /** Stops {@link PolicyDispatcher.#reconfigured} following the policy's changes (set from the first bulkhead call). */
  #unfollow: (() => void) | undefined = undefined;
  /** Set by {@link PolicyDispatcher.close}: no plan is kept as the last task's any more. */
  #closed = false;
  /** `auto` (the policy) when it made the last task's plan: an inline run that turns out asynchronous is reported. */
  #lastLearner: Policy | undefined = undefined;
  /** `auto`'s sampled timing applies to the last task's fast-path runs. */
  #lastSampled = false;
  /**
   * Fast-path runs of the last task not yet added to its route's count and its rule's hits: the fast
   * path adds one here, the one count {@link PolicyDispatcher.#count} adds them when the cache entry changes or
   * `stats()` reads the counts.
   */
  #lastRuns = 0;

  /**
   * @param policy - the policy that decides.
   * @param targets - the reactor's paths, load and clock.
   */
  constructor(policy: Policy, targets: DispatchTargets, options: PolicyDispatcherOptions = {}) {
    this.#policy = policy;
    this.#targets = targets;
    this.#now = options.now ?? (() => performance.now());
    this.#sampler = new GreenStepSampler(policy, { now: this.#now, ...options.greenSampling });
    this.#inlineSampleEvery = Math.max(1, Math.floor(options.inlineSampleEvery ?? 16));
    this.#inlineCountdown = this.#inlineSampleEvery;
    this.#random = options.random ?? Math.random;
    // An inline call a bulkhead started runs on until what it waits on ended, a Deferred cancelled with no canceller
    // until its maker fires it (inline-runs.ts); the reactor knows the other routes (and those an inline generator
    // waited on).
    const routeRunsOn = targets.runsOn;
    const runsOn: RunsOn = (inner, free) => whenInlineRunEnds(inner, free, routeRunsOn);
    this.#bulkheads = new Bulkheads(targets.clock, runsOn);
    this.#crashGuard = new CrashGuard(policy, {
      inProcess: (task, args) => targets.spawnDeferred(task, args),
      clock: targets.clock,
      ...(targets.runsOn === undefined ? {} : { runsOn: targets.runsOn }),
    });
  }

  /**
   * A config was applied (a reload, `update`): the bulkheads take their rules' new `maxConcurrent` now, so calls a
   * raised limit lets in start at the reload, not at the next call or ending of one; the calls the crash budget holds
   * back meet the budget in force now (see `CrashGuard.reconfigure`). Told before the `'change'`
   * listeners (a user's that throws cannot keep it from this), and not as one of them (`followPolicyChanges`: any
   * number of reactors may share a policy). Followed from the first call that passes a bulkhead or the
   * crash budget until {@link PolicyDispatcher.close}.
   */
  readonly #reconfigured = ({ config }: PolicyChange): void => {
    const before = this.#rulesInForce;
    const after = config.rules ?? [];
    this.#rulesInForce = after;
    this.#bulkheads.reconfigure((label) => ruleAfterReload(label, before, after));
    this.#crashGuard.reconfigure();
  };

  /** The rules in force when the bulkheads' labels were last given (see #reconfigured). */
  #rulesInForce: ReadonlyArray<Readonly<PolicyRule>> = [];

  /** Follows the policy's changes from the first call that passes a bulkhead or the crash budget (see #reconfigured). */
  #followChanges(): void {
    if (this.#unfollow === undefined && !this.#closed) {
      this.#rulesInForce = this.#policy.config.rules ?? [];
      this.#unfollow = followPolicyChanges(this.#policy, this.#reconfigured);
    }
  }

  /** The policy that decides. */
  get policy(): Policy {
    return this.#policy;
  }

  /**
   * The task whose cached plan runs inline with nothing around the call (the last task dispatched, when its plan is
   * such), or undefined. The reactor's `dispatch` sends a call of this task straight to
   * {@link PolicyDispatcher.dispatch}, skipping its stopped-reactor and hand-off checks: `dispatch` checks that the
   * plan is still current, and the reactor calls {@link PolicyDispatcher.close} as it starts stopping, so a stopped
   * reactor's calls never take this path.
   *
   * Why: on the inline route a call costs tens of nanoseconds, and those checks, and the bytecode they add to the
   * function V8 inlines the route into, were a good part of it. With this and a smaller `dispatch` (see there), the
   * inline hand-off measured alone (dist, 100 calls a batch, 3,000 rounds rotating with an inline `maybeDeferred`
   * and an A/A control, load ~11) went from 1.62-1.91× `maybeDeferred`'s cost (5 runs of 6; the sixth 1.34×) to
   * 1.25-1.32× (6 of 6); skipping the two checks alone read 1.27-1.31× in 3 runs of 4 and 1.61× in one.
   */
  get inlineTask(): unknown {
    return this.#inlineTask;
  }

  /**
   * The reactor is stopping: forget the last task's plan and keep none from now on, so every later call of the
   * reactor's `dispatch` passes its stopped-reactor check (see {@link PolicyDispatcher.inlineTask}).
   */
  close(): void {
    this.#unfollow?.();
    this.#unfollow = undefined;
    this.#flushLastRuns();
    this.#closed = true;
    this.#lastTask = undefined;
    this.#lastPlan = undefined;
    this.#inlineTask = undefined;
    this.#lastHandOff = undefined;
  }

  /**
   * Whether the caller may start this call on its route itself, and where: the cached plan of `task` is a thread call
   * with nothing around it (no rule timeout, bulkhead, named pool, `coalesce` or crash budget) or a green call with
   * nothing around it that `auto` did not make, and no one subscribes to the decision channel. The call is then
   * counted here, and the caller sends it exactly as `deferToThread` or `deferToGreenlet` would; otherwise it calls
   * {@link PolicyDispatcher.dispatch}.
   *
   * Why: the reactor's `dispatch` then sends a thread call from its own frame, as `deferToThread` does: the pool
   * captures the dispatch site a few frames nearer the caller (the capture's cost grows with each optimised frame
   * it walks), and spreads the reactor's own rest arguments. Thread and green calls also stop passing through
   * `dispatch`'s general path, whose compiled code otherwise slows the inline route's calls beside them (V8 compiles
   * the paths a function has run into it). Measured (A/B in one process, load 6-7 on 2 cores): the thread hand-off
   * through `dispatch` went from 1.05-1.07× of `deferToThread`'s to 1.00-1.02×, the inline one from 1.35-1.66× of
   * `maybeDeferred`'s to 1.25-1.29× (bench/policy.bench.ts measures both).
   * @param task - what the caller dispatches.
   * @returns `'thread'` or `'green'` (counted as dispatched), or `undefined`: call `dispatch`.
   */
  handOff(task: unknown): HandOffRoute | undefined {
    const route = this.#lastHandOff;
    if (route === undefined || task !== this.#lastTask || this.#lastGeneration !== this.#policy.generation || decisionChannel.hasSubscribers) {
      return undefined;
    }
    this.#lastRuns += 1;
    return route;
  }

  /**
   * Decides and runs. Never throws: bad input errbacks the returned Deferred.
   * @param task - a Task or a plain function.
   * @param args - its arguments.
   * @returns a Deferred of the result.
   */
  dispatch(task: unknown, args: unknown[]): Deferred<unknown> {
    // Kept small, so V8 inlines it into the caller whatever routes its call site has seen: the cached inline plan
    // costs two comparisons, a few flag reads, one increment, the call and its Deferred; everything else is
    // #dispatchPlanned. Small in bytecode too: V8 inlines at most ~920 bytes of bytecode into one optimised function,
    // and when the reactor's dispatch, this, callInline and the Deferred's code went past it (the general path was
    // here as well) one of them stayed a call: 1.6× an inline maybeDeferred instead of 1.3×, depending on which
    // compile came first (--max-inlined-bytecode-size-cumulative=3000 gave 1.3× every time).
    if (
      task === this.#inlineTask &&
      this.#lastGeneration === this.#policy.generation &&
      !decisionChannel.hasSubscribers &&
      scopedDeadline() === undefined &&
      (!this.#lastSampled || --this.#inlineCountdown > 0)
    ) {
      this.#lastRuns += 1;
      return callInline((task as Task).fn as (...a: unknown[]) => unknown, args, this.#lastLearner, task as Task);
    }
    return this.#dispatchPlanned(task, args);
  }

  /** {@link PolicyDispatcher.dispatch} past its fast path: the cached plan of the last task, or the policy's. */
  #dispatchPlanned(task: unknown, args: unknown[]): Deferred<unknown> {
    if (task === this.#lastTask && this.#lastGeneration === this.#policy.generation) return this.#planned(task, args, this.#lastPlan as DispatchPlan);
    let plan: DispatchPlan;
    try {
      plan = this.#lookUp(task, args);
    } catch (error) {
      return notATask(error);
    }
    return this.#planned(task, args, plan);
  }

  /** `dispatch` past the fast path: the bare paths of a plan with nothing around the call, else {@link #routed}. */
  #planned(task: unknown, args: unknown[], plan: DispatchPlan): Deferred<unknown> {
    if (!decisionChannel.hasSubscribers) {
      // The inline route with nothing around the call (no rule timeout, bulkhead, deadline scope or subscriber): run
      // it now. This is what #routed does for such a call, without re-reading the decision.
      if (plan.bareInline) {
        const fn = plan.plain ? (task as (...a: unknown[]) => unknown) : ((task as Task).fn as ((...a: unknown[]) => unknown) | undefined);
        if (fn !== undefined && scopedDeadline() === undefined) return this.#bareInline(fn, args, plan);
      } else if (plan.bareGreen) {
        return this.#bareGreen(task as Task | ((...a: unknown[]) => unknown), args, plan);
      } else if (plan.bareThread) {
        return this.#bareThread(task as Task, args, plan);
      }
    }
    return this.#routed(task as Task | ((...a: unknown[]) => unknown), plan.decision, args);
  }

  /**
   * The policy's plan for a call; a {@link DispatchPlan.fixed} plan of a Task is kept as the last task's, with the
   * policy's generation read before it was made (a plan made while the generation moved is looked up again next
   * time). Plain functions are not kept: a closure made per call would never hit, and holding it would keep what it
   * captured alive until the next dispatch.
   * @throws TypeError when `task` is neither a Task nor a function.
   */
  #lookUp(task: unknown, args: unknown[]): DispatchPlan {
    const generation = this.#policy.generation;
    const plan = this.#policy.plan(task, args, this.#targets.load);
    if (plan.fixed && !plan.plain && !this.#closed) {
      this.#flushLastRuns();
      this.#lastTask = task;
      this.#lastPlan = plan;
      this.#lastGeneration = generation;
      // (A Task's fn never changes: a taskFrom task's stays undefined, and its calls take #planned, which loads it.)
      const fast = plan.bareInline && plan.timing !== 'every' && (task as Task).fn !== undefined;
      this.#inlineTask = fast ? task : undefined;
      this.#lastSampled = plan.timing === 'sampled';
      this.#lastLearner = plan.timing === undefined ? undefined : this.#policy;
      // (The call that made the plan goes on through #planned, which tells #learning of an auto thread decision.)
      this.#lastHandOff = handOffRoute(plan, this.#policy.adaptive.crashBudget === undefined);
    }
    return plan;
  }

  /** Adds the last task's fast-path runs to the counts (before its cache entry changes, and for `stats()`). */
  #flushLastRuns(): void {
    if (this.#lastRuns === 0) return;
    this.#count((this.#lastPlan as DispatchPlan).decision, this.#lastRuns);
    this.#lastRuns = 0;
  }

  /**
   * Counts `n` dispatches of a decision: its route's count and, when a rule decided it, the rule's hits. The one
   * definition of what a dispatch counts; every path calls it (the fast path through {@link #flushLastRuns}).
   */
  #count(decision: Decision, n: number): void {
    // A switch, not this.#routes[decision.route]: a keyed access seeing every route's name goes megamorphic, which
    // cost the green and thread hand-offs ~20-40 ns a call.
    switch (decision.route) {
      case 'inline':
        this.#inlineRuns += n;
        break;
      case 'green':
        this.#greenRuns += n;
        break;
      case 'thread':
        this.#threadRuns += n;
        break;
      default:
        this.#remoteRuns += n;
    }
    if (decision.rule !== undefined) this.#ruleHits.set(decision.rule, (this.#ruleHits.get(decision.rule) ?? 0) + n);
  }

  /**
   * A thread call with nothing around it (see {@link DispatchPlan.bareThread}): counted and sent to the reactor's
   * pool, as #start does for it, without re-reading the decision or a second lookup of whether `auto` made it (the
   * plan's timing says so; its thread runs then feed `auto`). Passes the crash budget when one is set. Never throws.
   */
  #bareThread(task: Task, args: unknown[], plan: DispatchPlan): Deferred<unknown> {
    this.#count(plan.decision, 1);
    if (plan.timing !== undefined) this.#learning.set(task.id, task);
    const pool = this.#targets.threadPool;
    try {
      if (this.#policy.adaptive.crashBudget === undefined) return pool.run(task, ...args);
      this.#followChanges();
      return this.#crashGuard.run(task, args, (t, a) => pool.run(t, ...a));
    } catch (error) {
      return fail(error);
    }
  }

  /**
   * A green call with nothing around it (see {@link DispatchPlan.bareGreen}): counted and spawned, as #routed does
   * for it, without re-reading the decision or looking up `auto`'s timing again. Never throws.
   */
  #bareGreen(target: Task | ((...a: unknown[]) => unknown), args: unknown[], plan: DispatchPlan): Deferred<unknown> {
    this.#count(plan.decision, 1);
    try {
      return this.#green(target, plan.timing, args);
    } catch (error) {
      return fail(error);
    }
  }

  /** The general path of a decided call: published, counted, through its bulkhead if any, with the rule's timeout. */
  #routed(target: Task | ((...a: unknown[]) => unknown), decision: Decision, args: unknown[]): Deferred<unknown> {
    if (decisionChannel.hasSubscribers) publishDecision(identityOf(target), decision);
    this.#count(decision, 1);
    let d: Deferred<unknown>;
    try {
      d =
        decision.maxConcurrent === undefined
          ? this.#start(target, decision, args)
          : this.#throughBulkhead({ target, decision, args }, this.#startRouted);
    } catch (error) {
      return fail(error);
    }
    if (decision.timeoutMs !== undefined) d.addTimeout(decision.timeoutMs, this.#targets.clock);
    return d;
  }

  /**
   * An inline call with nothing around it (see {@link DispatchPlan.bareInline}), on a loaded function: counted, run
   * now, and for `auto` timed as {@link PolicyDispatcher.#inline} times it (every run while the task's in-process
   * window fills, then a random one in `inlineSampleEvery`). Never throws: a throwing `'learn'` listener fails the
   * call, as on the general path.
   */
  #bareInline(fn: (...a: unknown[]) => unknown, args: unknown[], plan: DispatchPlan): Deferred<unknown> {
    this.#count(plan.decision, 1);
    const timing = plan.timing;
    if (timing === undefined) return callInline(fn, args);
    if (timing === 'sampled' && --this.#inlineCountdown > 0) return callInline(fn, args, this.#policy, plan.task);
    return this.#timedBareInline(fn, args, timing === 'sampled', plan.task);
  }

  /** {@link PolicyDispatcher.#timedInline} for the bare inline path, which must not throw (a `'learn'` listener may). */
  #timedBareInline(fn: (...a: unknown[]) => unknown, args: unknown[], sampled: boolean, task: TaskIdentity): Deferred<unknown> {
    try {
      return this.#timedInline(fn, args, sampled, task);
    } catch (error) {
      return fail(error);
    }
  }

  /** Starts a call its bulkhead released; one that waited sends the dispatch site captured when the caller sent it. */
  readonly #startRouted = (call: RoutedCall): Deferred<unknown> => {
    if (call.decision.route === 'inline') return watchInlineRuns(() => this.#start(call.target, call.decision, call.args));
    return call.site === undefined
      ? this.#start(call.target, call.decision, call.args)
      : withDispatchSite(call.site, () => this.#start(call.target, call.decision, call.args));
  };

  /**
   * Passes a call started elsewhere (a stream, `reactor.stream`) through its rule's bulkhead, as `dispatch` does:
   * now when the rule sets no `maxConcurrent` or has room, else once a place frees (FIFO, cancellable while it
   * waits; on threads the waiting call counts toward the pool's `maxQueue`).
   * @param call - the call and the decision `explain` gave for it.
   * @param start - starts it on its route (called at most once).
   * @returns `start`'s Deferred, or one that follows it once the call was admitted.
   */
  admit(call: RoutedCall, start: () => Deferred<unknown>): Deferred<unknown> {
    if (call.decision.maxConcurrent === undefined) {
      try {
        return start();
      } catch (error) {
        return fail(error); // as a bulkhead's gate does with a `start` that throws: the call fails, never its caller
      }
    }
    // A call that waited sends the dispatch site captured when the caller sent it (as #startRouted does). An inline
    // run's Promise is watched (see inline-runs.ts) when the route notes it.
    if (call.decision.route === 'inline') return this.#throughBulkhead(call, () => watchInlineRuns(start));
    return this.#throughBulkhead(call, (held) => (held.site === undefined ? start() : withDispatchSite(held.site, start)));
  }

  /** Runs a call through its rule's bulkhead; the first such call makes the dispatcher follow reloads (see #reconfigured). */
  #throughBulkhead(call: RoutedCall, start: (call: RoutedCall) => Deferred<unknown>): Deferred<unknown> {
    this.#followChanges();
    return this.#bulkheads.run(call, start, this.#capacityFor(call.decision));
  }

  /**
   * Sends a thread call that `run` starts in a pool through the crash budget, when the policy sets one (SPEC §7:
   * it counts the task's crashes and holds back its calls that could crash a worker); without one, calls `run`.
   * For calls the dispatcher does not start itself: `reactor.stream`'s thread runs.
   * @param task - the Task.
   * @param args - its arguments.
   * @param run - starts it in its pool.
   * @returns `run`'s Deferred, or one that follows it once the budget let it through.
   */
  guardStream(task: Task, args: unknown[], run: () => Deferred<unknown>): Deferred<unknown> {
    if (this.#policy.adaptive.crashBudget === undefined) return run();
    this.#followChanges();
    return this.#crashGuard.run(task, args, run, true);
  }

  /**
   * A thread run of `task` crashed its worker (a pool's `onCrash`): with a crash budget set, counts it and says
   * whether the run's retry may go (see `CrashGuard.crashed`); without one, every retry may go.
   * @param task - the task.
   * @returns whether a retry may go.
   */
  threadCrashed(task: TaskIdentity): boolean {
    if (this.#policy.adaptive.crashBudget === undefined) return true;
    return this.#crashGuard.crashed(task);
  }

  /** Starts a decided call on its route (past its bulkhead, if any). May throw: the caller fails the call. */
  #start(target: Task | ((...a: unknown[]) => unknown), decision: Decision, args: unknown[]): Deferred<unknown> {
    if (decision.route === 'thread') {
      const task = target as Task;
      if (decision.crashBudgetSpent === true) {
        return fail(new WorkerCrashedError(`Task \`${task.name}\` was not sent to a worker: ${decision.reason}`, { task: task.name }));
      }
      const pool = this.#poolFor(decision);
      if (pool === undefined) return fail(unknownPool(decision));
      if (this.#policy.isAutoDecision(decision)) this.#learning.set(task.id, task);
      const run =
        decision.coalesce === false && pool.runAlone !== undefined
          ? (t: Task, a: unknown[]): Deferred<unknown> => pool.runAlone!(t, a)
          : (t: Task, a: unknown[]): Deferred<unknown> => pool.run(t, ...a);
      if (this.#policy.adaptive.crashBudget === undefined) return run(task, args);
      this.#followChanges();
      return this.#crashGuard.run(task, args, run);
    }
    if (decision.route === 'remote') return this.#remote(target as Task, args);
    if (decision.route === 'green') return this.#green(target, this.#policy.autoTiming(decision), args);
    return this.#inline(target, decision, args);
  }

  /** The pool a thread decision runs in: the named one, or the reactor's. */
  #poolFor(decision: Decision): ThreadRunner | undefined {
    return decision.pool === undefined ? this.#targets.threadPool : this.#targets.pools?.get(decision.pool);
  }

  /** On threads: the chosen pool's queue, which a bulkhead's waiting calls count toward. */
  #capacityFor(decision: Decision): PoolCapacity | undefined {
    if (decision.route !== 'thread') return undefined;
    const pool = this.#poolFor(decision);
    const maxQueue = pool?.options?.maxQueue ?? Infinity;
    return maxQueue === Infinity ? undefined : { queueDepth: pool?.queueDepth ?? 0, maxQueue };
  }

  /**
   * Decides without running anything, as `dispatch` would now (the cached decision: what `reactor.stream` routes by).
   * @param task - a Task or a plain function.
   * @param args - the arguments it would get.
   * @returns the decision.
   * @throws TypeError when `task` is neither a Task nor a function.
   */
  decide(task: unknown, args: unknown[]): Decision {
    return this.#policy.decide(task, args, this.#targets.load);
  }

  /**
   * Decides without running anything, with `auto`'s figures as they are now (see `Policy.explain`): for
   * `reactor.explain`.
   * @param task - a Task or a plain function.
   * @param args - the arguments it would get.
   * @returns the decision.
   * @throws TypeError when `task` is neither a Task nor a function.
   */
  explain(task: unknown, args: unknown[]): Decision {
    return this.#policy.explain(task, args, this.#targets.load);
  }

  /**
   * Runs an inline decision now, within the caller's `withDeadline` scope (SPEC §10): past the deadline it never
   * runs; an asynchronous result ends with `TimeoutError` when the deadline passes.
   */
  #inline(target: Task | ((...a: unknown[]) => unknown), decision: Decision, args: unknown[]): Deferred<unknown> {
    const limit = callDeadline(undefined, this.#targets.clock);
    if (limit !== undefined && limit.timeoutMs <= 0) {
      return fail(new TimeoutError(`Task \`${targetName(target)}\` was not started: the deadline of its withDeadline scope had passed`));
    }
    // One lookup says whether auto chose this (its runs teach it) and whether this run is timed: while the task's
    // in-process window fills every run is, then one in inlineSampleEvery on average (see #timedInline).
    const timing = this.#policy.autoTiming(decision);
    const d =
      timing === undefined
        ? runInline(target, args)
        : timing === 'sampled' && --this.#inlineCountdown > 0
          ? runInline(target, args, this.#policy)
          : this.#timedInline(target, args, timing === 'sampled', identityOf(target));
    if (limit !== undefined && !d.called) d.addTimeout(limit.timeoutMs, this.#targets.clock);
    return d;
  }

  /** Sends a remote decision to the reactor's backend; without one, errbacks `TypeError`. */
  #remote(task: Task, args: unknown[]): Deferred<unknown> {
    if (this.#targets.deferToRemote === undefined) {
      return fail(new TypeError(`Task \`${task.name}\` is routed to 'remote' but this reactor has no remote backend (new Reactor({ remote }))`));
    }
    return this.#targets.deferToRemote(task, ...args);
  }

  /** Spawns a green decision (`timing`: auto's, when auto made it); a sample of auto's Tasks run as their timed twin. */
  #green(target: Task | ((...a: unknown[]) => unknown), timing: AutoTiming | undefined, args: unknown[]): Deferred<unknown> {
    if (timing !== undefined && isTask(target)) {
      return this.#targets.spawnDeferred(this.#sampler.pick(target, timing === 'every'), args);
    }
    return this.#targets.spawnDeferred(target, args);
  }

  /**
   * Told of every finished thread run (the reactor wires its pool's `onRunTimed` here): a run of a task `auto`
   * sent to threads feeds `auto`'s sliding window of its last `adaptive.sampleSize` run times. One Map lookup per
   * run; runs of tasks `auto` never routed (a rule, the default, a direct `deferToThread`) are not fed. By the
   * task's id, not its name: another module's task of the same name has a window of its own.
   * @param id - the task's id (`moduleUrl#exportName`).
   * @param waitMs - time from dispatch to start.
   * @param runMs - time the worker ran it.
   */
  threadRunTimed(id: string, waitMs: number, runMs: number): void {
    const task = this.#learning.get(id);
    if (task !== undefined) this.#policy.recordThreadRun(task, runMs, waitMs);
  }

  /**
   * A timed inline run `auto` chose: each one while the task's in-process window fills, then (`sampled`, which
   * draws the next gap) on average one in `inlineSampleEvery` (random gaps: a fixed stride let a task that stalls on every n-th call fall between the timed
   * runs for ever). A timed run feeds the task's in-process window (`recordInProcessRun`): runs longer than
   * `blockingThresholdMs` send it to threads for good, a median that grew past `minThreadRunMs` sends it back to
   * threads. A function that returns a thenable or a generator runs green from then on.
   */
  #timedInline(target: Task | ((...a: unknown[]) => unknown), args: unknown[], sampled: boolean, task: TaskIdentity): Deferred<unknown> {
    const fn = isTask(target) ? (target.fn as ((...a: unknown[]) => unknown) | undefined) : target;
    const start = this.#now();
    if (sampled) this.#inlineCountdown = this.#nextGap(start);
    if (fn === undefined) {
      // A taskFrom task: its function runs once imported, in a callback; that run is what is timed, not the start of
      // the import (which took no time, so a task that held the loop for seconds was never moved to threads).
      return runInline(target, args, this.#policy, task, (run) => {
        const runStart = this.#now();
        try {
          return run();
        } finally {
          this.#timed(task, runStart);
        }
      });
    }
    // Only the function's own run is timed, not the Deferred made of a plain result: an allocation inside the timed
    // span can start a scavenge there, and on two loaded cores 5 of 772 collections of a dispatch loop took 20 to
    // 78 ms (--trace-gc, load ~6) — long enough to send a task that allocates nothing to threads for good.
    let result: unknown;
    try {
      result = applyArgs(fn, args);
    } catch (error) {
      this.#timed(task, start);
      return fail(error);
    }
    if (result === null || (typeof result !== 'object' && typeof result !== 'function')) {
      this.#timed(task, start);
      return succeed(result);
    }
    try {
      return objectResult(result, fn, this.#policy, task); // a generator is driven now: its steps are timed too
    } finally {
      this.#timed(task, start);
    }
  }

  /** Ends a timed inline run begun at `start`: feeds its time to `auto` and notes when it ended (see #nextGap). */
  #timed(task: TaskIdentity, start: number): void {
    const end = this.#now();
    this.#lastTimedEnd = end;
    if (!this.#checkpointQueued) {
      this.#checkpointQueued = true;
      void settled.then(this.#checkpoint);
    }
    this.#policy.recordInProcessRun(task, end - start, 'inline run');
  }

  /**
   * The runs until the next timed one: a random gap (1 to twice `inlineSampleEvery`, less one), or 1 while runs are
   * timed one by one after a stall. A stall is seen when more than `blockingThresholdMs` passed since the last timed
   * run ended and no microtask checkpoint came between (`#lastTimedEnd` is cleared at each): the loop was held that long
   * by the synchronous stretch of code since, untimed runs of `auto`'s inline tasks among it. The next
   * 2 × `sampleSize` × `inlineSampleEvery` runs are then all timed, so a task that blocks on every n-th call is caught
   * at its next blocking call rather than by chance (one in `inlineSampleEvery`); code of the caller's that held the
   * loop costs only that timing (two clock reads a run), never a move.
   */
  #nextGap(start: number): number {
    const adaptive = this.#policy.adaptive;
    if (start - this.#lastTimedEnd > adaptive.blockingThresholdMs) this.#stallRuns = 2 * adaptive.sampleSize * this.#inlineSampleEvery;
    if (this.#stallRuns > 0) {
      this.#stallRuns -= 1;
      return 1;
    }
    return 1 + Math.floor(this.#random() * (2 * this.#inlineSampleEvery - 1));
  }

  readonly #checkpoint = (): void => {
    this.#checkpointQueued = false;
    this.#lastTimedEnd = Number.NaN;
  };

  /**
   * The reactor is stopping: every call still waiting in a bulkhead or held back by the crash budget errbacks
   * `ReactorStoppedError` now (it never started, and would otherwise start on a closing pool or hub, or never).
   * Calls already on their route are left to the route's own shutdown.
   */
  refuseWaiting(): void {
    const refusal = (name: string): Error => new ReactorStoppedError(`Task \`${name}\` was waiting for its bulkhead or crash budget when the reactor stopped; it never ran`);
    this.#bulkheads.refuseWaiting((call) => refusal(targetName(call.target)));
    this.#crashGuard.refuseWaiting((task) => refusal(task.name));
  }

  /** The policy's stats plus per-route and per-rule dispatch counts. */
  stats(): PolicyDispatchStats {
    this.#flushLastRuns();
    const routes: RouteCounts = { thread: this.#threadRuns, green: this.#greenRuns, inline: this.#inlineRuns };
    if (this.#remoteRuns > 0) routes.remote = this.#remoteRuns;
    return { ...this.#policy.stats(), routes, ruleHits: Object.fromEntries(this.#ruleHits), bulkheads: this.#bulkheads.stats() };
  }
}

/**
 * Runs a task or function now, synchronously: a thrown error fails the Deferred, a Promise or Deferred is
 * followed, a generator is driven like `inlineCallbacks`. A `taskFrom` task not imported yet is imported
 * first (the only case that is not synchronous). With `learner` (an `auto` run), a result that shows the
 * function is asynchronous (a generator, a Deferred or a thenable) is reported, as `task`, so it runs green next.
 * With `timeRun` (`auto` timing it), the run of a function imported first goes through it, once imported.
 */
function runInline(
  target: Task | ((...a: unknown[]) => unknown),
  args: unknown[],
  learner?: Policy,
  task?: TaskIdentity,
  timeRun?: (run: () => Deferred<unknown>) => Deferred<unknown>,
): Deferred<unknown> {
  if (!isTask(target)) return callInline(target, args, learner, task);
  if (target.fn === undefined) {
    const d = Deferred.fromPromise(target.load());
    // Run once imported, after a bulkhead's start returned: watched as the call was (inline-runs.ts), and timed for
    // `auto` there (`timeRun`), not here, where only the import starts.
    const later = watchLaterRun(d);
    return d.addCallback((loaded) => {
      const call = (): Deferred<unknown> => callInline(loaded as (...a: unknown[]) => unknown, args, learner, target);
      const run = timeRun === undefined ? call : (): Deferred<unknown> => timeRun(call);
      return later === undefined ? run() : later(run);
    });
  }
  return callInline(target.fn as (...a: unknown[]) => unknown, args, learner, target);
}

/**
 * {@link runInline} on a loaded function: `task` (else the function itself) is what `learner` is told. Kept small, so
 * V8 inlines it into `dispatch` (the classification of an object result is {@link objectResult}).
 */
function callInline(fn: (...a: unknown[]) => unknown, args: unknown[], learner?: Policy, task?: TaskIdentity): Deferred<unknown> {
  let result: unknown;
  try {
    result = applyArgs(fn, args);
  } catch (error) {
    return fail(error);
  }
  // What maybeDeferred does with a result: a value succeeded; a Deferred, thenable or generator (objectResult).
  if (result === null || (typeof result !== 'object' && typeof result !== 'function')) return succeed(result);
  return objectResult(result, fn, learner, task);
}

/**
 * `fn(...args)`, the common arities called directly: a spread of an array that came through several calls costs as
 * much as the rest of the inline route.
 */
function applyArgs(fn: (...a: unknown[]) => unknown, args: unknown[]): unknown {
  const n = args.length;
  return n === 1 ? fn(args[0]) : n === 0 ? fn() : n === 2 ? fn(args[0], args[1]) : fn(...args);
}

/**
 * An object an inline run returned: a generator is driven like `inlineCallbacks`, a Deferred kept, a thenable
 * followed (each reported to `learner`: the function is asynchronous), anything else succeeded (a Failure fails:
 * `callback` of a Failure is an errback).
 */
function objectResult(result: object, fn: (...a: unknown[]) => unknown, learner: Policy | undefined, task: TaskIdentity | undefined): Deferred<unknown> {
  let generator: boolean;
  let thenable: boolean;
  try {
    generator = isGenerator(result);
    thenable = !generator && (isDeferred(result) || isThenable(result));
  } catch (error) {
    return fail(error); // a `then`, `next` or `throw` getter threw (user code): a failure, as a Promise would reject
  }
  if (generator) {
    learner?.recordAsync(task ?? targetName(fn));
    return driveInlineGenerator(result as Generator<unknown, unknown, unknown>); // a bulkhead starting it watches its waits
  }
  if (thenable) {
    learner?.recordAsync(task ?? targetName(fn));
    if (isDeferred(result)) return result;
    const d = Deferred.fromPromise(result as PromiseLike<unknown>);
    noteInlineRun(d, result as PromiseLike<unknown>); // a bulkhead starting it keeps its place until it settles
    return d;
  }
  return succeed(result);
}

/**
 * Where the rule a bulkhead was made for (`label`, under the rules `before` a reload) is under the rules `after` it:
 * its label there and its `maxConcurrent`, or undefined when it is gone. A named rule is found by its name; an unnamed
 * one (`rules[i]`, labelled by its position) by what it says, its limits aside (`maxConcurrent`, `timeoutMs`), so a
 * rule added or removed before it moves its bulkhead with it, calls in flight and waiting included, instead of handing
 * its label to another rule (whose limit, often none, let every waiting call start, and whose new calls then passed a
 * gate of their own beside the calls still running).
 */
function ruleAfterReload(
  label: string,
  before: ReadonlyArray<Readonly<PolicyRule>>,
  after: ReadonlyArray<Readonly<PolicyRule>>,
): { label: string; maxConcurrent: number | undefined } | undefined {
  const was = before.find((rule, i) => ruleLabel(rule, i) === label);
  if (was !== undefined && was.name === undefined) {
    const text = ruleText(was);
    const i = after.findIndex((rule) => rule.name === undefined && ruleText(rule) === text);
    if (i >= 0) return { label: ruleLabel(after[i]!, i), maxConcurrent: after[i]!.maxConcurrent };
  }
  const i = after.findIndex((rule, j) => ruleLabel(rule, j) === label);
  return i < 0 ? undefined : { label, maxConcurrent: after[i]!.maxConcurrent };
}

/** What an unnamed rule says, its limits aside: its identity across a reload (see {@link ruleAfterReload}). */
function ruleText(rule: Readonly<PolicyRule>): string {
  return JSON.stringify({ ...rule, maxConcurrent: undefined, timeoutMs: undefined });
}

/** `dispatch` of something that is neither a Task nor a function: what it says to do instead. */
function notATask(error: unknown): Deferred<unknown> {
  return fail(
    error instanceof TypeError ? new TypeError(`dispatch: ${error.message}; pass a Task (defineTask/taskFrom) or a function`, { cause: error }) : error,
  );
}

/** {@link PolicyDispatcher.handOff}'s route for a cached plan (`noCrashBudget`: the policy sets no crash budget). */
function handOffRoute(plan: DispatchPlan, noCrashBudget: boolean): HandOffRoute | undefined {
  if (plan.bareThread) return noCrashBudget ? 'thread' : undefined;
  return plan.bareGreen && plan.timing === undefined ? 'green' : undefined;
}

/** What `auto` keys its records of `target` by: a Task itself; a plain function by its name. */
function identityOf(target: Task | ((...a: unknown[]) => unknown)): TaskIdentity {
  if (isTask(target)) return target;
  const name = targetName(target);
  return { id: name, name };
}

function unknownPool(decision: Decision): TypeError {
  return new TypeError(
    `Rule '${decision.rule ?? ''}' sends this call to pool '${decision.pool ?? ''}', which this reactor does not have (pools are made with the reactor from the policy's \`pools\`; a reload cannot add one)`,
  );
}
