/**
 * The policy: which path each call takes, and why — the public face of the policy layer.
 *
 * It owns the config in force (validated, hot-reloadable), the {@link AdaptiveRouter} that resolves
 * `auto` and keeps what it learned across reloads, and one {@link RuleSet} per config that applies the
 * precedence of SPEC §7 and caches decisions per task.
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import type { Route, TaskIdentity } from '../task/task.js';
import { thrownMessage } from '../task/thrown-message.js';
import { PolicyConfigError } from '../errors.js';
import { AdaptiveRouter, type AdaptiveOptions, type AutoTaskStats, type CrashVerdict } from './adaptive-router.js';
import type { AutoTiming } from './auto-timing.js';
import type { Decision, DescriptorLoad, DispatchLoad, TaskDescriptor } from './decision.js';
import type { DispatchPlan } from './dispatch-plan.js';
import { watchPolicyFile, type PolicyWatcher } from './policy-file-watcher.js';
import { policyJsonSchema, type PolicyConfig } from './policy-schema.js';
import { parsePolicyText, readPolicyConfig, type LoadedPolicyConfig } from './read-policy-config.js';
import { RuleSet, defaultRoute } from './rule-set.js';

export { defaultRoute };

/** Payload of the Policy's `'change'` event. */
export interface PolicyChange {
  /** The config now in force. */
  readonly config: Readonly<PolicyConfig>;
  /** The file it came from, if any. */
  readonly source: string | undefined;
}

/** Payload of the Policy's `'learn'` event: `auto` moved a task. */
export interface PolicyLearned {
  /** The task's name; with its module in brackets where another task `auto` knows has the same name. */
  readonly task: string;
  /** Which task: a Task's `id` (`moduleUrl#exportName`), a plain function's name. */
  readonly id: string;
  /** Its new route. */
  readonly route: 'thread' | 'green' | 'inline';
  /** Why. */
  readonly reason: string;
}

/** What the policy is and what it learned, for `reactor.stats().policy`. */
export interface PolicyStats {
  /** The file the config came from, if any. */
  source: string | undefined;
  /** Configs applied after the first (reloads and `update` calls). */
  reloads: number;
  /** Number of rules. */
  rules: number;
  /** The default route. */
  default: Route;
  /**
   * What `auto` learned, per task: under its name, with its module in brackets where two tasks share the name. It
   * learns from every timed run, whoever chose the route, so a phase and reason ("on threads for good") say where
   * `auto` would send the task: one whose route a rule, its own `route` or a `default` other than `auto` fixes stays
   * where it is told (`explain()` says where a call goes).
   */
  auto: Record<string, AutoTaskStats>;
}

/** Events a Policy emits. */
export interface PolicyEventMap {
  /** A new config is in force. */
  change: [PolicyChange];
  /** A watched file changed into something invalid; the old config stays. */
  error: [PolicyConfigError];
  /** `auto` moved a task to another route. */
  learn: [PolicyLearned];
}

const zeroLoad: DispatchLoad = Object.freeze({ threadQueue: 0, loopDelayMs: 0 });

/**
 * The library's own followers of each policy's applied configs (see {@link followPolicyChanges}), kept apart from its
 * `'change'` listeners: those are the user's (their count, Node's leak warning past ten), and a reactor per tenant
 * sharing one policy is a correct program.
 */
const followers = new WeakMap<Policy, Set<(change: PolicyChange) => void>>();

/**
 * Calls `fn` with each config `policy` applies from now on (a reload, `update`), before its `'change'` listeners
 * hear of it (a listener that throws cannot keep `fn` from it). For the library's own use (a reactor's bulkheads):
 * not a `'change'` listener, so no number of reactors sharing a policy adds to its listeners.
 * @param policy - the policy.
 * @param fn - told of each applied config; it must not throw.
 * @returns a function that stops it (idempotent).
 */
export function followPolicyChanges(policy: Policy, fn: (change: PolicyChange) => void): () => void {
  let set = followers.get(policy);
  if (set === undefined) {
    set = new Set();
    followers.set(policy, set);
  }
  set.add(fn);
  const own = set;
  return () => {
    own.delete(fn);
  };
}
let cachedSchema: Record<string, unknown> | undefined;

/**
 * Routes tasks between worker threads, greenlets and inline calls, from a JSON config plus what the
 * reactor measured; every decision comes with a reason a person understands.
 *
 * Emits `'change'` when a config is applied, `'error'` when a watched file turns invalid (the old
 * config stays in force) and `'learn'` when `auto` moves a task (inside the call that taught it: what a `'learn'`
 * listener throws becomes a process warning, never that call's error).
 *
 * @example
 * ```ts
 * const policy = Policy.load({ rules: [{ name: 'images', match: { task: 'resize*' }, route: 'thread' }] });
 * policy.decide(resize, [buf], { threadQueue: 0, loopDelayMs: 0 });
 * // { route: 'thread', reason: "rule 'images' matched task 'resize'", rule: 'images' }
 * ```
 */
export class Policy extends EventEmitter<PolicyEventMap> {
  #loaded!: LoadedPolicyConfig;
  #rules!: RuleSet;
  #reloads = -1;
  readonly #router = new AdaptiveRouter();
  /** Decisions `auto` made, with how their in-process runs are timed (frozen and mostly cached: one lookup). */
  readonly #autoDecisions = new WeakMap<Decision, AutoTiming>();

  /**
   * Validates a config (an object or a JSON file) and makes a Policy of it.
   * @param configOrFile - the config, or a path to a JSON file; nothing means the empty config.
   * @throws PolicyConfigError listing every problem.
   */
  constructor(configOrFile: PolicyConfig | string = {}) {
    super();
    this.#apply(readPolicyConfig(configOrFile));
  }

  /**
   * Loads a policy from a config object or a JSON file.
   * @param configOrFile - the config, or a path to a JSON file.
   * @returns the Policy.
   * @throws PolicyConfigError listing every problem, each with its JSON Pointer path; an unreadable or
   *   unparsable file is one issue at path `""`.
   * @example
   * ```ts
   * try { Policy.load('./policy.json'); } catch (e) { if (e.code === 'ERR_POLICY_CONFIG') console.log(e.issues); }
   * ```
   */
  static load(configOrFile: PolicyConfig | string): Policy {
    return new Policy(configOrFile);
  }

  /** The JSON Schema of the config, generated from the same definition that validates it. */
  static get schema(): Record<string, unknown> {
    cachedSchema ??= policyJsonSchema();
    return cachedSchema;
  }

  /** The config in force (validated, frozen). */
  get config(): Readonly<PolicyConfig> {
    return this.#loaded.config;
  }

  /** The file the config in force came from, if any. */
  get source(): string | undefined {
    return this.#loaded.source;
  }

  /**
   * Replaces the config. In-flight work is unaffected; later decisions use the new config; what `auto`
   * learned is kept.
   * @param configOrFile - the new config or a JSON file.
   * @throws PolicyConfigError when it is invalid (the old config stays).
   */
  update(configOrFile: PolicyConfig | string): void {
    this.#apply(readPolicyConfig(configOrFile));
  }

  /**
   * Decides where a call runs.
   * @param task - a Task or a plain function.
   * @param args - the call's arguments (sized only if a rule matches on `argBytes`).
   * @param load - the reactor's load; fields are read only when a rule needs them.
   * @returns the decision, with its reason.
   * @throws TypeError when `task` is neither a Task nor a function.
   */
  decide(task: unknown, args: readonly unknown[] = [], load: DispatchLoad = zeroLoad): Decision {
    return this.#rules.decide(task, args, load);
  }

  /**
   * Decides as {@link Policy.decide} does, with what `dispatch` needs to act on the decision (whether `auto` made
   * it, whether it runs inline with nothing around the call). The reactor's dispatcher calls this: a cached
   * decision costs one lookup.
   * @param task - a Task or a plain function.
   * @param args - the call's arguments (sized only if a rule matches on `argBytes`).
   * @param load - the reactor's load; fields are read only when a rule needs them.
   * @returns the decision's plan.
   * @throws TypeError when `task` is neither a Task nor a function.
   */
  plan(task: unknown, args: readonly unknown[], load: DispatchLoad): DispatchPlan {
    return this.#rules.plan(task, args, load);
  }

  /**
   * A number that changes whenever a plan {@link Policy.plan} returned may be stale: a config was applied (a reload
   * or `update`) or `auto` moved a task, ended a probe or spent a crash budget. A caller may keep a
   * {@link DispatchPlan.fixed} plan for a task while this stays the same (the dispatcher keeps the last one: one
   * comparison instead of the per-task lookup).
   *
   * Why a sum: both counters only grow, so their sum changes whenever either does.
   */
  get generation(): number {
    return this.#reloads + this.#router.version;
  }

  /**
   * Decides where a call would run, as {@link Policy.decide} does, with `auto`'s figures as they are now: `decide`
   * returns a cached decision whose reason keeps the figures of when the task last changed route (a dispatch must
   * cost a lookup), `explain` makes a fresh one (`reactor.explain` calls this).
   * @param task - a Task or a plain function.
   * @param args - the call's arguments (sized only if a rule matches on `argBytes`).
   * @param load - the reactor's load.
   * @returns the decision, with its reason.
   * @throws TypeError when `task` is neither a Task nor a function.
   */
  explain(task: unknown, args: readonly unknown[] = [], load: DispatchLoad = zeroLoad): Decision {
    return this.#rules.explain(task, args, load);
  }

  /**
   * Decides for a task described by name, kind and route rather than given as an object (the CLI's
   * `policy explain`). Not cached.
   * @param descriptor - the task's name, kind, route, and whether it is a plain function.
   * @param load - the argument size and the reactor's load (all default to 0).
   */
  decideFor(descriptor: TaskDescriptor, load: DescriptorLoad = {}): Decision {
    return this.#rules.decideFor(descriptor, load);
  }

  /**
   * Feeds `auto` one thread run time of a task. The reactor's dispatcher does this for every finished thread run
   * of a task that `auto` sent to threads; `auto` judges the median of the last `adaptive.sampleSize` of them
   * against the fastest hop among them, and a run longer than `adaptive.blockingThresholdMs` keeps the task on
   * threads while it is among them.
   * @param task - the Task (what is learned is kept per task, by its `id`), or a plain function's name.
   * @param ms - how long the worker ran it.
   * @param hopMs - what the hop cost (dispatch to start: queue wait, cloning, posting).
   */
  recordThreadRun(task: TaskIdentity | string, ms: number, hopMs = 0): void {
    const t = identityOf(task);
    if (this.#router.recordThreadRun(t, ms, hopMs)) this.#learned(t);
  }

  /**
   * Tells `auto` that a task's function returned a thenable or a generator: in-process, it runs on a greenlet.
   * @param task - the Task, or a plain function's name.
   */
  recordAsync(task: TaskIdentity | string): void {
    const t = identityOf(task);
    if (this.#router.recordAsync(t)) this.#learned(t);
  }

  /**
   * Feeds one worker crash of a task (the dispatcher does this for its thread calls when `adaptive.crashBudget` is
   * set); once the budget is spent the task stops being sent to threads.
   * @param task - the Task.
   * @param nowMs - the reactor clock's time.
   */
  recordCrash(task: TaskIdentity | string, nowMs: number): void {
    this.#router.recordCrash(identityOf(task), nowMs);
  }

  /**
   * The worker crashes of a task within `adaptive.crashBudget.windowMs` before `nowMs` (0 without a budget).
   * @param task - the Task.
   * @param nowMs - the reactor clock's time.
   * @returns the count.
   */
  recentCrashes(task: TaskIdentity | string, nowMs: number): number {
    return this.#router.recentCrashes(identityOf(task), nowMs);
  }

  /**
   * Why a task is no longer sent to threads, once its crash budget is spent (`then` says what its calls do
   * instead); `undefined` while it has budget left.
   * @param task - the Task.
   * @returns the verdict, or `undefined`.
   */
  crashVerdict(task: TaskIdentity | string): CrashVerdict | undefined {
    return this.#router.crashed(identityOf(task));
  }

  /** The `auto` thresholds in force (the `adaptive` section with defaults filled in). */
  get adaptive(): Readonly<AdaptiveOptions> {
    return this.#router.options;
  }

  /**
   * Tells whether `auto` made this decision (so run times of what it sent to threads are worth feeding back).
   * @param decision - a decision this policy returned.
   */
  isAutoDecision(decision: Decision): boolean {
    return this.#autoDecisions.has(decision);
  }

  /**
   * How the in-process runs of a decision are timed, if `auto` made it: `'every'` while the task's in-process window
   * is filling, then `'sampled'`; `undefined` for a decision `auto` did not make (nothing to learn). One lookup.
   * @param decision - a decision this policy returned.
   * @returns the timing, or `undefined`.
   */
  autoTiming(decision: Decision): AutoTiming | undefined {
    return this.#autoDecisions.get(decision);
  }

  /**
   * Feeds `auto` one timed in-process run of a task (the dispatcher times a task's first `sampleSize` inline runs
   * and green calls, then a random sample): its in-process window re-judges it (SPEC §7 sliding window) — enough
   * runs over `blockingThresholdMs` (`adaptive.blockingRunsToPin`, default 1) send it to threads for good, and a
   * synchronous task whose median is at or above `minThreadRunMs` and its hop goes back to threads.
   * @param task - the Task, or a plain function's name.
   * @param ms - how long the run held the event loop.
   * @param where - `'inline run'` (default) or `'green step'`, for the reason.
   */
  recordInProcessRun(task: TaskIdentity | string, ms: number, where?: string): void {
    const t = identityOf(task);
    if (this.#router.recordInProcessRun(t, ms, where)) this.#learned(t);
  }

  /**
   * Feeds `auto` one blocked in-process run or green step of a task (the reactor forwards the hub's `'blocked'`
   * events; the dispatcher times a sample of inline runs).
   * @param task - the Task (or the hub's `'blocked'` event's `{ id: taskId, name: task }`), or a plain function's name.
   * @param ms - how long it held the event loop.
   * @param where - `'green step'` (default) or `'inline run'`, for the reason.
   */
  recordBlockedStep(task: TaskIdentity | string, ms: number, where?: string): void {
    const t = identityOf(task);
    if (this.#router.recordBlockedStep(t, ms, where)) this.#learned(t);
  }

  /**
   * Reloads the config whenever `file` changes (debounced; applied within a second).
   *
   * An invalid new file keeps the config in force and emits `'error'` with the `PolicyConfigError`
   * (with no `'error'` listener it becomes a process warning rather than an exception). The watch
   * keeps no handle that holds the process open. A reload changes routing (rules, `default`, `adaptive`);
   * the `threads` and `green` sections size the pool and the hub when a reactor creates them, so they take
   * effect in reactors created after the change.
   * @param file - the JSON file to watch.
   * @returns a handle; `close()` stops watching.
   * @throws Error when the file's directory cannot be watched.
   */
  watch(file: string): PolicyWatcher {
    return watchPolicyFile(file, {
      initialText: this.#loaded.source === file ? this.#loaded.text : undefined,
      onText: (text) => {
        let config: Readonly<PolicyConfig>;
        try {
          config = parsePolicyText(text, file);
        } catch (error) {
          this.#reportError(error as PolicyConfigError);
          return;
        }
        try {
          this.#apply({ config, source: file, text });
        } catch (error) {
          // A 'change' listener threw. The config is applied (it was valid: no 'error' for it), and this is a file
          // watcher's callback, where a throw would end the process: a warning is all that can carry it.
          warn(`A 'change' listener of the policy watching ${file} threw`, error);
        }
      },
      onError: (error) => {
        const reason = (error as NodeJS.ErrnoException).code ?? error.message;
        this.#reportError(new PolicyConfigError([{ path: '', message: `Cannot read policy file ${file} (${reason})` }], file, { cause: error }));
      },
    });
  }

  /** The config's shape and what `auto` learned. */
  stats(): PolicyStats {
    return {
      source: this.#loaded.source,
      reloads: this.#reloads,
      rules: this.#rules.size,
      default: this.#rules.defaultRoute,
      auto: this.#router.snapshot(),
    };
  }

  #apply(loaded: LoadedPolicyConfig): void {
    const { config } = loaded;
    if (this.#reloads >= 0 || config.adaptive !== undefined) this.#router.configure(config.adaptive ?? {});
    // A new RuleSet per config: its decision cache starts empty, so nothing decided under the old config lingers.
    this.#rules = new RuleSet(config, this.#router, this.#autoDecisions);
    this.#loaded = loaded;
    this.#reloads += 1;
    if (this.#reloads > 0) {
      const change: PolicyChange = { config, source: loaded.source };
      const own = followers.get(this);
      if (own !== undefined) for (const follow of [...own]) follow(change);
      this.emit('change', change);
    }
  }

  /** A watched file's config error: to the `'error'` listeners, else a process warning; never a throw (see watch). */
  #reportError(error: PolicyConfigError): void {
    if (this.listenerCount('error') === 0) {
      process.emitWarning(error.message, { code: error.code });
      return;
    }
    try {
      this.emit('error', error);
    } catch (thrown) {
      warn("An 'error' listener of the policy threw", thrown);
    }
  }

  /**
   * Emits `'learn'`. It runs inside a call (a timed inline run, an inline run that turned out asynchronous, a thread
   * run's timing in the pool), so what a listener throws becomes a process warning: the call keeps its own outcome.
   */
  #learned(task: TaskIdentity): void {
    const verdict = this.#router.route(task, undefined, false);
    try {
      this.emit('learn', { task: this.#router.label(task), id: task.id, route: verdict.route, reason: verdict.reason });
    } catch (thrown) {
      warn("A 'learn' listener of the policy threw", thrown);
    }
  }
}

/** Emits a process warning about what a listener threw (any value). */
function warn(what: string, thrown: unknown): void {
  process.emitWarning(`${what}: ${thrownMessage(thrown)}`, { code: 'ERR_POLICY_LISTENER' });
}

/**
 * A task as the `record…` methods take it: a Task (or any {@link TaskIdentity}) as it is; a string is a plain
 * function's name (a plain function has no module: its name is its identity).
 */
function identityOf(task: TaskIdentity | string): TaskIdentity {
  return typeof task === 'string' ? { id: task, name: task } : task;
}
