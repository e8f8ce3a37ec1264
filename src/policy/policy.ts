/**
 * The policy: which path each call takes, and why.
 *
 * Order of precedence (SPEC §7): the first rule whose `match` holds; else the task's own `route`; else
 * the config's `default` (`auto`). `auto` is resolved by the {@link AdaptiveRouter}; a plain function
 * never goes to a thread. Decisions are cached per task object: rule conditions that depend only on
 * the task are evaluated once per config, so a dispatch with no dynamic rule in play costs a WeakMap
 * lookup and two integer comparisons.
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import { isTask, type Kind, type Route } from '../task/task.js';
import { PolicyConfigError } from '../errors.js';
import { AdaptiveRouter, type AdaptiveOptions, type AutoTaskStats } from './adaptive-router.js';
import { estimateArgBytes } from './arg-bytes.js';
import { CompiledRule, type MatchInputs } from './compiled-rule.js';
import type { Decision, DecidedRoute, DescriptorLoad, DispatchLoad, TaskDescriptor } from './decision.js';
import { watchPolicyFile, type PolicyWatcher } from './policy-file-watcher.js';
import { policyJsonSchema, type PolicyConfig } from './policy-schema.js';
import { parsePolicyText, readPolicyConfig, type LoadedPolicyConfig } from './read-policy-config.js';

/** The route used when neither a rule nor the task says: `auto`. */
export const defaultRoute: Route = 'auto';

/** Payload of the Policy's `'change'` event. */
export interface PolicyChange {
  /** The config now in force. */
  readonly config: Readonly<PolicyConfig>;
  /** The file it came from, if any. */
  readonly source: string | undefined;
}

/** Payload of the Policy's `'learn'` event: `auto` moved a task. */
export interface PolicyLearned {
  /** The task's name. */
  readonly task: string;
  /** Its new route. */
  readonly route: 'thread' | 'green';
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
  /** What `auto` learned, per task name. */
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

interface Subject {
  readonly name: string;
  readonly kind: Kind | undefined;
  readonly route: Route | undefined;
  readonly plain: boolean;
}

interface CacheEntry {
  generation: number;
  autoVersion: number;
  subject: Subject;
  candidates: readonly CompiledRule[];
  /** The decision when it cannot depend on load (first candidate static, or no candidate). */
  fixed: Decision | undefined;
  /** The decision when no candidate matches. */
  fallback: Decision | undefined;
}

const zeroLoad: DispatchLoad = Object.freeze({ threadQueue: 0, loopDelayMs: 0 });
let cachedSchema: Record<string, unknown> | undefined;

/**
 * Routes tasks between worker threads, greenlets and inline calls, from a JSON config plus what the
 * reactor measured; every decision comes with a reason a person understands.
 *
 * Emits `'change'` when a config is applied, `'error'` when a watched file turns invalid (the old
 * config stays in force) and `'learn'` when `auto` moves a task.
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
  #rules: readonly CompiledRule[] = [];
  #default: Route = defaultRoute;
  #generation = 0;
  #reloads = -1;
  readonly #router = new AdaptiveRouter();
  readonly #cache = new WeakMap<object, CacheEntry>();
  /** Decisions `auto` made (they are frozen and mostly cached, so membership is cheap to test). */
  readonly #autoDecisions = new WeakSet<Decision>();

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
   * Decides for a task described by name, kind and route rather than given as an object (the CLI's
   * `policy explain`). Not cached.
   * @param descriptor - the task's name, kind, route, and whether it is a plain function.
   * @param load - the argument size and the reactor's load (all default to 0).
   */
  decideFor(descriptor: TaskDescriptor, load: DescriptorLoad = {}): Decision {
    const subject: Subject = { name: descriptor.name, kind: descriptor.kind, route: descriptor.route, plain: descriptor.plain === true };
    const entry = this.#makeEntry(subject);
    const inputs: MatchInputs = {
      argBytes: () => load.argBytes ?? 0,
      threadQueue: () => load.threadQueue ?? 0,
      loopDelayMs: () => load.loopDelayMs ?? 0,
    };
    return entry.fixed ?? this.#decideDynamic(entry, inputs);
  }

  /**
   * Feeds `auto` one thread run time of a task (the reactor does this for every finished thread task).
   * @param taskName - the task's name.
   * @param ms - how long the worker ran it.
   */
  recordThreadRun(taskName: string, ms: number): void {
    if (this.#router.recordThreadRun(taskName, ms)) this.#learned(taskName);
  }

  /**
   * Feeds `auto` the median thread run time of a task over `runs` runs, summarised elsewhere (the reactor reads
   * the thread pool's per-task histogram once per `sampleSize` thread runs).
   * @param taskName - the task's name.
   * @param medianMs - the median run time.
   * @param runs - how many runs it covers.
   */
  recordThreadMedian(taskName: string, medianMs: number, runs: number): void {
    if (this.#router.recordThreadMedian(taskName, medianMs, runs)) this.#learned(taskName);
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
   * Feeds `auto` one blocked green step of a task (the reactor forwards the hub's `'blocked'` events).
   * @param taskName - the task's name.
   * @param ms - how long the step held the event loop.
   */
  recordBlockedStep(taskName: string, ms: number): void {
    if (this.#router.recordBlockedStep(taskName, ms)) this.#learned(taskName);
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
        try {
          this.#apply({ config: parsePolicyText(text, file), source: file, text });
        } catch (error) {
          this.#reportError(error as PolicyConfigError);
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
      rules: this.#rules.length,
      default: this.#default,
      auto: this.#router.snapshot(),
    };
  }

  #apply(loaded: LoadedPolicyConfig): void {
    const { config } = loaded;
    this.#rules = (config.rules ?? []).map((rule, i) => new CompiledRule(rule, i));
    this.#default = config.default ?? defaultRoute;
    if (this.#generation > 0 || config.adaptive !== undefined) this.#router.configure(config.adaptive ?? {});
    this.#loaded = loaded;
    this.#generation += 1;
    this.#reloads += 1;
    if (this.#reloads > 0) this.emit('change', { config, source: loaded.source });
  }

  #reportError(error: PolicyConfigError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else process.emitWarning(error.message, { code: error.code });
  }

  #learned(taskName: string): void {
    const verdict = this.#router.route(taskName, undefined, false);
    this.emit('learn', { task: taskName, route: verdict.route, reason: verdict.reason });
  }

  #entry(task: unknown): CacheEntry {
    if (typeof task !== 'function' && !isTask(task)) {
      throw new TypeError(`Expected a Task or a function, got \`${String(task)}\` (${task === null ? 'null' : typeof task})`);
    }
    const cached = this.#cache.get(task);
    if (cached !== undefined && cached.generation === this.#generation && cached.autoVersion === this.#router.version) return cached;
    const subject: Subject = isTask(task)
      ? { name: task.name, kind: task.options.kind, route: task.options.route, plain: false }
      : { name: (task as () => unknown).name || '<anonymous>', kind: undefined, route: undefined, plain: true };
    const entry = this.#makeEntry(subject);
    this.#cache.set(task, entry);
    return entry;
  }

  #makeEntry(subject: Subject): CacheEntry {
    const candidates = this.#rules.filter((rule) => rule.matchesTask(subject.name, subject.kind));
    const entry: CacheEntry = {
      generation: this.#generation,
      autoVersion: this.#router.version,
      subject,
      candidates,
      fixed: undefined,
      fallback: undefined,
    };
    const first = candidates[0];
    if (first === undefined) entry.fixed = this.#fallback(entry);
    else if (!first.dynamic) entry.fixed = this.#resolve(subject, first.route, first.explain(subject.name, noInputs), first);
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
        : this.#resolve(subject, this.#default, this.#default === 'auto' ? '' : `default route '${this.#default}'`, undefined);
    return entry.fallback;
  }

  #resolve(subject: Subject, route: Route, why: string, rule: CompiledRule | undefined): Decision {
    let decided: DecidedRoute;
    let reason = why;
    const auto = route === 'auto';
    if (auto) {
      const verdict = this.#router.route(subject.name, subject.kind, subject.plain);
      decided = verdict.route;
      reason = why === '' ? verdict.reason : `${why}; ${verdict.reason}`;
    } else {
      decided = route;
    }
    if (decided === 'thread' && subject.plain) {
      decided = 'green';
      reason += '; a plain function cannot run on a thread, so it runs on a greenlet';
    }
    const decision: { -readonly [K in keyof Decision]: Decision[K] } = { route: decided, reason };
    if (rule !== undefined) decision.rule = rule.label;
    if (rule?.timeoutMs !== undefined) decision.timeoutMs = rule.timeoutMs;
    Object.freeze(decision);
    if (auto) this.#autoDecisions.add(decision);
    return decision;
  }
}

const noInputs: MatchInputs = { argBytes: () => 0, threadQueue: () => 0, loopDelayMs: () => 0 };
