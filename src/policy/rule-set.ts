/**
 * One config's rules, compiled, with the per-task decision cache.
 *
 * The precedence of SPEC §7 lives here: the first rule whose `match` holds; else the task's own `route`;
 * else the config's `default`. `auto` is resolved by the shared {@link AdaptiveRouter}; a plain function
 * never goes to a thread. Rule conditions that depend only on the task are evaluated once per task and
 * cached with the decision when no dynamic condition can change it, so a cached dispatch costs a WeakMap
 * lookup and one integer comparison (the router's version). A policy makes a new RuleSet per config, so a
 * reload empties the cache.
 *
 * @module
 */
import { safeString } from '../safe-string.js';
import { isTask, type Kind, type Route, type TaskIdentity } from '../task/task.js';
import { targetName } from '../task/target-name.js';
import type { AdaptiveRouter, TaskShape } from './adaptive-router.js';
import type { AutoTiming } from './auto-timing.js';
import { estimateArgBytes } from './arg-bytes.js';
import { CompiledRule, type MatchInputs } from './compiled-rule.js';
import { dispatchPlan, type DispatchPlan } from './dispatch-plan.js';
import type { Decision, DecidedRoute, DescriptorLoad, DispatchLoad, TaskDescriptor } from './decision.js';
import type { PolicyConfig } from './policy-schema.js';

/** The route used when neither a rule nor the task says: `auto`. */
export const defaultRoute: Route = 'auto';

/** What the rules see of a task; its identity is what `auto` keys what it learns by. */
interface Subject extends TaskIdentity {
  readonly kind: Kind | undefined;
  readonly route: Route | undefined;
  readonly plain: boolean;
  readonly shape: TaskShape;
}

/** The prototypes of generator, async and async generator functions: a function with one of them is `async`. */
const asyncShapedPrototypes: ReadonlySet<unknown> = new Set([
  Object.getPrototypeOf(function* () {}),
  Object.getPrototypeOf(async () => {}),
  Object.getPrototypeOf(async function* () {}),
]);

/**
 * A generator or async function runs on a greenlet in-process; anything else (or not loaded yet) inline. Read from
 * the function's prototype, not its `constructor` property: that is a user-visible property (a Proxy's `get` trap,
 * an own `constructor`) whose read may throw or lie.
 */
function shapeOf(fn: unknown): TaskShape {
  if (typeof fn !== 'function') return 'sync';
  try {
    return asyncShapedPrototypes.has(Object.getPrototypeOf(fn)) ? 'async' : 'sync';
  } catch {
    return 'sync'; // a Proxy whose getPrototypeOf trap throws (a revoked one): called, it throws through the Deferred
  }
}

/** What the rules see of a Task or function. @throws TypeError when `task` is neither. */
function subjectOf(task: unknown): Subject {
  if (isTask(task)) return { id: task.id, name: task.name, kind: task.options.kind, route: task.options.route, plain: false, shape: shapeOf(task.fn) };
  if (typeof task === 'function') {
    const name = targetName(task as (...args: unknown[]) => unknown);
    return { id: name, name, kind: undefined, route: undefined, plain: true, shape: shapeOf(task) };
  }
  throw new TypeError(`Expected a Task or a function, got \`${safeString(task)}\` (${task === null ? 'null' : typeof task})`);
}

interface CacheEntry {
  autoVersion: number;
  subject: Subject;
  candidates: readonly CompiledRule[];
  /** The decision when it cannot depend on load (first candidate static, or no candidate). */
  fixed: Decision | undefined;
  /** The decision when no candidate matches. */
  fallback: Decision | undefined;
  /** `fixed`'s plan (what `dispatch` reads: one lookup per call). */
  fixedPlan: DispatchPlan | undefined;
  /** `fallback`'s plan. */
  fallbackPlan: DispatchPlan | undefined;
}

const noInputs: MatchInputs = { argBytes: () => 0, threadQueue: () => 0, loopDelayMs: () => 0 };

/** A config's rules and default, ready to decide. */
export class RuleSet {
  readonly #rules: readonly CompiledRule[];
  readonly #defaultRoute: Route;
  readonly #router: AdaptiveRouter;
  readonly #autoDecisions: WeakMap<Decision, AutoTiming>;
  readonly #cache = new WeakMap<object, CacheEntry>();

  /**
   * @param config - a validated config.
   * @param router - resolves `auto` (shared across configs: what it learned survives reloads).
   * @param autoDecisions - where decisions made by `auto` are registered, with how their in-process runs are timed.
   */
  constructor(config: Readonly<PolicyConfig>, router: AdaptiveRouter, autoDecisions: WeakMap<Decision, AutoTiming>) {
    this.#rules = (config.rules ?? []).map((rule, i) => new CompiledRule(rule, i));
    this.#defaultRoute = config.default ?? defaultRoute;
    this.#router = router;
    this.#autoDecisions = autoDecisions;
  }

  /** Number of rules. */
  get size(): number {
    return this.#rules.length;
  }

  /** The config's default route. */
  get defaultRoute(): Route {
    return this.#defaultRoute;
  }

  /**
   * Decides for a Task or function (see `Policy.decide`).
   * @throws TypeError when `task` is neither a Task nor a function.
   */
  decide(task: unknown, args: readonly unknown[], load: DispatchLoad): Decision {
    const entry = this.#entry(task);
    if (entry.fixed !== undefined) return entry.fixed;
    let bytes: number | undefined;
    const inputs: MatchInputs = {
      argBytes: () => (bytes ??= estimateArgBytes(args)),
      threadQueue: () => load.threadQueue,
      loopDelayMs: () => load.loopDelayMs,
    };
    return this.#decideDynamic(entry, inputs);
  }

  /**
   * Decides as {@link RuleSet.decide} does and returns the decision's {@link DispatchPlan}: for a decision that
   * cannot depend on load, the cached plan (one WeakMap lookup and one integer comparison).
   * @throws TypeError when `task` is neither a Task nor a function.
   */
  plan(task: unknown, args: readonly unknown[], load: DispatchLoad): DispatchPlan {
    const entry = this.#entry(task);
    return entry.fixedPlan ?? this.#dynamicPlan(entry, task, args, load);
  }

  #dynamicPlan(entry: CacheEntry, task: unknown, args: readonly unknown[], load: DispatchLoad): DispatchPlan {
    const decision = this.decide(task, args, load);
    if (decision === entry.fallback) return (entry.fallbackPlan ??= this.#planOf(entry.subject, decision, false));
    return this.#planOf(entry.subject, decision, false);
  }

  #planOf(subject: Subject, decision: Decision, fixed: boolean): DispatchPlan {
    return dispatchPlan(decision, this.#autoDecisions.get(decision), subject.plain, { id: subject.id, name: subject.name }, fixed);
  }

  /**
   * Decides as {@link RuleSet.decide} does, without the cache: `auto`'s reason carries the figures of its window now
   * (a cached decision keeps the figures of when the task last changed route). For `explain`, not for dispatch.
   * @throws TypeError when `task` is neither a Task nor a function.
   */
  explain(task: unknown, args: readonly unknown[], load: DispatchLoad): Decision {
    const entry = this.#makeEntry(subjectOf(task));
    if (entry.fixed !== undefined) return entry.fixed;
    let bytes: number | undefined;
    return this.#decideDynamic(entry, {
      argBytes: () => (bytes ??= estimateArgBytes(args)),
      threadQueue: () => load.threadQueue,
      loopDelayMs: () => load.loopDelayMs,
    });
  }

  /** Decides for a described task (see `Policy.decideFor`); not cached. */
  decideFor(descriptor: TaskDescriptor, load: DescriptorLoad): Decision {
    const subject: Subject = {
      id: descriptor.name,
      name: descriptor.name,
      kind: descriptor.kind,
      route: descriptor.route,
      plain: descriptor.plain === true,
      shape: descriptor.async === true ? 'async' : 'sync',
    };
    const entry = this.#makeEntry(subject);
    const inputs: MatchInputs = {
      argBytes: () => load.argBytes ?? 0,
      threadQueue: () => load.threadQueue ?? 0,
      loopDelayMs: () => load.loopDelayMs ?? 0,
    };
    return entry.fixed ?? this.#decideDynamic(entry, inputs);
  }

  #entry(task: unknown): CacheEntry {
    const cached = typeof task === 'function' || isTask(task) ? this.#cache.get(task) : undefined;
    if (cached !== undefined && cached.autoVersion === this.#router.version) return cached;
    const entry = this.#makeEntry(subjectOf(task));
    this.#cache.set(task as object, entry);
    return entry;
  }

  #makeEntry(subject: Subject): CacheEntry {
    const candidates = this.#rules.filter((rule) => rule.matchesTask(subject.name, subject.kind));
    const entry: CacheEntry = {
      autoVersion: this.#router.version,
      subject,
      candidates,
      fixed: undefined,
      fallback: undefined,
      fixedPlan: undefined,
      fallbackPlan: undefined,
    };
    const first = candidates[0];
    if (first === undefined) entry.fixed = this.#fallback(entry);
    else if (!first.dynamic) entry.fixed = this.#resolve(subject, first.route, first.explain(subject.name, noInputs), first);
    if (entry.fixed !== undefined) entry.fixedPlan = this.#planOf(subject, entry.fixed, true);
    return entry;
  }

  #decideDynamic(entry: CacheEntry, inputs: MatchInputs): Decision {
    for (const rule of entry.candidates) {
      if (rule.matchesLoad(inputs)) return this.#resolve(entry.subject, rule.route, rule.explain(entry.subject.name, inputs), rule);
    }
    return this.#fallback(entry);
  }

  #fallback(entry: CacheEntry): Decision {
    if (entry.fallback !== undefined) return entry.fallback;
    const { subject } = entry;
    entry.fallback =
      subject.route !== undefined
        ? this.#resolve(subject, subject.route, `task '${subject.name}' asks for route '${subject.route}'`, undefined)
        : this.#resolve(subject, this.#defaultRoute, this.#defaultRoute === 'auto' ? '' : `default route '${this.#defaultRoute}'`, undefined);
    return entry.fallback;
  }

  #resolve(subject: Subject, route: Route, why: string, rule: CompiledRule | undefined): Decision {
    let decided: DecidedRoute;
    let reason = why;
    const auto = route === 'auto';
    let timing: AutoTiming = 'sampled';
    if (auto) {
      const verdict = this.#router.route(subject, subject.kind, subject.plain, subject.shape);
      decided = verdict.route;
      if (verdict.probe === true) timing = 'every';
      reason = why === '' ? verdict.reason : `${why}; ${verdict.reason}`;
    } else {
      decided = route;
    }
    if ((decided === 'thread' || decided === 'remote') && subject.plain) {
      reason += `; a plain function cannot run on a ${decided === 'thread' ? 'thread' : 'remote host'}, so it runs on a greenlet`;
      decided = 'green';
    }
    const crashed = decided === 'thread' ? this.#router.crashed(subject) : undefined;
    if (crashed !== undefined) {
      reason += `; ${crashed.reason}`;
      if (crashed.then === 'green') decided = 'green';
    }
    const pool = decided === 'thread' ? rule?.pool : undefined;
    if (pool !== undefined) reason += `; in pool '${pool}'`;
    if (rule?.maxConcurrent !== undefined) reason += `; bulkhead: at most ${rule.maxConcurrent} in flight (maxConcurrent)`;
    const decision: { -readonly [K in keyof Decision]: Decision[K] } = { route: decided, reason };
    if (crashed?.then === 'fail') decision.crashBudgetSpent = true;
    if (rule !== undefined) decision.rule = rule.label;
    if (rule?.timeoutMs !== undefined) decision.timeoutMs = rule.timeoutMs;
    if (pool !== undefined) decision.pool = pool;
    if (rule?.maxConcurrent !== undefined) decision.maxConcurrent = rule.maxConcurrent;
    if (rule?.coalesce === false && decided === 'thread') decision.coalesce = false;
    if (rule?.streamWindow !== undefined) decision.streamWindow = rule.streamWindow;
    Object.freeze(decision);
    if (auto) this.#autoDecisions.set(decision, timing);
    return decision;
  }
}
