/**
 * `DispatchPlan`: a decision together with what `dispatch` needs to act on it, made once per task and cached.
 *
 * @module
 */
import type { AutoTiming } from './auto-timing.js';
import type { TaskIdentity } from '../task/task.js';
import type { Decision } from './decision.js';

/**
 * A decision plus the facts `dispatch` would otherwise look up on every call: whether `auto` made it (and how its
 * in-process runs are timed), and whether it runs inline with nothing around the call (no rule `timeoutMs`, no
 * bulkhead). A policy caches one per task with the decision, so a dispatch of a cached decision costs one lookup.
 *
 * Why: on the inline route the call itself costs nanoseconds; a second lookup per call (which decisions `auto`
 * made) and re-reading the decision's optional fields cost as much as the `Deferred` the call returns.
 */
export interface DispatchPlan {
  /** The decision, as `Policy.decide` returns it. */
  readonly decision: Decision;
  /** `auto`'s timing of in-process runs when `auto` made the decision; `undefined` otherwise. */
  readonly timing: AutoTiming | undefined;
  /** True when the decision runs inline with no rule `timeoutMs` and no `maxConcurrent`. */
  readonly bareInline: boolean;
  /** True when the decision runs on a greenlet with no rule `timeoutMs` and no `maxConcurrent`. */
  readonly bareGreen: boolean;
  /**
   * True when the decision runs on the reactor's own thread pool, coalescing as it likes, with no rule `timeoutMs`,
   * no `maxConcurrent` and its crash budget not spent.
   */
  readonly bareThread: boolean;
  /** True for a plain function (the function is the task itself); false for a Task (its `fn`). */
  readonly plain: boolean;
  /** The task's identity and name (what `auto` keys its records by). */
  readonly task: TaskIdentity;
  /**
   * True when the decision cannot depend on the call's arguments or the load (no load- or size-dependent rule can
   * match the task): it holds for every call of the task until the policy's `generation` changes.
   */
  readonly fixed: boolean;
}

/**
 * Makes the plan of a decision.
 * @param decision - the decision.
 * @param timing - `auto`'s timing, when `auto` made it.
 * @param plain - whether the task is a plain function.
 * @param task - the task's identity and name.
 * @param fixed - whether the decision holds for every call of the task (see {@link DispatchPlan.fixed}).
 * @returns the plan (frozen).
 */
export function dispatchPlan(decision: Decision, timing: AutoTiming | undefined, plain: boolean, task: TaskIdentity, fixed: boolean): DispatchPlan {
  const bare = decision.timeoutMs === undefined && decision.maxConcurrent === undefined;
  const bareInline = bare && decision.route === 'inline';
  const bareGreen = bare && decision.route === 'green';
  const bareThread =
    bare && decision.route === 'thread' && decision.pool === undefined && decision.coalesce === undefined && decision.crashBudgetSpent === undefined;
  return Object.freeze({ decision, timing, bareInline, bareGreen, bareThread, plain, task, fixed });
}
